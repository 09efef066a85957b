"""``yoshiki diff`` and ``yoshiki compat`` output: text, Markdown and GitHub annotations of a Diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.checks.compatibility import BUMP_JA

if TYPE_CHECKING:
    from cli.sources import Loaded
    from registry.diff import Change, Diff

VERDICT_JA = {"compatible": "互換", "breaking": "非互換", "unknown": "判定不能"}
VERDICT_ICON = {"compatible": "✅", "breaking": "❌", "unknown": "❓"}


def change_dict(c: Change) -> dict[str, Any]:
    """The JSON form of a change (registry.diff.change_json, imported only when used)."""
    from registry.diff import change_json

    return change_json(c)


def diff_dict(d: Diff) -> dict[str, Any]:
    """The JSON form of a diff (registry.diff.diff_json)."""
    from registry.diff import diff_json

    return diff_json(d)


def _dump(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _verdicts(c: Change, lang: str) -> str:
    if lang == "ja":
        return f"後方: {VERDICT_JA[c.backward]} / 前方: {VERDICT_JA[c.forward]}"
    return f"backward: {c.backward} / forward: {c.forward}"


def _at_field(value: Any, field: str) -> tuple[bool, Any]:
    """The part of a witness at the change's field ("*" is the first element)."""
    node = value
    for token in field.split("/")[1:] if field else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and node:
            node = node[0] if token == "*" or not token.isdigit() else node[min(int(token), len(node) - 1)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return False, None
    return True, node


def _witness_line(c: Change, lang: str) -> str | None:
    if c.witness is None:
        return None
    v = _dump(c.witness.value)
    if len(v) > 160:
        v = v[:157] + "..."
    found, part = _at_field(c.witness.value, c.field)
    focus = f"{c.field} = {_dump(part)}" if c.field and found else ""
    filled = c.witness_form_ja if lang == "ja" else c.witness_form_en
    if filled:  # the witness as a filled form (registry.diff.explain)
        focus = f"「{filled}」" if lang == "ja" else f'"{filled}"'
    if lang == "ja":
        side, other = ("旧版", "新版") if c.witness.accepted_by == "old" else ("新版", "旧版")
        if focus:
            sep = "" if focus.endswith("」") else " "
            return f"    例: {focus}{sep}の申請データは{side}で有効、{other}で無効（全体: {v}）"
        if c.field and c.kind.startswith("required_"):
            return f"    例: {c.field} のない申請データは{side}で有効、{other}で無効（全体: {v}）"
        return f"    例: {v} は{side}で有効、{other}で無効"
    side, other = ("old", "new") if c.witness.accepted_by == "old" else ("new", "old")
    if not focus and c.field and c.kind.startswith("required_"):
        return f"    e.g. data without {c.field} is valid under the {side} version and invalid under the {other} (whole: {v})"
    if focus:
        return f"    e.g. data with {focus} is valid under the {side} version and invalid under the {other} (whole: {v})"
    return f"    e.g. {v} is valid under the {side} version and invalid under the {other}"


def _groups(d: Diff) -> list[tuple[str, list[Change]]]:
    """Changes grouped by field, groups ordered by their worst change (breaking first)."""
    groups: dict[str, list[Change]] = {}
    for c in d.changes:
        groups.setdefault(c.field or "", []).append(c)

    def rank(c: Change) -> int:
        if "breaking" in (c.backward, c.forward):
            return 0
        if "unknown" in (c.backward, c.forward):
            return 1
        return 3 if c.cosmetic else 2

    return sorted(groups.items(), key=lambda kv: min(rank(c) for c in kv[1]))


def _group_label(field: str, changes: list[Change], lang: str) -> str:
    title = next((c.title for c in changes if c.title and c.field == field), None)
    if lang == "ja":
        where = field or "フォーム全体"
        return f"■ 『{title}』（{where}）" if title else f"■ {where}"
    where = field or "the form"
    return f"■ {title} ({where})" if title else f"■ {where}"


def summary(d: Diff, lang: str) -> str:
    """One line: both verdicts and the bump."""
    if lang == "ja":
        return (f"後方互換: {VERDICT_JA[d.backward]}、前方互換: {VERDICT_JA[d.forward]}、"
                f"必要な版の上げ方: {BUMP_JA[d.bump]}（{d.bump}、互換性モード {d.mode}、ポリシー {d.policy}）、変更 {len(d.changes)} 件")
    return (f"backward: {d.backward}, forward: {d.forward}, required bump: {d.bump} "
            f"(mode {d.mode}, policy {d.policy}), {len(d.changes)} change(s)")


def render_text(d: Diff, lang: str, header: str = "") -> str:
    """Japanese (or English) text, grouped by field, breaking first."""
    lines = [header] if header else []
    if not d.changes:
        lines.append("意味のある違いはありません。" if lang == "ja" else "No semantic difference.")
    for field, changes in _groups(d):
        lines.append(_group_label(field, changes, lang))
        for c in changes:
            msg = c.message_ja if lang == "ja" else c.message
            lines.append(f"  [{_verdicts(c, lang)}] {c.kind} {c.pointer or '/'}: {msg}")
            w = _witness_line(c, lang)
            if w:
                lines.append(w)
    lines.append(summary(d, lang))
    return "\n".join(lines)


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", "<br>")


def render_markdown(d: Diff, lang: str, title: str = "") -> str:
    """A Markdown report for pull-request comments."""
    worst = "breaking" if "breaking" in (d.backward, d.forward) else (
        "unknown" if "unknown" in (d.backward, d.forward) else "compatible")
    out = [f"### {VERDICT_ICON[worst]} {title or ('スキーマの差分' if lang == 'ja' else 'Schema diff')}", ""]
    if lang == "ja":
        out += ["| 後方互換 | 前方互換 | 版の上げ方 |", "|---|---|---|",
                f"| {VERDICT_ICON[d.backward]} {VERDICT_JA[d.backward]} | {VERDICT_ICON[d.forward]} "
                f"{VERDICT_JA[d.forward]} | **{d.bump}** |", ""]
    else:
        out += ["| backward | forward | bump |", "|---|---|---|",
                f"| {VERDICT_ICON[d.backward]} {d.backward} | {VERDICT_ICON[d.forward]} {d.forward} | **{d.bump}** |", ""]
    if d.changes:
        out.append("| 項目 | 変更 | 後方 | 前方 | 内容 |" if lang == "ja" else
                   "| field | change | backward | forward | message |")
        out.append("|---|---|---|---|---|")
        for field, changes in _groups(d):
            for c in changes:
                label = (c.title or field or "/")
                msg = c.message_ja if lang == "ja" else c.message
                if c.witness is not None:
                    msg += f"<br>{'例' if lang == 'ja' else 'e.g.'}: `{_md(_dump(c.witness.value))[:300]}` ({c.witness.accepted_by})"
                out.append(f"| {_md(label)} | `{c.kind}`<br>`{_md(c.pointer or '/')}` | "
                           f"{VERDICT_ICON[c.backward]} | {VERDICT_ICON[c.forward]} | {_md(msg)} |")
    else:
        out.append("意味のある違いはありません。" if lang == "ja" else "No semantic difference.")
    return "\n".join(out) + "\n"


def _gh(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh(s).replace(":", "%3A").replace(",", "%2C")


def render_github(d: Diff, lang: str, old: Loaded, new: Loaded, needed: tuple[bool, bool]) -> str:
    """GitHub Actions annotations: errors for breaks the mode needs, warnings, notices."""
    texts: dict[Path, str | None] = {}

    def position(file: Path | None, pointer: str) -> tuple[int, int] | None:
        if file is None:
            return None
        if file not in texts:
            try:
                texts[file] = file.read_text(encoding="utf-8-sig")
            except OSError:
                texts[file] = None
        text = texts[file]
        if text is None:
            return None
        try:
            from registry.syntax import sourcemap
        except ImportError:
            return None
        p = pointer
        while True:
            try:
                pos = sourcemap.locate(text, p)
            except Exception:
                pos = None
            if pos is not None or not p:
                return pos
            p = p.rsplit("/", 1)[0]  # a keyword added beside others: point at its parent

    lines = []
    for c in d.changes:
        removal = c.after is None and c.before is not None
        src = old if removal else new
        dirs = [v for v, need in ((c.backward, needed[0]), (c.forward, needed[1])) if need]
        level = ("error" if "breaking" in dirs else "warning" if "unknown" in dirs
                 else "notice")
        props = []
        if src.file is not None:
            props.append(f"file={_gh_prop(str(src.file))}")
            pos = position(src.file, c.pointer)
            if pos is not None:
                props.append(f"line={pos[0]}")
                props.append(f"col={pos[1]}")
        props.append(f"title={_gh_prop(c.kind + ' ' + (c.pointer or '/'))}")
        msg = (c.message_ja if lang == "ja" else c.message) + f" ({_verdicts(c, lang)})"
        w = _witness_line(c, lang)
        if w:
            msg += "\n" + w.strip()
        lines.append(f"::{level} {','.join(props)}::{_gh(msg)}")
    lines.append(summary(d, lang))
    return "\n".join(lines)
