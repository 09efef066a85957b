"""The submission validator: a compiled form checks submissions and explains failures.

``compile_form(schema, schemas)`` → ``FormValidator``: ``x-yoshiki-normalize`` (nfkc, trim)
normalisers, jsonschema-rs validation (``pattern`` per ECMA-262, formats asserted) and messages
in staff's words (``registry.submissions.messages``), by field title. Used by ``check-data``,
the preview page, a version's examples (``registry.checks.validation``) and pull. References
resolve through ``SchemaSet.retrieve`` only: never the network.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from registry.errors import InvalidTemplate, RegistryError
from registry.models import Issue
from registry.submissions.messages import explain
from registry.syntax import pointers, validators
from registry.syntax.applicators import (
    IN_PLACE_LISTS,
    IN_PLACE_MAPS,
    IN_PLACE_SINGLE,
    in_place_children,
)
from registry.syntax.refs import Resolver, SchemaSet

MAX_ISSUES_PER_RECORD = 50
MAX_SCHEMA_DEPTH = 64  # how deep a form schema may nest (template validation refuses deeper)
_ABSENT: Any = object()


def compile_validator(schema: Any, schemas: SchemaSet, *, validate_formats: bool) -> jsonschema_rs.Validator:
    """A jsonschema-rs validator of ``schema``, resolving references through ``schemas`` only."""
    if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
        schemas.add(schema["$id"], schema)
    return validators.compile_schema(schema, validate_formats=validate_formats,
                                     retriever=schemas.retrieve)


_CONSUMING_NAMED = ("properties", "patternProperties", "prefixItems")
_CONSUMING_SINGLE = ("items", "additionalProperties", "contains", "unevaluatedItems",
                     "unevaluatedProperties", "propertyNames", "additionalItems")
_ITEM_KEYWORDS = ("items", "contains", "unevaluatedItems", "additionalItems")
_ANNOTATIONS = ("title", "description", "x-yoshiki-placeholder", "examples", "x-yoshiki-enum-labels")


@dataclass(frozen=True)
class _Field:
    """What an error message needs about the failing field."""

    title: str | None
    schema: dict[str, Any]
    keyword_schema: dict[str, Any]
    # Schemas applying at the failing instance location, with their base URIs (innermost last).
    nodes: tuple[tuple[Any, str], ...] = ()
    # Title of the enclosing array when the failing value is one of its items.
    container_title: str | None = None


class FormValidator:
    """A compiled form: checks submissions and explains failures in staff's words."""

    def __init__(self, schema: Any, schemas: SchemaSet) -> None:
        self.schema = schema
        self.schemas = schemas
        try:
            self._validator = compile_validator(schema, schemas, validate_formats=True)
        except (ValueError, jsonschema_rs.ValidationError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InvalidTemplate(f"the form schema cannot be used: {message}",
                                  detail_ja=f"フォームのスキーマを使えません: {message}") from None
        self._resolver = Resolver(schema, schemas)
        self._fields: dict[tuple[str | int, ...], _Field] = {}
        self.normalizer = _normalizer(schema, self._resolver)
        self.root_title = schema.get("title") if isinstance(schema, dict) else None

    @property
    def resolver(self) -> Resolver:
        """The pure-Python resolver over the form's references (for walking fields)."""
        return self._resolver

    def normalize(self, value: Any) -> Any:
        """Apply ``x-yoshiki-normalize`` (nfkc, trim) to the fields that ask for it (a copy)."""
        return self.normalizer(value) if self.normalizer is not None else value

    def is_valid(self, value: Any) -> bool:
        """True when the (already normalised) value is a valid submission."""
        return bool(self._validator.is_valid(value))

    def check(self, value: Any, *, file: str | None = None, record: int | None = None,
              line: int | None = None, normalized: bool = False, known_invalid: bool = False,
              limit: int = MAX_ISSUES_PER_RECORD) -> list[Issue]:
        """Errors of one submission, each naming the field's title and what is expected."""
        if not normalized:
            value = self.normalize(value)
        if not known_invalid and self._validator.is_valid(value):
            return []
        issues: list[Issue] = []
        for err in self._validator.iter_errors(value):
            issues.append(self._explain(err, file, record, line))
            if len(issues) >= limit:
                break
        return issues

    def _field(self, path: tuple[str | int, ...]) -> _Field:
        found = self._fields.get(path)
        if found is None:
            found = self._fields[path] = self._walk(path)
        return found

    def _walk(self, tokens: tuple[str | int, ...]) -> _Field:
        node: Any = self.schema
        base = self._resolver.root_uri
        chain: list[Any] = [node]
        bases: list[str] = [base]
        container: str | None = None
        start = 0
        i = 0
        try:
            while i < len(tokens) - 1:
                tok = tokens[i]
                if tok in ("$ref", "$dynamicRef"):
                    base, node = self._resolver.resolve(base, node[tok])
                    i += 1
                elif tok in _CONSUMING_NAMED:
                    if tok == "prefixItems":
                        container = _title_in(chain[start:])
                    node = node[tok][tokens[i + 1] if tok != "prefixItems" else int(tokens[i + 1])]
                    start = len(chain)
                    i += 2
                elif tok in _CONSUMING_SINGLE:
                    if tok in _ITEM_KEYWORDS:
                        container = _title_in(chain[start:])
                    node = node[tok]
                    start = len(chain)
                    i += 1
                elif tok in IN_PLACE_LISTS:
                    node = node[tok][int(tokens[i + 1])]
                    i += 2
                elif tok in IN_PLACE_MAPS:
                    node = node[tok][tokens[i + 1]]
                    i += 2
                elif tok in IN_PLACE_SINGLE:
                    node = node[tok]
                    i += 1
                else:
                    break
                base = Resolver.base_of(base, node)
                chain.append(node)
                bases.append(base)
        except (KeyError, IndexError, TypeError, ValueError, RegistryError):
            pass
        merged: dict[str, Any] = {}
        for n in reversed(chain[start:]):
            if isinstance(n, dict):
                merged.update({k: n[k] for k in _ANNOTATIONS if k in n})
        title = merged.get("title") if isinstance(merged.get("title"), str) else None
        keyword_schema = chain[-1] if isinstance(chain[-1], dict) else {}
        return _Field(title, merged, keyword_schema, tuple(zip(chain[start:], bases[start:], strict=True)),
                      container)

    def _property_title(self, field_info: _Field, name: str) -> str | None:
        """Title of property ``name`` of the object being checked, wherever it is declared.

        ``required`` often sits beside a ``$ref`` or in an if/then while the property is declared
        in the referenced schema or at the root: search every schema applying to this object.
        """
        queue = list(reversed(field_info.nodes))
        seen: set[int] = set()
        while queue and len(seen) < 64:
            node, base = queue.pop(0)
            if not isinstance(node, dict) or id(node) in seen:
                continue
            seen.add(id(node))
            props = node.get("properties")
            if isinstance(props, dict) and isinstance(props.get(name), dict):
                title = self._title_of(props[name], base)
                if title is not None:
                    return title
            if isinstance(node.get("$ref"), str):
                try:
                    tbase, target = self._resolver.resolve(base, node["$ref"])
                    queue.append((target, Resolver.base_of(tbase, target)))
                except RegistryError:
                    pass
            queue.extend((child, Resolver.base_of(base, child)) for child in in_place_children(node))
        # An outer schema (an if/then at the root) may declare it: try every node on the way.
        return None

    def _title_of(self, sub: dict[str, Any], base: str) -> str | None:
        for _ in range(16):
            if isinstance(sub.get("title"), str):
                return str(sub["title"])
            if not isinstance(sub.get("$ref"), str):
                return None
            try:
                base, sub = self._resolver.resolve(base, sub["$ref"])
            except RegistryError:
                return None
            if not isinstance(sub, dict):
                return None
        return None

    def _explain(self, err: Any, file: str | None, record: int | None, line: int | None) -> Issue:
        kind = err.kind
        keyword = kind.name
        field_info = self._field(tuple(err.evaluation_path))
        instance_path = list(err.instance_path)
        pointer = pointers.join(instance_path)
        details: dict[str, Any] = {} if keyword in ("anyOf", "oneOf") else kind.as_dict()
        title = field_info.title
        if keyword == "required":
            name = str(details.get("property"))
            title = self._property_title(field_info, name) or name
            pointer = pointers.child(pointer, name)
        elif keyword == "anyOf":
            # "email or phone": every alternative only lacks a field → name the fields.
            names = _required_alternatives(kind.as_dict().get("context") or [])
            if names:
                keyword_details = {"titles": [self._property_title(field_info, n) or n for n in names]}
                ja, en = explain("anyOf-required", keyword_details, title or "", {}, None, err.message)
                return Issue(rule="data.anyOf", message=en, message_ja=ja, pointer=pointer, file=file,
                             record=record, line=line)
        if title is None:
            if instance_path and isinstance(instance_path[-1], int) and field_info.container_title:
                title = f"{field_info.container_title}（{instance_path[-1] + 1}番目）"
            else:
                title = str(instance_path[-1]) if instance_path else (self.root_title or "申請内容")
        ja, en = explain(keyword, details, title, field_info.schema if keyword != "enum" else
                         {**field_info.keyword_schema, **field_info.schema}, err.instance, err.message)
        return Issue(rule=f"data.{keyword}", message=en, message_ja=ja, pointer=pointer, file=file,
                     record=record, line=line)


def _title_in(nodes: list[Any]) -> str | None:
    """The outermost title among schemas applying at one location."""
    for n in nodes:
        if isinstance(n, dict) and isinstance(n.get("title"), str):
            return str(n["title"])
    return None


def _required_alternatives(context: list[list[Any]]) -> list[str]:
    """Missing field names when every anyOf branch failed only by ``required``; else []."""
    names: list[str] = []
    for branch in context:
        if not branch or any(e.kind.name != "required" for e in branch):
            return []
        names.extend(str(e.kind.as_dict().get("property")) for e in branch)
    return list(dict.fromkeys(names))


def _normalizer(schema: Any, resolver: Resolver) -> Callable[[Any], Any] | None:
    """A function applying every ``x-yoshiki-normalize`` of the form, or None when there is none."""

    def build(node: Any, base: str, active: frozenset[int]) -> Callable[[Any], Any] | None:
        if not isinstance(node, dict) or id(node) in active or len(active) > MAX_SCHEMA_DEPTH:
            return None
        active = active | {id(node)}
        base = Resolver.base_of(base, node)
        parts: list[Callable[[Any], Any]] = []
        ops = node.get("x-yoshiki-normalize")
        if isinstance(ops, list) and ops:
            parts.append(_string_ops([str(o) for o in ops]))
        if isinstance(node.get("$ref"), str):
            try:
                tbase, target = resolver.resolve(base, node["$ref"])
                sub = build(target, tbase, active)
                if sub is not None:
                    parts.append(sub)
            except RegistryError:
                pass
        for child in (c for kw in ("allOf",) for c in node.get(kw, []) if isinstance(node.get(kw), list)):
            sub = build(child, base, active)
            if sub is not None:
                parts.append(sub)
        props = node.get("properties")
        if isinstance(props, dict):
            prop_fns = {k: f for k, v in props.items() if (f := build(v, base, active)) is not None}
            if prop_fns:
                parts.append(_props(prop_fns))
        items = node.get("items")
        if isinstance(items, dict):
            item_fn = build(items, base, active)
            if item_fn is not None:
                parts.append(_items(item_fn))
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]

        def chained(value: Any) -> Any:
            for p in parts:
                value = p(value)
            return value

        return chained

    return build(schema, resolver.root_uri, frozenset())


def _string_ops(ops: list[str]) -> Callable[[Any], Any]:
    nfkc, trim = "nfkc" in ops, "trim" in ops

    def apply(value: Any) -> Any:
        if isinstance(value, str):
            if nfkc:
                value = unicodedata.normalize("NFKC", value)
            if trim:
                value = value.strip()
        return value

    return apply


def _props(fns: dict[str, Callable[[Any], Any]]) -> Callable[[Any], Any]:
    items = list(fns.items())

    def apply(value: Any) -> Any:
        # Copy on write: str.strip and NFKC return the same object when nothing changes, so a
        # clean submission (the common case) is passed through without copying.
        if isinstance(value, dict):
            copied = False
            for k, f in items:
                old = value.get(k, _ABSENT)
                if old is _ABSENT:
                    continue
                new = f(old)
                if new is not old:
                    if not copied:
                        value, copied = dict(value), True
                    value[k] = new
        return value

    return apply


def _items(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        new = [fn(v) for v in value]
        return value if all(a is b for a, b in zip(new, value, strict=True)) else new

    return apply


def compile_form(schema: Any, schemas: SchemaSet) -> FormValidator:
    """Compile a form schema once for checking many submissions."""
    return FormValidator(schema, schemas)
