"""Submission errors in words a member of staff understands, in Japanese and English.

A validator says ``"1" does not match "^[0-9]{3}-[0-9]{4}$"``; staff need
「郵便番号は 123-4567 の形式で入力してください」. Each function here takes the failing keyword's
details, the field's title and its schema, and returns ``(message_ja, message_en)``.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

_TYPE_JA = {
    "integer": "整数", "number": "数値", "string": "文字", "boolean": "「はい」か「いいえ」",
    "array": "一覧（複数の値）", "object": "項目のまとまり", "null": "空欄",
}
_TYPE_EN = {
    "integer": "a whole number", "number": "a number", "string": "text", "boolean": "yes or no",
    "array": "a list of values", "object": "a group of fields", "null": "empty",
}
_SHOWS_INSTANCE = frozenset({"maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"})
_FORMAT_EXAMPLE = {
    "date": ("日付を 2024-04-01 の形式で", "a date in the form 2024-04-01"),
    "date-time": ("日時を 2024-04-01T09:00:00+09:00 の形式で", "a date and time like 2024-04-01T09:00:00+09:00"),
    "time": ("時刻を 09:00:00+09:00 の形式で", "a time like 09:00:00+09:00"),
    "email": (" taro@example.jp の形式で", "an e-mail address like taro@example.jp"),
    "uri": (" https://example.jp/ の形式で", "a URL like https://example.jp/"),
    "duration": ("期間を P1D の形式で", "a duration like P1D"),
}
MAX_LISTED = 12
# A value quoted back to staff is cut here (a 400-character note need not be repeated whole).
MAX_SHOWN = 60
_CONTROL = re.compile(r"[\x00-\x1f]")


def show(value: Any) -> str:
    """A value as staff would write it (strings without JSON quotes)."""
    if isinstance(value, str):
        # Control characters (a trailing newline from a spreadsheet) must stay visible.
        if _CONTROL.search(value):
            return msgspec.json.encode(value).decode()
        return value if len(value) <= MAX_SHOWN else value[:MAX_SHOWN] + "…"
    if value is True:
        return "はい(true)"
    if value is False:
        return "いいえ(false)"
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _label(value: Any, schema: dict[str, Any]) -> str:
    labels = schema.get("x-yoshiki-enum-labels")
    if isinstance(labels, dict) and isinstance(value, str | int) and str(value) in labels:
        return f"{labels[str(value)]}（{show(value)}）"
    return show(value)


def _choices(options: list[Any], schema: dict[str, Any]) -> str:
    shown = [_label(o, schema) for o in options[:MAX_LISTED]]
    more = " …" if len(options) > MAX_LISTED else ""
    return "、".join(shown) + more


def _example_of(schema: dict[str, Any]) -> str | None:
    """An example of the expected form: placeholder, first example, or the description."""
    for key in ("x-yoshiki-placeholder",):
        if isinstance(schema.get(key), str) and schema[key]:
            return str(schema[key])
    examples = schema.get("examples")
    if isinstance(examples, list) and examples and isinstance(examples[0], str | int | float):
        return show(examples[0])
    return None


def explain(keyword: str, details: dict[str, Any], title: str, schema: dict[str, Any],
            instance: Any, fallback: str) -> tuple[str, str]:
    """(Japanese, English) message for one failed keyword on the field called ``title``."""
    t = title
    if keyword == "required":
        return f"『{t}』を入力してください", f"Enter “{t}”."
    if keyword == "anyOf-required":
        titles = [f"『{x}』" for x in details["titles"]]
        return (f"{'、'.join(titles)}のいずれかを入力してください",
                f"Fill in at least one of {', '.join(f'“{x}”' for x in details['titles'])}.")
    if keyword == "type":
        # A string shown with quotes: 「"3"」 tells staff the value was text, not a number.
        got = msgspec.json.encode(instance).decode() if isinstance(instance, str) else show(instance)
        types = details.get("types") or [details.get("expected")]
        types = [str(x) for x in types if x is not None and x != "null"] or ["null"]
        ja = "または".join(_TYPE_JA.get(x, x) for x in types)
        en = " or ".join(_TYPE_EN.get(x, x) for x in types)
        return f"{t}は{ja}で入力してください（入力値: {got}）", f"“{t}” must be {en} (got {got})."
    if keyword == "enum":
        options = list(details.get("options") or schema.get("enum") or [])
        return (f"{t}は次のいずれかを選んでください: {_choices(options, schema)}（入力値: {show(instance)}）",
                f"Choose one of these for “{t}”: {', '.join(show(o) for o in options[:MAX_LISTED])} (got {show(instance)}).")
    if keyword == "const":
        expected = details.get("expected_value", schema.get("const"))
        return f"{t}は「{show(expected)}」にしてください", f"“{t}” must be {show(expected)}."
    if keyword == "pattern":
        example = _example_of(schema)
        desc = schema.get("description") if isinstance(schema.get("description"), str) else None
        if example is not None:
            return (f"{t}は {example} の形式で入力してください（入力値: {show(instance)}）",
                    f"Write “{t}” in the form {example} (got {show(instance)}).")
        if desc:
            return (f"{t}の形式が正しくありません。{desc}（入力値: {show(instance)}）",
                    f"“{t}” is not in the expected form: {desc} (got {show(instance)}).")
        pattern = details.get("pattern", schema.get("pattern"))
        return (f"{t}の形式が正しくありません（入力値: {show(instance)}、形式: {pattern}）",
                f"“{t}” is not in the expected form {pattern} (got {show(instance)}).")
    if keyword == "format":
        fmt = str(details.get("format", schema.get("format")))
        ja, en = _FORMAT_EXAMPLE.get(fmt, (f"{fmt} の形式で", f"in {fmt} format"))
        return f"{t}は{ja}入力してください（入力値: {show(instance)}）", f"Write “{t}” as {en} (got {show(instance)})."
    limit = details.get("limit")
    got = show(instance) if keyword in _SHOWS_INSTANCE else ""
    simple = {
        "maxLength": (f"{t}は{limit}文字以内で入力してください", f"“{t}” may be at most {limit} characters."),
        "minLength": ((f"{t}は{limit}文字以上で入力してください" if limit != 1 else f"『{t}』を入力してください"),
                      f"“{t}” needs at least {limit} characters."),
        "maximum": (f"{t}は{limit}以下にしてください（入力値: {got}）", f"“{t}” may be at most {limit} (got {got})."),
        "minimum": (f"{t}は{limit}以上にしてください（入力値: {got}）", f"“{t}” must be at least {limit} (got {got})."),
        "exclusiveMaximum": (f"{t}は{limit}より小さくしてください（入力値: {got}）", f"“{t}” must be less than {limit} (got {got})."),
        "exclusiveMinimum": (f"{t}は{limit}より大きくしてください（入力値: {got}）", f"“{t}” must be greater than {limit} (got {got})."),
        "maxItems": (f"{t}は{limit}個以内で選んでください", f"Choose at most {limit} for “{t}”."),
        "minItems": (f"{t}は{limit}個以上選んでください", f"Choose at least {limit} for “{t}”."),
        "maxProperties": (f"{t}の項目は{limit}個以内にしてください", f"“{t}” may have at most {limit} fields."),
        "minProperties": (f"{t}の項目は{limit}個以上にしてください", f"“{t}” needs at least {limit} fields."),
        "multipleOf": (f"{t}は{details.get('multiple_of')}の倍数にしてください", f"“{t}” must be a multiple of {details.get('multiple_of')}."),
        "uniqueItems": (f"{t}で同じものを重複して選ばないでください", f"“{t}” has the same value twice."),
    }
    if keyword in simple:
        return simple[keyword]
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        names = "、".join(str(n) for n in details.get("unexpected", []))
        return (f"{t}に、このフォームにない項目があります: {names}",
                f"“{t}” has fields this form does not have: {', '.join(map(str, details.get('unexpected', [])))}.")
    if keyword == "falseSchema":
        return f"{t}はこのフォームでは入力できません", f"“{t}” cannot be filled in on this form."
    if keyword in ("anyOf", "oneOf"):
        return (f"{t}の入力内容が条件に合いません（いずれかの条件を満たしてください）",
                f"“{t}” does not meet any of the allowed alternatives.")
    if keyword == "not":
        return f"{t}にこの値は入力できません（入力値: {show(instance)}）", f"“{t}” may not be {show(instance)}."
    return f"{t}の入力内容が正しくありません（{fallback}）", f"“{t}” is not valid: {fallback}."
