"""A form as staff edit it: ``FormModel`` ⇄ (schema.json, template.json). Pure; no I/O.

Choice labels are stored one way: the ``enum`` holds the stable stored values and
``x-yoshiki-enum-labels`` maps a value to its label (a Japanese value without an entry is its
own label), as docs/format.md says. Conditions are the catalogue's ``allOf`` of
``{"if": {"properties": {f: {"const"|"enum": …}}, "required": [f]}, "then": {"required": […]}}``.
Unknown keywords of a field, of the schema and of template.json ride along in ``extra`` maps.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, field
from typing import Any

COMMON_PREFIX = "/common/"

# Shared definitions offered by 「共通項目から追加」: (file, title, readable key).
SHARED: list[tuple[str, str, str]] = [
    ("person-name.json", "氏名", "name"),
    ("furigana.json", "フリガナ", "furigana"),
    ("birth-date.json", "生年月日", "birth_date"),
    ("address.json", "住所", "address"),
    ("postal-code.json", "郵便番号", "postal_code"),
    ("phone.json", "電話番号", "phone"),
    ("email.json", "メール", "email"),
    ("student.json", "児童・生徒", "student"),
]
SHARED_BY_FILE = {f: (t, k) for f, t, k in SHARED}

KIND_JA: dict[str, str] = {
    "text": "短い文字", "textarea": "長い文章", "number": "数値", "date": "日付",
    "choice": "1つ選ぶ", "choices": "いくつでも選ぶ", "yesno": "はい/いいえ", "consent": "同意",
    "shared": "共通項目", "other": "その他（エディターでは細部を変えられない項目）",
}
BASIC_KINDS = ("text", "textarea", "number", "date", "choice", "choices", "yesno", "consent")

# Readable keys for common titles (new fields); otherwise field_N.
KEY_WORDS: dict[str, str] = {
    "電話番号": "phone", "電話": "phone", "メール": "email", "メールアドレス": "email",
    "氏名": "name", "名前": "name", "住所": "address", "郵便番号": "postal_code",
    "生年月日": "birth_date", "フリガナ": "furigana", "日付": "date", "時刻": "time",
    "理由": "reason", "区分": "kind", "備考": "notes", "意見": "comments", "同意": "consent",
    "人数": "count", "年齢": "age", "学校": "school", "勤務場所": "workplace", "所属": "section",
}

_FIELD_KEYS = ("title", "description", "x-yoshiki-placeholder", "x-yoshiki-personal",
               "x-yoshiki-locked", "minLength", "maxLength", "minimum", "maximum")
_ROOT_KEYS = ("title", "description", "properties", "required", "allOf")
_TEMPLATE_KEYS = ("title", "description", "category", "tags", "local")


class EditError(ValueError):
    """An edit the model refuses (a locked field, an unknown field, a bad value), in Japanese."""


@dataclass
class Choice:
    value: Any
    label: str
    explicit: bool = True   # whether x-yoshiki-enum-labels has an entry for it


@dataclass
class Field:
    key: str
    kind: str
    title: str = ""
    description: str | None = None
    required: bool = False
    placeholder: str | None = None
    personal: bool | None = None
    locked: bool | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | int | None = None
    maximum: float | int | None = None
    choices: list[Choice] = field(default_factory=list)
    ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)       # other keywords of the field
    items_extra: dict[str, Any] = field(default_factory=dict)  # other keywords of items (choices)

    @property
    def kind_ja(self) -> str:
        return KIND_JA.get(self.kind, self.kind)

    @property
    def has_choices(self) -> bool:
        return self.kind in ("choice", "choices")


@dataclass
class Condition:
    """「『field』が『values』のとき『then』を表示して必須にする」."""

    field: str
    values: list[Any]
    then: list[str]
    single: bool = True   # written as const (one value) rather than enum


@dataclass
class FormModel:
    title: str
    description: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    department: str | None = None
    contact: str | None = None
    fields: list[Field] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    required_order: list[str] = field(default_factory=list)
    had_required: bool = True
    root_extra: dict[str, Any] = field(default_factory=dict)
    other_all_of: list[list[Any]] = field(default_factory=list)   # [position, item]
    had_all_of: bool = False
    template_extra: dict[str, Any] = field(default_factory=dict)
    local_extra: dict[str, Any] = field(default_factory=dict)
    schema_title: str | None = None
    schema_description: str | None = None
    same_titles: bool = True
    same_descriptions: bool = True

    def field_by_key(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise EditError(f"項目「{key}」はありません")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FormModel:
        d = dict(data)
        d["fields"] = [Field(**{**f, "choices": [Choice(**c) for c in f.get("choices", [])]})
                       for f in d.get("fields", [])]
        d["conditions"] = [Condition(**c) for c in d.get("conditions", [])]
        return cls(**d)


# -- reading ---------------------------------------------------------------------------------
def _labels(node: dict[str, Any]) -> list[Choice]:
    labels = node.get("x-yoshiki-enum-labels")
    labels = labels if isinstance(labels, dict) else {}
    out = []
    for v in node.get("enum", []):
        k = v if isinstance(v, str) else str(v)
        out.append(Choice(value=v, label=str(labels.get(k, k)), explicit=k in labels))
    return out


def _kind(node: dict[str, Any]) -> str:
    ref = node.get("$ref")
    if isinstance(ref, str):
        return "shared" if ref.startswith(COMMON_PREFIX) else "other"
    t = node.get("type")
    if t == "string":
        if isinstance(node.get("enum"), list) and _plain_labels(node):
            return "choice"
        if node.get("format") == "date":
            return "date"
        if node.get("x-yoshiki-widget") == "textarea":
            return "textarea"
        return "text"
    if t in ("integer", "number"):
        return "number" if "enum" not in node else "other"
    if t == "boolean":
        return "consent" if node.get("const") is True else "yesno"
    if t == "array":
        items = node.get("items")
        if isinstance(items, dict) and isinstance(items.get("enum"), list) and _plain_labels(items):
            return "choices"
    return "other"


def _plain_labels(node: dict[str, Any]) -> bool:
    labels = node.get("x-yoshiki-enum-labels", {})
    return isinstance(labels, dict) and all(isinstance(v, str) for v in labels.values()) \
        and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in node["enum"])


def _read_field(key: str, node: Any, required: bool) -> Field:
    if not isinstance(node, dict):
        return Field(key=key, kind="other", title=key, required=required, extra={"__raw__": node})
    kind = _kind(node)
    rest = dict(node)
    f = Field(key=key, kind=kind, required=required)
    if kind == "other":
        # Only the title and help are edited; the rest is kept as written.
        f.title = str(rest.pop("title", "")) if isinstance(node.get("title"), str) else ""
        if isinstance(rest.get("description"), str):
            f.description = rest.pop("description")
        f.extra = rest
        return f
    for k in _FIELD_KEYS:
        if k in rest and _field_value_ok(k, rest[k]):
            setattr(f, _ATTR[k], rest.pop(k))
    if kind == "choice":
        f.choices = _labels(node)
        rest.pop("enum")
        rest.pop("x-yoshiki-enum-labels", None)
    elif kind == "choices":
        items = dict(node["items"])
        f.choices = _labels(items)
        items.pop("enum")
        items.pop("x-yoshiki-enum-labels", None)
        f.items_extra = items
        rest.pop("items")
    elif kind == "shared":
        f.ref = rest.pop("$ref")
    f.extra = rest
    return f


_ATTR = {"title": "title", "description": "description", "x-yoshiki-placeholder": "placeholder",
         "x-yoshiki-personal": "personal", "x-yoshiki-locked": "locked", "minLength": "min_length",
         "maxLength": "max_length", "minimum": "minimum", "maximum": "maximum"}


def _field_value_ok(k: str, v: Any) -> bool:
    if k in ("title", "description", "x-yoshiki-placeholder"):
        return isinstance(v, str)
    if k in ("x-yoshiki-personal", "x-yoshiki-locked"):
        return isinstance(v, bool)
    if k in ("minLength", "maxLength"):
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _read_condition(item: Any, keys: set[str]) -> Condition | None:
    if not isinstance(item, dict) or set(item) != {"if", "then"}:
        return None
    cond, then = item["if"], item["then"]
    if not (isinstance(cond, dict) and isinstance(then, dict) and set(then) == {"required"}):
        return None
    props, req = cond.get("properties"), cond.get("required")
    if set(cond) != {"properties", "required"} or not isinstance(props, dict) or len(props) != 1:
        return None
    (name, test), = props.items()
    if req != [name] or name not in keys or not isinstance(test, dict) or len(test) != 1:
        return None
    if "const" in test:
        values, single = [test["const"]], True
    elif isinstance(test.get("enum"), list) and test["enum"]:
        values, single = list(test["enum"]), False
    else:
        return None
    targets = then["required"]
    if not (isinstance(targets, list) and targets and all(isinstance(t, str) and t in keys for t in targets)):
        return None
    return Condition(field=name, values=values, then=list(targets), single=single)


def from_documents(schema: Any, template: Any) -> FormModel:
    """The editable model of a published version (unknown parts carried in ``extra`` maps)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties", {}), dict):
        raise EditError("このフォームは項目の一覧（properties）を持たないため、エディターで開けません")
    template = template if isinstance(template, dict) else {}
    props = schema.get("properties", {})
    req = schema.get("required", [])
    req = req if isinstance(req, list) else []
    keys = set(props)
    m = FormModel(title=str(template.get("title") or schema.get("title") or ""))
    m.schema_title = schema.get("title") if isinstance(schema.get("title"), str) else None
    m.schema_description = schema.get("description") if isinstance(schema.get("description"), str) else None
    m.description = template.get("description") if isinstance(template.get("description"), str) else None
    m.same_titles = m.schema_title == template.get("title")
    m.same_descriptions = m.schema_description == m.description
    m.category = template.get("category") if isinstance(template.get("category"), str) else None
    m.tags = [t for t in template.get("tags", []) if isinstance(t, str)] \
        if isinstance(template.get("tags"), list) else []
    local = template.get("local") if isinstance(template.get("local"), dict) else {}
    m.department = local.get("department")
    m.contact = local.get("contact")
    m.local_extra = {k: v for k, v in local.items() if k not in ("department", "contact")}
    m.template_extra = {k: v for k, v in template.items() if k not in _TEMPLATE_KEYS}
    if "local" in template and not isinstance(template.get("local"), dict):
        m.template_extra["local"] = template["local"]
    if "tags" in template and not isinstance(template.get("tags"), list):
        m.template_extra["tags"] = template["tags"]
    m.fields = [_read_field(k, v, k in req) for k, v in props.items()]
    m.required_order = [r for r in req if isinstance(r, str)]
    m.had_required = "required" in schema
    all_of = schema.get("allOf")
    m.had_all_of = "allOf" in schema
    if isinstance(all_of, list):
        for pos, item in enumerate(all_of):
            c = _read_condition(item, keys)
            if c is None:
                m.other_all_of.append([pos, item])
            else:
                m.conditions.append(c)
    elif all_of is not None:
        m.root_extra["allOf"] = all_of
        m.had_all_of = False
    m.root_extra.update({k: v for k, v in schema.items() if k not in _ROOT_KEYS})
    if not all(isinstance(r, str) for r in req) or ("required" in schema and not isinstance(schema["required"], list)):
        raise EditError("このフォームの必須項目の書き方はエディターでは扱えません")
    return m


# -- writing ---------------------------------------------------------------------------------
def _write_labels(node: dict[str, Any], choices: list[Choice]) -> None:
    node["enum"] = [c.value for c in choices]
    labels = {}
    for c in choices:
        k = c.value if isinstance(c.value, str) else str(c.value)
        if c.explicit or c.label != k:
            labels[k] = c.label
    if labels:
        node["x-yoshiki-enum-labels"] = labels


def _write_field(f: Field) -> Any:
    if "__raw__" in f.extra:
        return copy.deepcopy(f.extra["__raw__"])
    node: dict[str, Any] = {}
    if f.kind == "shared" and f.ref:
        node["$ref"] = f.ref
    node.update(copy.deepcopy(f.extra))
    for k, attr in _ATTR.items():
        v = getattr(f, attr)
        if v is not None and not (k == "title" and v == "" and f.kind == "other"):
            node[k] = v
    if f.kind == "choice":
        _write_labels(node, f.choices)
    elif f.kind == "choices":
        items = copy.deepcopy(f.items_extra)
        _write_labels(items, f.choices)
        node["items"] = items
    return node


def to_documents(m: FormModel) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema, template) of the model; ``$id`` and version-specific fields are the caller's."""
    schema: dict[str, Any] = {}
    for k in ("$schema", "$id"):
        if k in m.root_extra:
            schema[k] = copy.deepcopy(m.root_extra[k])
    if m.schema_title is not None or m.same_titles:
        schema["title"] = m.title if m.same_titles else m.schema_title
    if m.same_descriptions:
        if m.description is not None:
            schema["description"] = m.description
    elif m.schema_description is not None:
        schema["description"] = m.schema_description
    schema.update({k: copy.deepcopy(v) for k, v in m.root_extra.items() if k not in schema})
    schema["properties"] = {f.key: _write_field(f) for f in m.fields}
    wanted = {f.key for f in m.fields if f.required}
    order = [r for r in m.required_order if r in wanted]
    order += [f.key for f in m.fields if f.required and f.key not in order]
    if order or m.had_required:
        schema["required"] = order
    all_of: list[Any] = [_write_condition(c) for c in m.conditions]
    for pos, item in m.other_all_of:   # kept where they stood
        all_of.insert(min(int(pos), len(all_of)), copy.deepcopy(item))
    if all_of or m.had_all_of:
        schema["allOf"] = all_of
    template: dict[str, Any] = {"title": m.title}
    if m.description is not None:
        template["description"] = m.description
    if m.category is not None:
        template["category"] = m.category
    if m.tags or "tags" in m.template_extra:
        template["tags"] = list(m.tags) if m.tags else m.template_extra["tags"]
    for k, v in m.template_extra.items():
        if k not in template and k != "local":
            template[k] = copy.deepcopy(v)
    local = dict(m.local_extra)
    if m.department:
        local["department"] = m.department
    if m.contact:
        local["contact"] = m.contact
    if local:
        template["local"] = local
    elif "local" in m.template_extra:
        template["local"] = copy.deepcopy(m.template_extra["local"])
    return schema, template


def _write_condition(c: Condition) -> dict[str, Any]:
    test = {"const": c.values[0]} if c.single and len(c.values) == 1 else {"enum": list(c.values)}
    return {"if": {"properties": {c.field: test}, "required": [c.field]},
            "then": {"required": list(c.then)}}


# -- describing ------------------------------------------------------------------------------
def condition_ja(m: FormModel, c: Condition) -> str:
    """「『区分』が『遅刻』のとき『時刻』を表示して必須にする」."""
    try:
        src = m.field_by_key(c.field)
        labels = {str(ch.value): ch.label for ch in src.choices}
        title = src.title or src.key
    except EditError:
        labels, title = {}, c.field
    vals = "』か『".join(labels.get(str(v), _value_ja(v)) for v in c.values)
    targets = "』と『".join(_title_of(m, t) for t in c.then)
    return f"『{title}』が『{vals}』のとき『{targets}』を表示して必須にする"


def _value_ja(v: Any) -> str:
    if v is True:
        return "はい"
    if v is False:
        return "いいえ"
    return str(v)


def _title_of(m: FormModel, key: str) -> str:
    try:
        return m.field_by_key(key).title or key
    except EditError:
        return key


# -- editing ---------------------------------------------------------------------------------
def new_key(m: FormModel, title: str, preferred: str | None = None) -> str:
    """A readable property key, unique in the form: from the dictionary, else field_N."""
    taken = {f.key for f in m.fields}
    base = preferred or KEY_WORDS.get(title.strip()) or ""
    if not base:
        ascii_part = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
        base = ascii_part if re.fullmatch(r"[a-z][a-z0-9_]{0,40}", ascii_part or "") else ""
    if base and base not in taken:
        return base
    stem = base or "field"
    n = 1
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def new_choice_value(f: Field, label: str) -> Any:
    """A stable stored value for a new choice: the label itself for Japanese lists, else option-N."""
    values = {str(c.value) for c in f.choices}
    coded = f.choices and all(isinstance(c.value, str) and c.value.isascii() for c in f.choices)
    if not coded and label and label not in values:
        return label
    n = len(f.choices) + 1
    while f"option-{n}" in values:
        n += 1
    return f"option-{n}"


def basic_field(m: FormModel, kind: str, title: str) -> Field:
    """A new field of a basic kind."""
    if kind not in BASIC_KINDS:
        raise EditError(f"項目の種類「{kind}」はありません")
    title = title.strip() or KIND_JA[kind]
    f = Field(key=new_key(m, title), kind=kind, title=title)
    if kind in ("text",):
        f.extra = {"type": "string"}
        f.max_length = 100
    elif kind == "textarea":
        f.extra = {"type": "string", "x-yoshiki-widget": "textarea"}
        f.max_length = 1000
    elif kind == "number":
        f.extra = {"type": "integer"}
    elif kind == "date":
        f.extra = {"type": "string", "format": "date", "x-yoshiki-widget": "date"}
    elif kind == "choice":
        f.extra = {"type": "string", "x-yoshiki-widget": "radio"}
        f.choices = [Choice("選択肢1", "選択肢1", False), Choice("選択肢2", "選択肢2", False)]
    elif kind == "choices":
        f.extra = {"type": "array", "uniqueItems": True, "x-yoshiki-widget": "checkboxes"}
        f.items_extra = {"type": "string"}
        f.choices = [Choice("選択肢1", "選択肢1", False), Choice("選択肢2", "選択肢2", False)]
    elif kind == "yesno":
        f.extra = {"type": "boolean"}
    elif kind == "consent":
        f.extra = {"type": "boolean", "const": True}
        f.required = True
    return f


def shared_field(m: FormModel, file: str) -> Field:
    """A new field that refers to a shared definition (schemas/common)."""
    if file not in SHARED_BY_FILE:
        raise EditError(f"共通項目「{file}」はありません")
    title, key = SHARED_BY_FILE[file]
    return Field(key=new_key(m, title, key), kind="shared", title=title,
                 ref=COMMON_PREFIX + file)


def remove_field(m: FormModel, key: str) -> None:
    f = m.field_by_key(key)
    if f.locked:
        raise EditError(f"「{f.title}」はフォーク元が固定している項目のため削除できません")
    m.fields.remove(f)
    m.conditions = [c for c in m.conditions if c.field != key]
    for c in m.conditions:
        c.then = [t for t in c.then if t != key]
    m.conditions = [c for c in m.conditions if c.then]


def move_field(m: FormModel, key: str, delta: int) -> None:
    f = m.field_by_key(key)
    i = m.fields.index(f)
    j = max(0, min(len(m.fields) - 1, i + delta))
    m.fields.insert(j, m.fields.pop(i))


def remove_choice(m: FormModel, key: str, index: int) -> None:
    f = m.field_by_key(key)
    if f.locked:
        raise EditError(f"「{f.title}」はフォーク元が固定している項目のため選択肢を変えられません")
    if not 0 <= index < len(f.choices):
        raise EditError("その選択肢はありません")
    if len(f.choices) <= 1:
        raise EditError("選択肢は 1 つ以上必要です")
    gone = f.choices.pop(index)
    for c in m.conditions:
        if c.field == key:
            c.values = [v for v in c.values if v != gone.value]
    m.conditions = [c for c in m.conditions if c.values]


def add_condition(m: FormModel, source: str, value_index: int, target: str) -> Condition:
    src = m.field_by_key(source)
    if not src.has_choices or src.kind != "choice":
        raise EditError(f"「{src.title}」は 1 つ選ぶ項目ではないため条件に使えません")
    if not 0 <= value_index < len(src.choices):
        raise EditError("条件の選択肢がありません")
    m.field_by_key(target)
    if target == source:
        raise EditError("条件の項目と表示する項目は別の項目にしてください")
    c = Condition(field=source, values=[src.choices[value_index].value], then=[target])
    m.conditions.append(c)
    return c
