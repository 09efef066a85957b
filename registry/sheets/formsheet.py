"""A form as a spreadsheet (after XLSForm): the 項目, 選択肢 and 設定 sheets, both ways. Pure.

``to_sheets`` turns a version (template.json, schema.json, examples) into rows; ``from_sheets``
turns rows back into a version. What the sheets cannot express is refused by ``to_sheets`` with
its JSON pointer and the reason (``SheetRefused``), never dropped: after building the rows the
export reads them back and compares with the schema, so a gap in this module is a refusal, not a
silent loss. Import errors name the sheet, the cell and what to write (``SheetErrors``).

Vocabulary (docs/format.md "A form as a spreadsheet"):

- 項目ID: the property name; a nested field is ``parent.child``; the items of a list ``name[]``;
  a definition under ``$defs`` is ``$defs.name``.
- 種類: テキスト, 整数, 数値, はい/いいえ, 日付, 日時, 時刻, 選択, 複数選択, 同意 (a check that must be
  ticked: boolean, const true), グループ, 一覧, a shared
  definition by its Japanese name (氏名, フリガナ, 生年月日, 郵便番号, 都道府県, 住所, 電話番号,
  メールアドレス, 児童・生徒), or ``参照 <$ref>`` for another reference.
- 必須: はい (required), いずれか (at least one of the fields marked so), empty.
- 上限・下限: ``1〜200文字``, ``34〜42``, ``1〜3個``; an open side is left empty (``〜10文字``).
- 形式: one ``キー: 値`` per line: 入力 (ラジオボタン, プルダウン, チェックボックス, 複数行, カレンダー,
  非表示), パターン, 正規化, 入力例, 既定値, 重複 (不可/可), その他の項目 (不可/可), 必須の子項目,
  英語名, 書式, 固定値 (JSON), 職員記入 (はい/いいえ: x-yoshiki-staff-only).
- 表示条件: ``区分 = 遅刻`` / ``区分 = 遅刻、早退`` / ``受け取るもの に 調剤券 を含む`` — the field is
  required when the condition holds (if/then); one condition per line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from registry.models import Issue
from registry.submissions.readers import column_letter

ITEMS_SHEET, CHOICES_SHEET, SETTINGS_SHEET, EXAMPLES_SHEET = "項目", "選択肢", "設定", "記入例"
ITEM_COLUMNS = ("項目ID", "項目名", "種類", "必須", "説明", "上限・下限", "形式", "個人情報", "表示条件", "固定")
CHOICE_COLUMNS = ("リスト名", "値", "表示名")
SETTING_COLUMNS = ("設定", "値")
EXAMPLE_COLUMNS = ("区分", "ファイル名", "内容")

COMMON = {
    "/common/person-name.json": "氏名", "/common/furigana.json": "フリガナ",
    "/common/birth-date.json": "生年月日", "/common/postal-code.json": "郵便番号",
    "/common/prefecture.json": "都道府県", "/common/address.json": "住所",
    "/common/phone.json": "電話番号", "/common/email.json": "メールアドレス",
    "/common/student.json": "児童・生徒",
}
COMMON_BY_NAME = {v: k for k, v in COMMON.items()}
SCALAR_KINDS = {"テキスト": "string", "整数": "integer", "数値": "number", "はい/いいえ": "boolean"}
FORMAT_KINDS = {"日付": "date", "日時": "date-time", "時刻": "time"}
KINDS = (*SCALAR_KINDS, *FORMAT_KINDS, "選択", "複数選択", "同意", "グループ", "一覧", *COMMON_BY_NAME, "参照")
WIDGETS = {"radio": "ラジオボタン", "select": "プルダウン", "checkboxes": "チェックボックス",
           "textarea": "複数行", "date": "カレンダー", "hidden": "非表示"}
WIDGETS_BY_NAME = {v: k for k, v in WIDGETS.items()}
YES, NO, ANY_OF = "はい", "いいえ", "いずれか"
_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_BOUND = re.compile(r"\s*(-?[0-9.eE+\-]*)\s*〜\s*(-?[0-9.eE+\-]*)\s*(文字|個)?\s*")
_COND_EQ = re.compile(r"(.+?)\s*=\s*(.+)")
_COND_HAS = re.compile(r"(.+?)\s+に\s+(.+?)\s+を含む")
BOUND_KEYS = {"文字": ("minLength", "maxLength"), "個": ("minItems", "maxItems"), "": ("minimum", "maximum")}
FIELD_KEYS = frozenset({
    "type", "title", "description", "properties", "required", "items", "enum", "x-yoshiki-enum-labels",
    "$ref", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems",
    "uniqueItems", "additionalProperties", "x-yoshiki-widget", "x-yoshiki-normalize", "x-yoshiki-placeholder",
    "x-yoshiki-personal", "x-yoshiki-locked", "x-yoshiki-title-en", "default", "allOf", "anyOf", "const",
    "x-yoshiki-staff-only"})
ROOT_KEYS = frozenset({"$schema", "$id", "$defs", "title", "description", "type", "properties", "required",
                       "additionalProperties", "allOf", "anyOf", "x-yoshiki-title-en"})
JSON_SETTINGS = frozenset({"tags", "maintainers", "upstream", "lint", "migrations"})
TEXT_SETTINGS = frozenset({"title", "title_en", "description", "category", "license", "changelog", "compatibility"})
MAX_ROWS = 5_000


class SheetRefused(Exception):
    """The version uses something the sheets cannot express (each issue: pointer + reason)."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.pointer}: {i.message}" for i in issues))
        self.issues = issues


class SheetErrors(Exception):
    """The workbook cannot be read as a form (each issue names the sheet and cell)."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


@dataclass
class Sheets:
    """The rows of a form workbook (header rows excluded), cell values as text."""

    items: list[list[str]] = field(default_factory=list)
    choices: list[list[str]] = field(default_factory=list)
    settings: list[list[str]] = field(default_factory=list)
    examples: list[list[str]] = field(default_factory=list)


# --------------------------------------------------------------------------- export


def _refusal(pointer: str, en: str, ja: str) -> Issue:
    return Issue(rule="sheet.cannot-express", pointer=pointer, message=f"{pointer}: {en}",
                 message_ja=f"{pointer}: {ja}", hint="Edit this template as JSON (schema.json) instead.",
                 hint_ja="このテンプレートは表ではなく schema.json で編集してください。")


def _num(v: Any) -> str:
    return json.dumps(v)


class _Exporter:
    def __init__(self) -> None:
        self.items: list[list[str]] = []
        self.choices: list[list[str]] = []
        self.refused: list[Issue] = []

    def refuse(self, pointer: str, en: str, ja: str) -> None:
        self.refused.append(_refusal(pointer, en, ja))

    def object_members(self, node: dict[str, Any], prefix: str, pointer: str) -> None:
        """Rows for the properties of an object node, with 必須 and 表示条件 from the node."""
        props = node.get("properties", {})
        if not isinstance(props, dict):
            self.refuse(pointer, "properties is not an object", "properties がオブジェクトではありません")
            return
        required = node.get("required", [])
        if not isinstance(required, list) or any(r not in props for r in required):
            self.refuse(f"{pointer}/required", "required names a field that is not in properties",
                        "required に properties にない項目があります")
            required = []
        any_of = self._any_of(node, props, pointer)
        conditions = self._conditions(node, props, pointer)
        for name, sub in props.items():
            ptr = f"{pointer}/properties/{name}"
            if not _NAME.fullmatch(name) or name.startswith("$"):
                self.refuse(ptr, f"the field name {name!r} cannot be a 項目ID (letters, digits, _ and - only)",
                            f"項目名 {name!r} は項目ID にできません（英数字・_・- のみ）")
                continue
            need = YES if name in required else ANY_OF if name in any_of else ""
            if name in required and name in any_of:
                self.refuse(ptr, "the field is both required and in anyOf", "必須と「いずれか」の両方に指定されています")
            self.field(sub, f"{prefix}{name}", ptr, need, "\n".join(conditions.get(name, [])))

    def _any_of(self, node: dict[str, Any], props: dict[str, Any], pointer: str) -> list[str]:
        any_of = node.get("anyOf")
        if any_of is None:
            return []
        ok = (isinstance(any_of, list) and len(any_of) >= 2
              and all(isinstance(a, dict) and set(a) == {"required"} and isinstance(a["required"], list)
                      and len(a["required"]) == 1 and a["required"][0] in props for a in any_of))
        if not ok:
            self.refuse(f"{pointer}/anyOf", "only anyOf of single required fields (one of these) can be written",
                        "anyOf は「いずれかを入力」（1項目ずつの required）だけを表せます")
            return []
        return [a["required"][0] for a in any_of]

    def _conditions(self, node: dict[str, Any], props: dict[str, Any], pointer: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        all_of = node.get("allOf")
        if all_of is None:
            return out
        if not isinstance(all_of, list):
            self.refuse(f"{pointer}/allOf", "allOf is not a list", "allOf が配列ではありません")
            return out
        titles = [p.get("title") for p in props.values() if isinstance(p, dict)]
        for i, cond in enumerate(all_of):
            ptr = f"{pointer}/allOf/{i}"
            text = self._condition_text(cond, props, titles)
            if text is None:
                self.refuse(ptr, "only “required when a choice is …” (if/then with const, enum or contains) "
                            "can be written as 表示条件", "表示条件にできるのは「選択が○○のとき必須」"
                            "（if の const・enum・contains と then の required）だけです")
                continue
            for target in cond["then"]["required"]:
                out.setdefault(target, []).append(text)
        return out

    @staticmethod
    def _condition_text(cond: Any, props: dict[str, Any], titles: list[Any]) -> str | None:
        if not (isinstance(cond, dict) and set(cond) == {"if", "then"}):
            return None
        cif, then = cond["if"], cond["then"]
        if not (isinstance(then, dict) and set(then) == {"required"} and isinstance(then["required"], list)
                and then["required"] and all(t in props for t in then["required"])):
            return None
        if not (isinstance(cif, dict) and set(cif) == {"properties", "required"} and isinstance(cif["properties"], dict)
                and len(cif["properties"]) == 1):
            return None
        (name, test), = cif["properties"].items()
        if cif["required"] != [name] or name not in props or not isinstance(test, dict):
            return None
        subject = props[name] if isinstance(props[name], dict) else {}
        if set(test) == {"contains"} and isinstance(test["contains"], dict) and set(test["contains"]) == {"const"}:
            op, values = "has", [test["contains"]["const"]]
            subject = subject.get("items", {}) if isinstance(subject.get("items"), dict) else {}
        elif set(test) == {"const"}:
            op, values = "eq", [test["const"]]
        elif set(test) == {"enum"} and isinstance(test["enum"], list) and len(test["enum"]) >= 2:
            op, values = "eq", list(test["enum"])
        else:
            return None
        choices = subject.get("enum") if isinstance(subject.get("enum"), list) else None
        if choices is None or any(v not in choices or not isinstance(v, str) or "、" in v for v in values):
            return None
        labels = _usable_labels(subject)
        shown = [str(labels.get(v, v)) for v in values]
        title = props[name].get("title") if isinstance(props[name], dict) else None
        who = title if isinstance(title, str) and titles.count(title) == 1 and _plain(title) else name
        if op == "has":
            return f"{who} に {shown[0]} を含む"
        return f"{who} = {'、'.join(shown)}"

    def field(self, node: Any, fid: str, pointer: str, need: str, condition: str) -> None:
        if not isinstance(node, dict):
            self.refuse(pointer, "a field must be an object", "項目は JSON オブジェクトでなければなりません")
            return
        extra = sorted(set(node) - FIELD_KEYS)
        if extra:
            self.refuse(pointer, f"keywords {', '.join(extra)} have no column in the sheet",
                        f"{', '.join(extra)} は表の列で表せません")
            return
        form: list[str] = []
        kind, children = self._kind(node, fid, pointer, form)
        if kind is None:
            return
        bounds = []
        for unit, (lo_key, hi_key) in BOUND_KEYS.items():
            lo, hi = node.get(lo_key), node.get(hi_key)
            if lo is not None or hi is not None:
                bounds.append(f"{_num(lo) if lo is not None else ''}〜{_num(hi) if hi is not None else ''}{unit}")
        widget = node.get("x-yoshiki-widget")
        if widget is not None:
            if widget not in WIDGETS:
                self.refuse(pointer, f"unknown widget {widget!r}", f"入力方法 {widget!r} は使えません")
                return
            form.append(f"入力: {WIDGETS[widget]}")
        if "pattern" in node:
            form.append(f"パターン: {node['pattern']}")
        if "x-yoshiki-normalize" in node:
            form.append(f"正規化: {', '.join(map(str, node['x-yoshiki-normalize']))}")
        if "x-yoshiki-placeholder" in node:
            form.append(f"入力例: {node['x-yoshiki-placeholder']}")
        if "default" in node:
            d = node["default"]
            form.append(f"既定値: {d if isinstance(d, str) else json.dumps(d, ensure_ascii=False)}")
        if "uniqueItems" in node:
            form.append(f"重複: {'不可' if node['uniqueItems'] else '可'}")
        if "additionalProperties" in node:
            form.append(f"その他の項目: {'不可' if node['additionalProperties'] is False else '可'}")
        if "x-yoshiki-title-en" in node:
            form.append(f"英語名: {node['x-yoshiki-title-en']}")
        if "x-yoshiki-staff-only" in node:
            form.append(f"職員記入: {_flag(node['x-yoshiki-staff-only']) or json.dumps(node['x-yoshiki-staff-only'])}")
        title = node.get("title", "")
        self.items.append([fid, title, kind, need, node.get("description", ""), "、".join(bounds),
                           "\n".join(form), _flag(node.get("x-yoshiki-personal")), condition,
                           _flag(node.get("x-yoshiki-locked"))])
        for child in children:
            child()

    def _kind(self, node: dict[str, Any], fid: str, pointer: str, form: list[str]) -> tuple[str | None, list[Any]]:
        t = node.get("type")
        ref = node.get("$ref")
        children: list[Any] = []
        if ref is not None:
            if not isinstance(ref, str):
                self.refuse(pointer, "$ref is not a string", "$ref が文字列ではありません")
                return None, []
            allowed = {"$ref", "title", "description", "required", "x-yoshiki-personal", "x-yoshiki-locked",
                       "x-yoshiki-title-en"}
            if set(node) - allowed:
                self.refuse(pointer, f"{', '.join(sorted(set(node) - allowed))} beside $ref have no column",
                            f"$ref と並ぶ {', '.join(sorted(set(node) - allowed))} は表で表せません")
                return None, []
            if "required" in node:
                req = node["required"]
                if not isinstance(req, list) or not all(isinstance(r, str) and "," not in r for r in req):
                    self.refuse(pointer + "/required", "required is not a list of names", "required が名前の配列ではありません")
                    return None, []
                form.append(f"必須の子項目: {', '.join(req)}")
            return COMMON.get(ref) or f"参照 {ref}", []
        if "format" in node and node.get("format") not in FORMAT_KINDS.values():
            form.append(f"書式: {node['format']}")
        if t == "boolean" and node.get("const") is True and "enum" not in node:
            return "同意", []
        if "const" in node:
            form.append(f"固定値: {json.dumps(node['const'], ensure_ascii=False)}")
        if t == "object":
            children.append(lambda: self.object_members(node, f"{fid}.", pointer))
            return "グループ", children
        if "properties" in node or "anyOf" in node or "allOf" in node:
            self.refuse(pointer, "properties/anyOf/allOf on a field that is not a group",
                        "グループ以外の項目に properties・anyOf・allOf があります")
            return None, []
        if "enum" in node:
            if t != "string":
                self.refuse(pointer, "a choice must be of type string", "選択肢の項目は type が string でなければなりません")
                return None, []
            if not self._choices(node, fid, pointer):
                return None, []
            return "選択", []
        if t == "array":
            items = node.get("items")
            if (isinstance(items, dict) and "enum" in items and items.get("type") == "string"
                    and set(items) <= {"type", "enum", "x-yoshiki-enum-labels"}):
                if not self._choices(items, fid, pointer + "/items"):
                    return None, []
                return "複数選択", []
            if not isinstance(items, dict):
                self.refuse(pointer, "a list needs one items schema", "一覧には items（1つのスキーマ）が必要です")
                return None, []
            children.append(lambda: self.field(items, f"{fid}[]", pointer + "/items", "", ""))
            return "一覧", children
        if t == "string" and node.get("format") in FORMAT_KINDS.values():
            return next(k for k, v in FORMAT_KINDS.items() if v == node["format"]), []
        for k, v in SCALAR_KINDS.items():
            if t == v:
                return k, []
        self.refuse(pointer, f"type {t!r} has no 種類 in the sheet", f"type {t!r} は種類で表せません")
        return None, []

    def _choices(self, node: dict[str, Any], fid: str, pointer: str) -> bool:
        values = node["enum"]
        labels = node.get("x-yoshiki-enum-labels", {})
        if not (isinstance(values, list) and values and all(isinstance(v, str) for v in values)
                and len(set(values)) == len(values) and isinstance(labels, dict)
                and all(isinstance(v, str) for v in labels.values()) and set(labels) <= set(values)):
            self.refuse(pointer, "choices must be distinct strings with string labels",
                        "選択肢は重複のない文字列（表示名も文字列）でなければなりません")
            return False
        for v in values:
            self.choices.append([fid, v, labels.get(v, "")])
        return True


def _usable_labels(node: dict[str, Any]) -> dict[str, str]:
    """Labels that name exactly one value and cannot be taken for a value."""
    labels = node.get("x-yoshiki-enum-labels")
    if not isinstance(labels, dict):
        return {}
    values = node.get("enum", [])
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    return {k: v for k, v in labels.items() if isinstance(v, str) and counts[v] == 1 and v not in values
            and "、" not in v and _plain(v)}


def _plain(text: str) -> bool:
    return "=" not in text and " に " not in text and "\n" not in text and text.strip() == text and bool(text)


def _flag(v: Any) -> str:
    return YES if v is True else NO if v is False else ""


def to_sheets(template: dict[str, Any], schema: Any, examples: dict[str, dict[str, Any]]) -> Sheets:
    """The rows of a version's workbook; SheetRefused if anything cannot be written losslessly."""
    ex = _Exporter()
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SheetRefused([_refusal("", "the form's root must be an object", "フォームのルートは object でなければなりません")])
    extra = sorted(set(schema) - ROOT_KEYS)
    if extra:
        ex.refuse("", f"root keywords {', '.join(extra)} have no place in the sheets",
                  f"ルートの {', '.join(extra)} は表で表せません")
    ex.object_members(schema, "", "")
    defs = schema.get("$defs", {})
    if not isinstance(defs, dict):
        ex.refuse("/$defs", "$defs is not an object", "$defs がオブジェクトではありません")
        defs = {}
    for name, sub in defs.items():
        if not _NAME.fullmatch(name):
            ex.refuse(f"/$defs/{name}", "the definition's name cannot be a 項目ID", "定義名を項目ID にできません")
            continue
        ex.field(sub, f"$defs.{name}", f"/$defs/{name}", "", "")
    settings: list[list[str]] = []
    for key, value in template.items():
        if key == "local" and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            settings.extend([f"local.{k}", v] for k, v in value.items())
        elif isinstance(value, str) and key not in JSON_SETTINGS:
            settings.append([key, value])
        else:
            settings.append([key, json.dumps(value, ensure_ascii=False)])
    for key in ("$schema", "$id", "title", "description", "x-yoshiki-title-en"):
        if key in schema:
            if not isinstance(schema[key], str):
                ex.refuse(f"/{key}", f"{key} is not a string", f"{key} が文字列ではありません")
                continue
            settings.append([f"schema.{key}", schema[key]])
    if "additionalProperties" in schema:
        settings.append(["schema.その他の項目", "不可" if schema["additionalProperties"] is False else "可"])
    if "additionalProperties" in schema and not isinstance(schema["additionalProperties"], bool):
        ex.refuse("/additionalProperties", "only true or false", "true か false だけを表せます")
    _check_booleans(schema, "", ex)
    example_rows = [[kind, name, json.dumps(value, ensure_ascii=False)]
                    for (kind, name), value in sorted((tuple(k.split("/", 1)), v) for k, v in examples.items())]
    sheets = Sheets(ex.items, ex.choices, settings, example_rows)
    if not ex.refused:
        try:
            template_back, back, examples_back = from_sheets(sheets)
        except SheetErrors as exc:
            ex.refused.extend(_refusal("", e.message, e.message_ja) for e in exc.issues)
        else:
            where = _first_difference(_canonical(schema), _canonical(back), "")
            if where is not None:
                ex.refuse(where, "this part would not come back the same from the sheet",
                          "この部分は表から同じ形に戻せません")
            for key in sorted(set(template) | set(template_back)):
                if template.get(key) != template_back.get(key):
                    ex.refuse(f"template.json#/{key}", "this setting would not come back the same from the 設定 sheet",
                              "この設定は 設定 シートから同じ形に戻せません")
            if examples_back != examples:
                ex.refuse("examples/", "the examples would not come back the same", "記入例を同じ形に戻せません")
    if ex.refused:
        raise SheetRefused(ex.refused)
    return sheets


def _check_booleans(node: Any, pointer: str, ex: _Exporter) -> None:
    if isinstance(node, dict):
        for key in ("additionalProperties", "uniqueItems", "x-yoshiki-personal", "x-yoshiki-locked"):
            if key in node and not isinstance(node[key], bool):
                ex.refuse(f"{pointer}/{key}", f"{key} must be true or false", f"{key} は true か false でなければなりません")
        for key in ("properties", "$defs"):
            if isinstance(node.get(key), dict):
                for k, v in node[key].items():
                    _check_booleans(v, f"{pointer}/{key}/{k}", ex)
        if isinstance(node.get("items"), dict):
            _check_booleans(node["items"], f"{pointer}/items", ex)


def _canonical(node: Any) -> Any:
    """Order-free where JSON Schema is order-free (required, allOf, anyOf)."""
    if isinstance(node, dict):
        out = {k: _canonical(v) for k, v in node.items()}
        for key in ("required", "allOf", "anyOf"):
            if isinstance(out.get(key), list):
                out[key] = sorted(out[key], key=lambda x: json.dumps(x, sort_keys=True, ensure_ascii=False))
        return out
    if isinstance(node, list):
        return [_canonical(v) for v in node]
    return node


def _first_difference(a: Any, b: Any, pointer: str) -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{pointer}/{k}"
            found = _first_difference(a[k], b[k], f"{pointer}/{k}")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return pointer
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{pointer}/{i}")
            if found is not None:
                return found
        return None
    if type(a) is not type(b) or a != b:
        return pointer or "/"
    return None


# --------------------------------------------------------------------------- import




_CLOSE_KINDS = {"日付け": "日付", "文字": "テキスト", "文字列": "テキスト", "数字": "数値", "真偽": "はい/いいえ",
                "チェック": "複数選択", "ラジオ": "選択", "プルダウン": "選択", "日時刻": "日時", "名前": "氏名",
                "電話": "電話番号", "メール": "メールアドレス", "郵便": "郵便番号", "住所・所在地": "住所"}


def _suggest(word: str, options: tuple[str, ...] | list[str]) -> str | None:
    if word in _CLOSE_KINDS:
        return _CLOSE_KINDS[word]
    best, score = None, 0.0
    for opt in options:
        common = len(set(word) & set(opt))
        s = common / max(len(set(word) | set(opt)), 1)
        if s > score:
            best, score = opt, s
    return best if score >= 0.5 else None


class _Importer:
    def __init__(self, sheets: Sheets) -> None:
        self.sheets = sheets
        self.errors: list[Issue] = []

    def error(self, sheet: str, row: int, col: int, en: str, ja: str) -> None:
        cell = f"{column_letter(col)}{row + 2}"
        self.errors.append(Issue(rule="sheet.invalid", pointer="", file=f"{sheet}!{cell}",
                                 message=f"sheet {sheet} {cell}: {en}", message_ja=f"{sheet} シート {cell}: {ja}"))

    def run(self) -> tuple[dict[str, Any], Any, dict[str, Any]]:
        template, schema = self._settings()
        choices = self._choices()
        nodes: dict[str, dict[str, Any]] = {}
        parents: dict[str, tuple[dict[str, Any], str]] = {}
        # Per object: (row, field name, 必須, 表示条件) to place required/anyOf/allOf afterwards.
        members: dict[int, list[tuple[int, str, str, str]]] = {}
        objects: dict[int, dict[str, Any]] = {id(schema): schema}
        for r, row in enumerate(self.sheets.items):
            row = [*row, *[""] * (len(ITEM_COLUMNS) - len(row))]
            fid = row[0].strip()
            if not fid:
                if any(c.strip() for c in row):
                    self.error(ITEMS_SHEET, r, 0, "the 項目ID is empty", "項目ID が空です。英数字の名前を書いてください")
                continue
            if fid in nodes:
                self.error(ITEMS_SHEET, r, 0, f"項目ID {fid} appears twice", f"項目ID {fid} が2回あります")
                continue
            parent, name = self._parent(fid, nodes, schema, r)
            if parent is None:
                continue
            node = self._node(row, r, fid, choices)
            if node is None:
                continue
            nodes[fid] = node
            if name == "[]":
                parent["items"] = node
            elif fid.startswith("$defs.") and parent is schema:
                schema.setdefault("$defs", {})[name] = node
            else:
                parent.setdefault("properties", {})[name] = node
                objects[id(parent)] = parent
                members.setdefault(id(parent), []).append((r, name, row[3].strip(), row[8].strip()))
            parents[fid] = (parent, name)
        for oid, fields in members.items():
            self._place(objects[oid], fields)
        for name in choices:
            if name not in nodes:
                self.error(CHOICES_SHEET, 0, 0, f"the list {name} belongs to no 選択 field",
                           f"リスト名 {name} に対応する 選択・複数選択 の項目がありません")
        if self.errors:
            raise SheetErrors(self.errors)
        return template, schema, self._examples()

    def _parent(self, fid: str, nodes: dict[str, dict[str, Any]], schema: dict[str, Any],
                r: int) -> tuple[dict[str, Any] | None, str]:
        if fid.startswith("$defs."):
            rest = fid[len("$defs."):]
            if "." not in rest and not rest.endswith("[]"):
                if _NAME.fullmatch(rest):
                    return schema, rest
                self._bad_id(fid, r)
                return None, ""
        if fid.endswith("[]"):
            owner = fid[:-2]
            if owner not in nodes or nodes[owner].get("type") != "array":
                self.error(ITEMS_SHEET, r, 0, f"{fid}: no 一覧 field {owner} above this row",
                           f"{fid}: この行より上に 一覧 の項目 {owner} がありません")
                return None, ""
            return nodes[owner], "[]"
        head, _, name = fid.rpartition(".")
        if not _NAME.fullmatch(name):
            self._bad_id(fid, r)
            return None, ""
        if not head:
            return schema, name
        if head not in nodes or nodes[head].get("type") != "object":
            self.error(ITEMS_SHEET, r, 0, f"{fid}: no グループ {head} above this row",
                       f"{fid}: この行より上に グループ の項目 {head} がありません")
            return None, ""
        return nodes[head], name

    def _bad_id(self, fid: str, r: int) -> None:
        self.error(ITEMS_SHEET, r, 0, f"項目ID {fid} may use letters, digits, _ and - (nested: parent.child)",
                   f"項目ID {fid} には英数字・_・- を使ってください（入れ子は 親.子）")

    def _node(self, row: list[str], r: int, fid: str, choices: dict[str, list[tuple[str, str]]]) -> dict[str, Any] | None:
        kind = row[2].strip()
        node: dict[str, Any] = {}
        word, _, arg = kind.partition(" ")
        if word == "参照" and arg.strip():
            node["$ref"] = arg.strip()
        elif kind in COMMON_BY_NAME:
            node["$ref"] = COMMON_BY_NAME[kind]
        elif kind in SCALAR_KINDS:
            node["type"] = SCALAR_KINDS[kind]
        elif kind in FORMAT_KINDS:
            node.update(type="string", format=FORMAT_KINDS[kind])
        elif kind == "同意":
            node.update(type="boolean", const=True)
        elif kind == "グループ":
            node["type"] = "object"
        elif kind == "一覧":
            node["type"] = "array"
        elif word in ("選択", "複数選択"):
            name = arg.strip() or fid
            values = choices.get(name)
            if not values:
                self.error(ITEMS_SHEET, r, 2, f"no choices for {name} in the 選択肢 sheet",
                           f"選択肢 シートにリスト名 {name} の選択肢がありません。値と表示名を書いてください")
                return None
            target: dict[str, Any] = {"type": "string", "enum": [v for v, _ in values]}
            labels = {v: lab for v, lab in values if lab}
            if labels:
                target["x-yoshiki-enum-labels"] = labels
            if word == "選択":
                node.update(target)
            else:
                node.update(type="array", items=target)
        else:
            hint = _suggest(kind, list(KINDS))
            what = f"。{hint} ですか？" if hint else f"。{'・'.join(KINDS[:11])}・共通項目名 のいずれかを書いてください"
            self.error(ITEMS_SHEET, r, 2, f"種類 “{kind}” is not one of {', '.join(KINDS)}",
                       f"種類『{kind}』は使えません{what}")
            return None
        title = row[1]
        if title:
            node["title"] = title
        if row[4]:
            node["description"] = row[4]
        self._bounds(row[5], node, r)
        self._form(row[6], node, r)
        for col, key in ((7, "x-yoshiki-personal"), (9, "x-yoshiki-locked")):
            v = row[col].strip()
            if v in (YES, NO):
                node[key] = v == YES
            elif v:
                self.error(ITEMS_SHEET, r, col, f"write はい, いいえ or nothing (not {v})",
                           f"『{v}』ではなく はい・いいえ か空欄にしてください")
        return node  # errors so far are collected; the rest of the sheet is still read

    def _bounds(self, text: str, node: dict[str, Any], r: int) -> None:
        for part in filter(None, (p.strip() for p in text.split("、"))):
            m = _BOUND.fullmatch(part)
            if m is None or not (m[1] or m[2]):
                self.error(ITEMS_SHEET, r, 5, f"write limits as 1〜200文字, 34〜42 or 1〜3個 (not {part})",
                           f"『{part}』は読めません。1〜200文字、34〜42、1〜3個 のように書いてください")
                continue
            lo_key, hi_key = BOUND_KEYS[m[3] or ""]
            for text_value, key in ((m[1], lo_key), (m[2], hi_key)):
                if text_value:
                    try:
                        node[key] = json.loads(text_value)
                    except ValueError:
                        self.error(ITEMS_SHEET, r, 5, f"{text_value} is not a number", f"{text_value} は数ではありません")

    def _form(self, text: str, node: dict[str, Any], r: int) -> None:
        for line in filter(None, (x.strip() for x in text.splitlines())):
            key, sep, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if not sep:
                key, sep, value = line.partition("：")
                key, value = key.strip(), value.strip()
            if key == "入力" and value in WIDGETS_BY_NAME:
                node["x-yoshiki-widget"] = WIDGETS_BY_NAME[value]
            elif key == "パターン" and value:
                node["pattern"] = line.partition(":")[2][1:] if line.startswith("パターン: ") else value
            elif key == "正規化" and value:
                node["x-yoshiki-normalize"] = [v.strip() for v in value.split(",")]
            elif key == "入力例":
                node["x-yoshiki-placeholder"] = value
            elif key == "既定値":
                if node.get("type") == "string" or "enum" in node:
                    node["default"] = value
                else:
                    try:
                        node["default"] = json.loads(value)
                    except ValueError:
                        node["default"] = value
            elif key == "重複" and value in ("不可", "可"):
                node["uniqueItems"] = value == "不可"
            elif key == "その他の項目" and value in ("不可", "可"):
                node["additionalProperties"] = value != "不可"
            elif key == "必須の子項目":
                node["required"] = [v.strip() for v in value.split(",") if v.strip()]
            elif key == "英語名":
                node["x-yoshiki-title-en"] = value
            elif key == "職員記入" and value in (YES, NO):
                node["x-yoshiki-staff-only"] = value == YES
            elif key == "書式" and value:
                node["format"] = value
            elif key == "固定値" and value:
                try:
                    node["const"] = json.loads(value)
                except ValueError:
                    node["const"] = value
            else:
                self.error(ITEMS_SHEET, r, 6, f"cannot read “{line}” in 形式",
                           f"形式の『{line}』は読めません。入力: ラジオボタン、パターン: ^[0-9]+$、入力例: 10:30 "
                           "のように『キー: 値』を1行に1つ書いてください")

    def _place(self, obj: dict[str, Any], fields: list[tuple[int, str, str, str]]) -> None:
        props = obj.get("properties", {})
        required = [n for _, n, need, _ in fields if need == YES]
        any_of = [n for _, n, need, _ in fields if need == ANY_OF]
        for r, _n, need, _ in fields:
            if need not in ("", YES, ANY_OF):
                self.error(ITEMS_SHEET, r, 3, f"write はい, いずれか or nothing (not {need})",
                           f"必須『{need}』は使えません。はい・いずれか か空欄にしてください")
        if required:
            obj["required"] = required
        if any_of:
            if len(any_of) < 2:
                self.error(ITEMS_SHEET, fields[0][0], 3, "いずれか needs at least two fields",
                           "『いずれか』は2つ以上の項目に付けてください")
            obj["anyOf"] = [{"required": [n]} for n in any_of]
        conditions: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for r, n, _, cond in fields:
            for line in filter(None, (x.strip() for x in cond.splitlines())):
                parsed = self._condition(line, props, r)
                if parsed is None:
                    continue
                key = json.dumps(parsed, sort_keys=True, ensure_ascii=False)
                conditions.setdefault(key, (parsed, []))[1].append(n)
        if conditions:
            obj["allOf"] = [{"if": c, "then": {"required": targets}} for c, targets in conditions.values()]

    def _condition(self, line: str, props: dict[str, Any], r: int) -> dict[str, Any] | None:
        m = _COND_HAS.fullmatch(line)
        op = "has" if m is not None else "eq"
        if m is None:
            m = _COND_EQ.fullmatch(line)
        if m is None:
            self.error(ITEMS_SHEET, r, 8, f"cannot read the condition “{line}”",
                       f"表示条件『{line}』は読めません。『区分 = 遅刻』『区分 = 遅刻、早退』『サービス に カード を含む』"
                       "のように書いてください")
            return None
        who, what = m[1].strip(), m[2].strip()
        name = who if who in props else next(
            (k for k, v in props.items() if isinstance(v, dict) and v.get("title") == who), None)
        if name is None:
            self.error(ITEMS_SHEET, r, 8, f"the condition names {who}, which is not a field beside this one",
                       f"表示条件の『{who}』は同じ階層の項目（項目名か項目ID）ではありません")
            return None
        subject = props[name]
        choice = subject.get("items", {}) if op == "has" else subject
        values = choice.get("enum") if isinstance(choice, dict) else None
        if not isinstance(values, list):
            self.error(ITEMS_SHEET, r, 8, f"{who} is not a choice field" + (" with several answers" if op == "has" else ""),
                       f"『{who}』は{'複数選択' if op == 'has' else '選択'}の項目ではありません")
            return None
        labels = {v: k for k, v in (choice.get("x-yoshiki-enum-labels") or {}).items()}
        picked = []
        for word in ([what] if op == "has" else [w.strip() for w in what.split("、")]):
            value = word if word in values else labels.get(word)
            if value is None:
                self.error(ITEMS_SHEET, r, 8, f"{word} is not a choice of {who}",
                           f"『{word}』は『{who}』の選択肢にありません（値か表示名を書いてください）")
                return None
            picked.append(value)
        test: dict[str, Any]
        if op == "has":
            test = {"contains": {"const": picked[0]}}
        elif len(picked) == 1:
            test = {"const": picked[0]}
        else:
            test = {"enum": picked}
        return {"properties": {name: test}, "required": [name]}

    def _choices(self) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for r, row in enumerate(self.sheets.choices):
            row = [*row, "", "", ""]
            name, value, label = row[0].strip(), row[1], row[2]
            if not (name or value or label):
                continue
            if not name or value == "":
                self.error(CHOICES_SHEET, r, 0 if not name else 1, "each choice needs a リスト名 and a 値",
                           "選択肢には リスト名 と 値 の両方を書いてください")
                continue
            if any(v == value for v, _ in out.get(name, [])):
                self.error(CHOICES_SHEET, r, 1, f"the value {value} appears twice in {name}",
                           f"リスト {name} に値『{value}』が2回あります")
                continue
            out.setdefault(name, []).append((value, label))
        return out

    def _settings(self) -> tuple[dict[str, Any], dict[str, Any]]:
        template: dict[str, Any] = {}
        schema: dict[str, Any] = {}
        root_extra: dict[str, Any] = {}
        for r, row in enumerate(self.sheets.settings):
            row = [*row, "", ""]
            key, value = row[0].strip(), row[1]
            if not key:
                continue
            if key.startswith("local."):
                template.setdefault("local", {})[key[6:]] = value
            elif key == "schema.その他の項目":
                root_extra["additionalProperties"] = value.strip() != "不可"
            elif key.startswith("schema."):
                root_extra[key[7:]] = value
            elif key in TEXT_SETTINGS:
                template[key] = value
            elif key in JSON_SETTINGS:
                try:
                    template[key] = json.loads(value)
                except ValueError:
                    if key == "tags":
                        template[key] = [t.strip() for t in re.split(r"[,、]", value) if t.strip()]
                    else:
                        self.error(SETTINGS_SHEET, r, 1, f"{key} must be JSON", f"{key} は JSON で書いてください")
            else:
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = value
                template[key] = parsed if isinstance(parsed, dict | list) else value
        for key in ("$schema", "$id", "title", "description", "x-yoshiki-title-en"):
            if key in root_extra:
                schema[key] = root_extra.pop(key)
        schema["type"] = "object"
        schema.update(root_extra)
        return template, schema

    def _examples(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for r, row in enumerate(self.sheets.examples):
            row = [*row, "", "", ""]
            kind, name, text = row[0].strip(), row[1].strip(), row[2]
            if not (kind or name or text):
                continue
            if kind not in ("valid", "invalid") or not re.fullmatch(r"[\w.\-]+\.json", name):
                self.error(EXAMPLES_SHEET, r, 0, "write valid or invalid and a file name like ok-1.json",
                           "区分に valid か invalid、ファイル名に ok-1.json のような名前を書いてください")
                continue
            try:
                out[f"{kind}/{name}"] = json.loads(text)
            except ValueError as exc:
                self.error(EXAMPLES_SHEET, r, 2, f"not JSON ({exc})", f"JSON として読めません（{exc}）")
        return out


def from_sheets(sheets: Sheets) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(template.json, schema.json, examples by "valid/name.json") from the rows; SheetErrors."""
    if len(sheets.items) > MAX_ROWS or len(sheets.choices) > MAX_ROWS * 10:
        raise SheetErrors([Issue(rule="sheet.too-large", message=f"more than {MAX_ROWS} fields",
                                 message_ja=f"{ITEMS_SHEET} シート: 項目が {MAX_ROWS} 行を超えています")])
    return _Importer(sheets).run()
