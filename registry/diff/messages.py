"""Messages for changes: Japanese naming the field by its title, English alongside."""

from __future__ import annotations

import json
from typing import Any

from registry.diff.model import Change

# kind -> (English, Japanese); {f} the field, {b} before, {a} after, {v} the value concerned.
TEMPLATES: dict[str, tuple[str, str]] = {
    "type_narrowed": ("The type of {f} was narrowed from {b} to {a}.", "{f}の型が {b} から {a} に狭まりました。"),
    "type_widened": ("The type of {f} was widened from {b} to {a}.", "{f}の型が {b} から {a} に広がりました。"),
    "type_changed": ("The type of {f} changed from {b} to {a}.", "{f}の型が {b} から {a} に変わりました。"),
    "enum_added": ("{f} is now limited to the choices {a}.", "{f}の値が選択肢 {a} に限定されました。"),
    "enum_removed": ("{f} is no longer limited to the choices {b}.", "{f}の選択肢 {b} による制限がなくなりました。"),
    "enum_value_added": ("Option {v} was added to {f}; readers on the old version reject it.",
                         "{f}に選択肢{v}が追加されました。旧版で処理するシステムはこの値を受け付けません。"),
    "enum_value_removed": ("Option {v} was removed from {f}; submissions already collected with {v} are invalid under the new version.",
                           "{f}の選択肢{v}が削除されました。これまでに受け付けた{v}の申請データは新しい版では無効になります。"),
    "const_changed": ("The fixed value of {f} changed from {b} to {a}.", "{f}の固定値が {b} から {a} に変わりました。"),
    "multiple_of_added": ("{f} must now be a multiple of {a}.", "{f}は {a} の倍数でなければならなくなりました。"),
    "multiple_of_removed": ("{f} no longer has to be a multiple of {b}.", "{f}の倍数の制約（{b}）がなくなりました。"),
    "multiple_of_changed": ("The step of {f} changed from {b} to {a}.", "{f}の倍数の制約が {b} から {a} に変わりました。"),
    "pattern_added": ("{f} must now match the pattern {a}.", "{f}に入力形式（パターン {a}）が追加されました。"),
    "pattern_removed": ("The pattern {b} of {f} was removed.", "{f}の入力形式（パターン {b}）がなくなりました。"),
    "pattern_changed": ("The pattern of {f} changed from {b} to {a}.", "{f}の入力形式（パターン）が {b} から {a} に変わりました。"),
    "format_added": ("{f} now has the format {a}.", "{f}に形式 {a} が指定されました。"),
    "format_removed": ("The format {b} of {f} was removed.", "{f}の形式 {b} の指定がなくなりました。"),
    "format_changed": ("The format of {f} changed from {b} to {a}.", "{f}の形式が {b} から {a} に変わりました。"),
    "property_added": ("The field {f} was added.", "項目{f}が追加されました。"),
    "property_removed": ("The field {f} was removed.", "項目{f}が削除されました。"),
    "required_added": ("{f} ({v}) is now required.", "{f}（{v}）が必須になりました。"),
    "required_removed": ("{f} ({v}) is no longer required.", "{f}（{v}）が必須ではなくなりました。"),
    "additional_properties_closed": ("{f} no longer accepts properties it does not declare.", "{f}は定義されていない項目を受け付けなくなりました。"),
    "additional_properties_opened": ("{f} now accepts properties it does not declare.", "{f}は定義されていない項目も受け付けるようになりました。"),
    "additional_properties_added": ("Undeclared properties of {f} are now constrained.", "{f}の定義されていない項目に制約が付きました。"),
    "additional_properties_removed": ("Undeclared properties of {f} are no longer constrained.", "{f}の定義されていない項目の制約がなくなりました。"),
    "pattern_properties_added": ("Properties of {f} matching {v} are now constrained.", "{f}の名前が {v} に合う項目に制約が付きました。"),
    "pattern_properties_removed": ("Properties of {f} matching {v} are no longer constrained.", "{f}の名前が {v} に合う項目の制約がなくなりました。"),
    "property_names_added": ("The property names of {f} are now constrained.", "{f}の項目名に制約が付きました。"),
    "property_names_removed": ("The property names of {f} are no longer constrained.", "{f}の項目名の制約がなくなりました。"),
    "dependent_required_added": ("In {f}, {v} now requires other fields.", "{f}で {v} を入力したときに必須となる項目が追加されました。"),
    "dependent_required_removed": ("In {f}, {v} no longer requires other fields.", "{f}で {v} を入力したときの必須項目が減りました。"),
    "dependent_schemas_added": ("{f} gained a rule that applies when {v} is present.", "{f}に {v} があるときの条件が追加されました。"),
    "dependent_schemas_removed": ("{f} lost the rule that applied when {v} is present.", "{f}の {v} があるときの条件が削除されました。"),
    "unevaluated_properties_changed": ("unevaluatedProperties of {f} or what it depends on changed.", "{f}の unevaluatedProperties またはその前提が変わりました。"),
    "unevaluated_items_changed": ("unevaluatedItems of {f} or what it depends on changed.", "{f}の unevaluatedItems またはその前提が変わりました。"),
    "items_added": ("The items of {f} are now constrained.", "{f}の各要素に制約が付きました。"),
    "items_removed": ("The items of {f} are no longer constrained.", "{f}の各要素の制約がなくなりました。"),
    "items_closed": ("{f} no longer accepts items beyond its fixed positions.", "{f}は決められた位置より後の要素を受け付けなくなりました。"),
    "items_opened": ("{f} now accepts items beyond its fixed positions.", "{f}は決められた位置より後の要素も受け付けるようになりました。"),
    "prefix_items_added": ("Position {f} got its own schema.", "{f}の位置に専用の定義が付きました。"),
    "prefix_items_removed": ("Position {f} lost its own schema.", "{f}の位置の専用の定義がなくなりました。"),
    "contains_added": ("{f} must now contain a matching item.", "{f}に条件に合う要素が必要になりました。"),
    "contains_removed": ("{f} no longer needs a matching item.", "{f}に条件に合う要素が不要になりました。"),
    "contains_changed": ("The contains condition of {f} changed.", "{f}の contains の条件が変わりました。"),
    "unique_items_added": ("Items of {f} must now be unique.", "{f}の要素は重複できなくなりました。"),
    "unique_items_removed": ("Items of {f} may now repeat.", "{f}の要素が重複できるようになりました。"),
    "any_of_added": ("{f} must now match one of several alternatives (anyOf).", "{f}に「いずれかに合う」条件（anyOf）が追加されました。"),
    "any_of_removed": ("The anyOf alternatives of {f} were removed.", "{f}の「いずれかに合う」条件（anyOf）がなくなりました。"),
    "any_of_branch_added": ("An alternative was added to {f} (anyOf).", "{f}の選択肢となる定義（anyOf）が追加されました。"),
    "any_of_branch_removed": ("An alternative was removed from {f} (anyOf).", "{f}の選択肢となる定義（anyOf）が削除されました。"),
    "one_of_added": ("{f} must now match exactly one alternative (oneOf).", "{f}に「ちょうど一つに合う」条件（oneOf）が追加されました。"),
    "one_of_removed": ("The oneOf alternatives of {f} were removed.", "{f}の「ちょうど一つに合う」条件（oneOf）がなくなりました。"),
    "one_of_branch_added": ("An alternative was added to {f} (oneOf).", "{f}の選択肢となる定義（oneOf）が追加されました。"),
    "one_of_branch_removed": ("An alternative was removed from {f} (oneOf).", "{f}の選択肢となる定義（oneOf）が削除されました。"),
    "one_of_changed": ("The oneOf alternatives of {f} changed.", "{f}の「ちょうど一つに合う」条件（oneOf）が変わりました。"),
    "all_of_added": ("{f} gained conditions (allOf).", "{f}に条件（allOf）が追加されました。"),
    "all_of_removed": ("The allOf conditions of {f} were removed.", "{f}の条件（allOf）がなくなりました。"),
    "all_of_branch_added": ("A condition was added to {f} (allOf).", "{f}に条件（allOf）が一つ追加されました。"),
    "all_of_branch_removed": ("A condition was removed from {f} (allOf).", "{f}の条件（allOf）が一つ削除されました。"),
    "not_added": ("{f} gained an exclusion (not).", "{f}に除外条件（not）が追加されました。"),
    "not_removed": ("The exclusion (not) of {f} was removed.", "{f}の除外条件（not）がなくなりました。"),
    "conditional_added": ("{f} gained a conditional rule (if/then/else).", "{f}に条件付きの規則（if/then/else）が追加されました。"),
    "conditional_removed": ("The conditional rule of {f} was removed.", "{f}の条件付きの規則（if/then/else）が削除されました。"),
    "conditional_changed": ("The condition (if) of {f} changed.", "{f}の条件（if）が変わりました。"),
    "schema_became_false": ("{f} now accepts no value at all.", "{f}はどんな値も受け付けなくなりました。"),
    "schema_became_true": ("{f} now accepts values where it accepted none.", "{f}は値を受け付けるようになりました（以前は受け付けませんでした）。"),
    "ref_target_changed": ("The reference of {f} changed from {b} to {a}.", "{f}の参照先が {b} から {a} に変わりました。"),
    "annotation_changed": ("An annotation of {f} changed ({k}).", "{f}の説明・表示（{k}）が変わりました。"),
    "default_changed": ("The default of {f} changed from {b} to {a}.", "{f}の初期値が {b} から {a} に変わりました。"),
    "locked_changed": ("The lock of {f} (x-yoshiki-locked) changed from {b} to {a}.", "{f}の固定指定（x-yoshiki-locked）が {b} から {a} に変わりました。"),
    "identifier_changed": ("The identifier {k} of {f} changed.", "{f}の識別子（{k}）が変わりました。"),
    "unknown_keyword_changed": ("The unknown keyword {k} of {f} changed (ignored by validation).", "{f}の未知のキーワード {k} が変わりました（検証には使われません）。"),
    "invalid_keyword_changed": ("An invalid value of {k} in {f} changed.", "{f}の {k} の不正な値が変わりました。"),
    "too_complex": ("{f} is too complex to compare ({a}).", "{f}は複雑すぎて比較できません（{a}）。"),
}

_BOUNDS = {
    "minimum": ("minimum", "最小値"), "exclusive_minimum": ("exclusive minimum", "下限（その値を含まない）"),
    "maximum": ("maximum", "最大値"), "exclusive_maximum": ("exclusive maximum", "上限（その値を含まない）"),
    "min_length": ("minimum length", "最小文字数"), "max_length": ("maximum length", "最大文字数"),
    "min_items": ("minimum number of items", "最小の要素数"), "max_items": ("maximum number of items", "最大の要素数"),
    "min_properties": ("minimum number of properties", "最小の項目数"),
    "max_properties": ("maximum number of properties", "最大の項目数"),
    "min_contains": ("minimum number of matching items", "条件に合う要素の最小数"),
    "max_contains": ("maximum number of matching items", "条件に合う要素の最大数"),
}
_STEPS = {"added": ("was set to {a}", "が {a} に設定されました"),
          "removed": ("({b}) was removed", "（{b}）の指定がなくなりました"),
          "increased": ("was raised from {b} to {a}", "が {b} から {a} に上がりました"),
          "decreased": ("was lowered from {b} to {a}", "が {b} から {a} に下がりました")}
for _name, (_en, _ja) in _BOUNDS.items():
    for _step, (_s_en, _s_ja) in _STEPS.items():
        TEMPLATES[f"{_name}_{_step}"] = (f"The {_en} of {{f}} {_s_en}.", f"{{f}}の{_ja}{_s_ja}。")

NEUTRAL = {
    "enum_value_added": ("Option {v} was added to {f}.", "{f}に選択肢{v}が追加されました。"),
    "enum_value_removed": ("Option {v} was removed from {f}.", "{f}の選択肢{v}が削除されました。"),
}

CONSEQUENCE = {
    "backward": ("Data accepted by the old version can be rejected by the new one.",
                 "これまでに受け付けた申請データの一部が新しい版では無効になります。"),
    "forward": ("Data of the new version can be rejected by readers still on the old version.",
                "新しい版の申請データの一部は、旧版を前提とする処理（集計・取込）で受け付けられません。"),
    "unknown": ("Compatibility cannot be decided automatically; please check it.",
                "互換性を自動では判定できません。内容を確認してください。"),
    "cosmetic": ("The accepted data does not change.", "受け付けるデータは変わりません。"),
}


def _value(v: Any, lang: str) -> str:
    if isinstance(v, str):
        text = v
        return f"「{text}」" if lang == "ja" else f'"{text}"'
    try:
        text = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def field_label(change: Change, lang: str) -> str:
    """How a message names the field: its title, else its instance path, else the whole form."""
    if change.title:
        return f"『{change.title}』" if lang == "ja" else f'"{change.title}"'
    if change.field:
        return f"「{change.field}」" if lang == "ja" else change.field
    return "フォーム全体" if lang == "ja" else "the form"


def render(change: Change) -> tuple[str, str]:
    """(English, Japanese) message of a change."""
    en_t, ja_t = TEMPLATES.get(change.kind, ("{f}: {k} changed.", "{f}: {k} が変わりました。"))
    key = change.pointer.rsplit("/", 1)[-1] if change.pointer else ""
    concerned = change.before if change.before is not None else change.after
    if change.kind.startswith(("pattern_properties", "dependent_")):
        concerned = key
    special = change.kind in ("enum_value_removed", "enum_value_added")
    if special and not ((change.kind == "enum_value_removed" and change.backward == "breaking")
                        or (change.kind == "enum_value_added" and change.forward == "breaking")):
        en_t, ja_t = NEUTRAL[change.kind]
        special = False
    out = []
    for lang, tmpl in (("en", en_t), ("ja", ja_t)):
        v = _value(concerned, lang)
        if change.value_label and change.value_label != concerned:
            v += f"（{change.value_label}）" if lang == "ja" else f" ({change.value_label})"
        text = tmpl.format(f=field_label(change, lang), b=_value(change.before, lang),
                           a=_value(change.after, lang), v=v, k=key)
        extra = []
        if change.cosmetic:
            extra.append(CONSEQUENCE["cosmetic"])
        else:
            if change.backward == "breaking" and not special:
                extra.append(CONSEQUENCE["backward"])
            if change.forward == "breaking" and not special:
                extra.append(CONSEQUENCE["forward"])
            if "unknown" in (change.backward, change.forward):
                extra.append(CONSEQUENCE["unknown"])
        idx = 0 if lang == "en" else 1
        text = " ".join([text, *(e[idx] for e in extra)]) if lang == "en" else text + "".join(e[idx] for e in extra)
        out.append(text)
    return out[0], out[1]
