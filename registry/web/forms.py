"""A form schema as widgets a resident fills in, and form POST data back into a JSON value.

Pure: no web framework. ``widgets(schema, schemas)`` walks the schema (following ``$ref``
through ``registry.syntax.refs.Resolver``) and returns a tree of ``Widget``s the page templates render;
``form_value(widgets, data)`` turns flat POST names (``student.name``, ``symptoms``) back into
the nested value ``compile_form(...).check`` validates, coerced by the fields' JSON types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.errors import RegistryError
from registry.submissions.readers import coerce
from registry.syntax.refs import Resolver, SchemaSet

CONSENT_LABEL = "上記に同意します"   # the □ of a ``const: true`` without x-yoshiki-consent-label
RADIO_MAX = 5              # up to this many options: radio buttons; more: a select
LONG_TEXT = 100            # maxLength above this: a textarea
# Where 住所's parts go, whatever order the schema lists them in.
ADDRESS_ORDER = ("postal_code", "prefecture", "city", "street", "building")
_MAX_DEPTH = 8


@dataclass
class Condition:
    """Show a field only when another field (by form name) has one of these values."""

    name: str
    values: list[str]


@dataclass
class Widget:
    """One input (or a fieldset of inputs) of the rendered form."""

    name: str                      # the POST name: "address.postal_code"
    pointer: str                   # the JSON pointer of the value: "/address/postal_code"
    title: str
    kind: str                      # text email tel date number integer textarea radio select
    #                                checkboxes checkbox fieldset lines unsupported hidden
    description: str | None = None
    required: bool = False
    conditional_required: bool = False
    personal: bool = False
    placeholder: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)   # (value, label)
    children: list[Widget] = field(default_factory=list)
    condition: Condition | None = None
    types: frozenset[str] = frozenset()
    item_types: frozenset[str] = frozenset()
    enum: list[Any] = field(default_factory=list)
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    staff_only: bool = False       # x-yoshiki-staff-only, or a hidden widget: filled at the counter
    note: str | None = None        # x-yoshiki-note: for staff and IT, never shown to residents
    consent_label: str | None = None   # label of the □ of a boolean / const field
    default: Any = None
    has_default: bool = False
    ref_id: str | None = None      # the $id of the definition the field reuses (common/birth-date)
    item_fields: list[Widget] = field(default_factory=list)   # an array of objects: its columns
    max_items: int | None = None
    pattern: str | None = None
    format: str | None = None

    @property
    def id(self) -> str:
        """An HTML id derived from the name (dots and brackets are awkward in CSS selectors)."""
        return "f-" + self.name.replace(".", "-")

    def walk(self) -> Iterable[Widget]:
        """This widget and every widget inside it."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def type_label(self) -> str:
        """The field's type in staff's words (the template page's field list)."""
        return TYPE_LABELS.get(self.kind, self.kind)


TYPE_LABELS = {
    "text": "文字", "email": "メールアドレス", "tel": "電話番号", "date": "日付", "number": "数値",
    "integer": "整数", "textarea": "文章", "radio": "選択 (1つ)", "select": "選択 (1つ)",
    "checkboxes": "選択 (複数)", "checkbox": "はい/いいえ", "fieldset": "項目のまとまり",
    "lines": "一覧 (1行に1つ)", "unsupported": "その他", "hidden": "非表示",
}


class _Walker:
    def __init__(self, schema: Any, schemas: SchemaSet | None) -> None:
        self.resolver = Resolver(schema, schemas or SchemaSet())

    def merged(self, node: Any, base: str) -> tuple[dict[str, Any], str]:
        """The node with its ``$ref`` targets merged in (the referring keys win)."""
        out: dict[str, Any] = {}
        for _ in range(16):
            if not isinstance(node, dict):
                break
            base = Resolver.base_of(base, node)
            for k, v in node.items():
                if k == "properties" and isinstance(v, dict):
                    props = out.setdefault("properties", {})
                    bases = out.setdefault("_bases", {})
                    for name, sub in v.items():
                        props.setdefault(name, sub)
                        bases.setdefault(name, base)
                elif k == "required" and isinstance(v, list):
                    out["required"] = [*out.get("required", []), *v]
                elif k not in out:
                    out[k] = v
            ref = node.get("$ref")
            if not isinstance(ref, str):
                break
            try:
                base, node = self.resolver.resolve(base, ref)
            except RegistryError:
                break
        return out, base

    def object_fields(self, schema: dict[str, Any], base: str, prefix: str, pointer: str,
                      depth: int) -> list[Widget]:
        props = _dict(schema.get("properties"))
        bases: dict[str, str] = dict(_dict(schema.get("_bases")))
        required = set(_list(schema.get("required")))
        conditions, cond_required, extra = self.conditions(schema, base, prefix)
        names = list(props)
        for name, sub in extra.items():
            if name not in props:
                props = {**props, name: sub}
                bases[name] = base
                names.append(name)
        if set(names) & {"postal_code", "city", "street"}:
            names.sort(key=lambda n: ADDRESS_ORDER.index(n) if n in ADDRESS_ORDER else len(ADDRESS_ORDER))
        out: list[Widget] = []
        for name in names:
            w = self.field(props[name], bases.get(name, base), f"{prefix}{name}", f"{pointer}/{name}",
                           name, name in required, depth + 1)
            if name in conditions:
                w.condition = conditions[name]
                w.conditional_required = name in cond_required
            out.append(w)
        return out

    def conditions(self, schema: dict[str, Any], base: str, prefix: str
                   ) -> tuple[dict[str, Condition], set[str], dict[str, Any]]:
        """Fields an ``if``/``then`` brings in, with the condition that shows them."""
        found: dict[str, Condition] = {}
        cond_required: set[str] = set()
        extra: dict[str, Any] = {}
        blocks = [schema, *(b for b in _list(schema.get("allOf")) if isinstance(b, dict))]
        for block in blocks:
            cond = self._condition(block.get("if"), prefix)
            then = block.get("then")
            if cond is None or not isinstance(then, dict):
                continue
            then_required = _list(then.get("required"))
            then_props = _dict(then.get("properties"))
            for name in [*then_required, *then_props]:
                if not isinstance(name, str):
                    continue
                if name in found and found[name].name == cond.name:
                    found[name].values = sorted({*found[name].values, *cond.values})
                else:
                    found[name] = Condition(cond.name, list(cond.values))
                if name in then_required:
                    cond_required.add(name)
                if name in then_props and name not in _dict(schema.get("properties")):
                    extra[name] = then_props[name]
        return found, cond_required, extra

    @staticmethod
    def _condition(test: Any, prefix: str) -> Condition | None:
        if not isinstance(test, dict) or not isinstance(test.get("properties"), dict):
            return None
        props = test["properties"]
        if len(props) != 1:
            return None
        (name, sub), = props.items()
        if not isinstance(sub, dict):
            return None
        if "const" in sub:
            values = [sub["const"]]
        elif isinstance(sub.get("enum"), list):
            values = list(sub["enum"])
        elif isinstance(sub.get("contains"), dict) and "const" in sub["contains"]:
            values = [sub["contains"]["const"]]
        elif isinstance(sub.get("contains"), dict) and isinstance(sub["contains"].get("enum"), list):
            values = list(sub["contains"]["enum"])
        else:
            return None
        return Condition(f"{prefix}{name}", [_text(v) for v in values])

    def field(self, node: Any, base: str, name: str, pointer: str, key: str, required: bool,
              depth: int) -> Widget:
        schema, base = self.merged(node, base)
        title = str(schema["title"]) if isinstance(schema.get("title"), str) else key
        w = Widget(name=name, pointer=pointer, title=title, kind="text", required=required,
                   description=schema.get("description") if isinstance(schema.get("description"), str) else None,
                   personal=schema.get("x-yoshiki-personal") is True,
                   placeholder=schema.get("x-yoshiki-placeholder")
                   if isinstance(schema.get("x-yoshiki-placeholder"), str) else None,
                   types=_types(schema))
        hint = schema.get("x-yoshiki-widget")
        w.staff_only = schema.get("x-yoshiki-staff-only") is True or hint == "hidden"
        w.note = schema["x-yoshiki-note"] if isinstance(schema.get("x-yoshiki-note"), str) else None
        w.consent_label = (schema["x-yoshiki-consent-label"]
                           if isinstance(schema.get("x-yoshiki-consent-label"), str) else None)
        if "default" in schema:
            w.default, w.has_default = schema["default"], True
        w.ref_id = schema["$id"] if isinstance(schema.get("$id"), str) else None
        if isinstance(schema.get("maxItems"), int):
            w.max_items = schema["maxItems"]
        w.pattern = schema["pattern"] if isinstance(schema.get("pattern"), str) else None
        w.format = schema["format"] if isinstance(schema.get("format"), str) else None
        if isinstance(schema.get("maxLength"), int):
            w.max_length = schema["maxLength"]
        for k in ("minimum", "maximum"):
            if isinstance(schema.get(k), int | float) and not isinstance(schema.get(k), bool):
                setattr(w, k, schema[k])
        labels = _dict(schema.get("x-yoshiki-enum-labels"))
        enum = _enum_of(schema)
        # A hidden widget is a staff-only field (docs/format.md): it keeps its real kind, so the
        # counter entry can show it; the resident's forms leave it out.
        if "object" in w.types or isinstance(schema.get("properties"), dict):
            w.kind = "fieldset"
            if depth < _MAX_DEPTH:
                w.children = self.object_fields(schema, base, name + ".", pointer, depth)
        elif "array" in w.types:
            items, _ = self.merged(schema.get("items"), base)
            item_enum = _enum_of(items)
            w.item_types = _types(items)
            if item_enum is not None:
                ilabels = _dict(items.get("x-yoshiki-enum-labels"))
                w.kind, w.enum = "checkboxes", item_enum
                w.options = [(_text(v), str(ilabels.get(_text(v), _text(v)))) for v in item_enum]
            elif w.item_types <= {"string", "integer", "number"} and w.item_types:
                w.kind = "lines"
            else:
                w.kind = "unsupported"
                if ("object" in w.item_types or isinstance(items.get("properties"), dict)) \
                        and depth < _MAX_DEPTH:
                    w.item_fields = self.object_fields(items, base, name + "[].", pointer + "/-",
                                                       depth)
        elif enum is not None and enum and all(isinstance(v, bool) for v in enum):
            # A consent (``const: true``) or a yes/no: one □ with a label, never 「□ true」.
            w.kind, w.enum = "checkbox", enum
            if w.consent_label is None and enum == [True]:
                w.consent_label = CONSENT_LABEL
        elif enum is not None:
            w.enum = enum
            w.options = [(_text(v), str(labels.get(_text(v), _text(v)))) for v in enum]
            if hint in ("radio", "select"):
                w.kind = str(hint)
            else:
                w.kind = "radio" if len(enum) <= RADIO_MAX else "select"
        elif "boolean" in w.types:
            w.kind = "checkbox"
        elif "integer" in w.types:
            w.kind = "integer"
        elif "number" in w.types:
            w.kind = "number"
        elif schema.get("format") == "date" or hint == "date":
            w.kind = "date"
        elif schema.get("format") == "email":
            w.kind = "email"
        elif hint == "tel" or key in ("phone", "tel") or _is_phone(schema):
            w.kind = "tel"
        elif hint == "textarea" or (w.max_length or 0) > LONG_TEXT:
            w.kind = "textarea"
        return w


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_phone(schema: dict[str, Any]) -> bool:
    sid = schema.get("$id")
    return isinstance(sid, str) and sid.endswith("/common/phone.json")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _enum_of(schema: dict[str, Any]) -> list[Any] | None:
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    if "const" in schema and not isinstance(schema["const"], dict | list):
        return [schema["const"]]
    for kw in ("oneOf", "anyOf"):
        alts = schema.get(kw)
        if isinstance(alts, list) and alts and all(isinstance(a, dict) and "const" in a for a in alts):
            return [a["const"] for a in alts]
    return None


def _types(schema: dict[str, Any]) -> frozenset[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return frozenset({t})
    if isinstance(t, list):
        return frozenset(str(x) for x in t)
    enum = _enum_of(schema)
    if enum:
        return frozenset("boolean" if isinstance(v, bool) else "integer" if isinstance(v, int) else
                         "number" if isinstance(v, float) else "string" for v in enum)
    return frozenset()


def widgets(schema: Any, schemas: SchemaSet | None = None) -> list[Widget]:
    """The form's top-level widgets, in the schema's order (住所's parts in postal order)."""
    walker = _Walker(schema, schemas)
    root, base = walker.merged(schema, walker.resolver.root_uri)
    return walker.object_fields(root, base, "", "", 0)


def _values(data: Mapping[str, Any] | Any, name: str) -> list[str]:
    getall = getattr(data, "getall", None)
    if getall is not None:
        try:
            return [str(v) for v in getall(name)]
        except KeyError:
            return []
    value = data.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _choice(w: Widget, text: str) -> Any:
    for v in w.enum:
        if _text(v) == text:
            return v
    return text


def _leaf(w: Widget, data: Any) -> tuple[bool, Any]:
    raw = _values(data, w.name)
    if w.kind == "checkboxes":
        return (True, [_choice(w, t) for t in raw]) if raw else (False, None)
    if w.kind == "lines":
        items = [line.strip() for t in raw for line in t.splitlines() if line.strip()]
        return (True, [coerce(i, w.item_types) for i in items]) if items else (False, None)
    text = raw[0] if raw else ""
    if text == "":
        return False, None
    if w.kind in ("radio", "select"):
        return True, _choice(w, text)
    if w.kind == "checkbox":
        return True, text in ("true", "on", "1")
    return True, coerce(text, w.types) if w.types and "string" not in w.types else text


def form_value(fields: list[Widget], data: Mapping[str, Any] | Any, *,
               counter: bool = False) -> dict[str, Any]:
    """POST data (a multi-dict or a plain dict) as the JSON value the form describes.

    Empty inputs are absent fields (the validator then reports a required one as missing); an
    object whose inputs are all empty is absent too. On the resident's form (``counter`` false)
    a staff-only field with a ``default`` takes that default (瑞穂町's 受付方法 = online).
    """
    out: dict[str, Any] = {}
    for w in fields:
        key = w.pointer.rsplit("/", 1)[-1]
        if w.kind == "fieldset":
            inner = form_value(w.children, data, counter=counter)
            if inner:
                out[key] = inner
        elif w.kind != "unsupported":
            present, value = _leaf(w, data)
            if present:
                out[key] = value
            elif w.staff_only and w.has_default and not counter:
                # Not on the resident's form: the value the counter would otherwise set.
                out[key] = w.default
    return out


def entered(fields: list[Widget], data: Mapping[str, Any] | Any) -> dict[str, list[str]]:
    """The raw strings entered per form name (to keep them when the form is shown again)."""
    out: dict[str, list[str]] = {}
    for top in fields:
        for w in top.walk():
            if w.kind != "fieldset":
                raw = _values(data, w.name)
                if raw:
                    out[w.name] = raw
    return out


def name_of_pointer(fields: list[Widget], pointer: str) -> str | None:
    """The form name of the deepest widget at or above ``pointer`` (where to show an error)."""
    best: tuple[int, str] | None = None
    for top in fields:
        for w in top.walk():
            inside = pointer == w.pointer or pointer.startswith(w.pointer + "/")
            if inside and (best is None or len(w.pointer) > best[0]):
                best = (len(w.pointer), w.name)
    return best[1] if best else None


__all__ = ["Condition", "Widget", "entered", "form_value", "name_of_pointer", "widgets"]
