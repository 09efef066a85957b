"""The pages' chrome in Japanese (first) and English: ``?lang=en`` or a cookie switches.

Only the interface is translated; the forms' own titles and descriptions stay as their
municipality wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

LANG_COOKIE = "yoshiki_lang"
LANGS = ("ja", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "site": ("様式レジストリ", "Yoshiki form registry"),
    "skip": ("本文へ移動", "Skip to content"),
    "search": ("検索", "Search"),
    "search_label": ("テンプレートを探す（キーワード）", "Find a template (keywords)"),
    "category": ("分類", "Category"),
    "municipality": ("自治体", "Municipality"),
    "prefecture": ("都道府県", "Prefecture"),
    "all": ("すべて", "All"),
    "results": ("検索結果", "Results"),
    "no_results": ("該当するテンプレートはありません。", "No template matches."),
    "recent": ("最近公開されたテンプレート", "Recently published"),
    "most_forked": ("よく使われているテンプレート", "Most forked"),
    "forks": ("フォーク", "forks"),
    "login": ("ログイン", "Log in"),
    "logout": ("ログアウト", "Log out"),
    "me": ("アカウント", "Account"),
    "preview": ("プレビュー", "Preview"),
    "print": ("印刷用", "Print"),
    "diff": ("差分", "Changes"),
    "versions": ("版の履歴", "Versions"),
    "fields": ("項目", "Fields"),
    "lineage": ("系譜（フォーク元とフォーク）", "Lineage (upstream and forks)"),
    "use": ("このテンプレートを使う", "Use this template"),
    "pull": ("更新を取り込む", "Take upstream changes"),
    "required": ("必須", "required"),
    "personal": ("個人情報", "personal data"),
    "license": ("ライセンス", "Licence"),
    "maintainers": ("担当", "Maintainers"),
    "language": ("English", "日本語"),
    "not_found": ("ページが見つかりません", "Page not found"),
    "error": ("エラー", "Error"),
    "submit_check": ("入力内容を確認する", "Check the entries"),
    "valid": ("入力内容に誤りはありません（プレビューのため、送信内容は保存されません）。",
              "The entries are valid (this is a preview: nothing is stored)."),
    "invalid": ("入力内容に誤りがあります。各項目のメッセージを確認してください。",
                "Some entries need correcting: see the message beside each field."),
}


def lang_of(query: Mapping[str, Any], cookies: Mapping[str, str]) -> str:
    """``ja`` or ``en``: the query's ``lang`` first, then the cookie, then Japanese."""
    for source in (query.get("lang"), cookies.get(LANG_COOKIE)):
        if source in LANGS:
            return str(source)
    return "ja"


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)`` for the templates: the chrome string in ``lang`` (the key when unknown)."""
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = TEXTS.get(key)
        return pair[index] if pair else key

    return t


__all__ = ["LANGS", "LANG_COOKIE", "TEXTS", "lang_of", "translator"]
