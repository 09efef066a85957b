"""Three-way structural merge of JSON documents (form schemas and template.json); pure.

``merge(base, ours, theirs)`` merges objects key by key, ``required``/``enum``/``type`` as sets,
other arrays whole (``anyOf``/``oneOf``/``allOf`` ignoring a reordering), and reports every
value both sides changed differently — or one deleted while the other edited — as a conflict
at its JSON pointer. Nothing is half-merged: with conflicts ``merged`` is None. The rules, and
why, are in docs/merge.md; ``pull`` (registry/service.py) and ``yoshiki merge`` both use this.

Equality is JSON equality (``true`` is not ``1``; ``1`` is ``1.0``; key order does not count),
decided by a fingerprint of every container computed once per document, so a merge costs time
linear in the size of the documents whatever their shape.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

import msgspec

from registry.errors import LimitExceeded, UsageError
from registry.models import Issue
from registry.syntax import pointers

# Absent value: a key missing on one side. msgspec omits UNSET fields when encoding a Struct,
# which is exactly "rendered as absent in JSON".
MISSING: Final = msgspec.UNSET

# Deep enough for any form (a few levels of nested objects); shallow enough that the recursive
# merge stays far from Python's recursion limit whoever calls it.
MAX_DEPTH: Final = 200

ConflictKind = Literal["both_changed", "delete_edit", "add_add", "set_emptied"]

KIND_TEXT: Final[dict[str, tuple[str, str]]] = {
    "both_changed": ("both sides changed this value differently",
                     "両方の版でこの値が異なる内容に変更されています"),
    "delete_edit": ("one side deleted this value while the other changed it",
                    "一方の版で削除され、もう一方の版で変更されています"),
    "add_add": ("both sides added this value with different contents",
                "両方の版でこの値が異なる内容で追加されています"),
    "set_emptied": ("the removals of both sides together leave no member",
                    "両方の版の削除を合わせると値が一つも残りません"),
}

# Where a schema's keywords hold subschemas (draft 2020-12, plus draft-07 spellings seen in
# the wild). Anything else under a schema is data (const, default, examples, x-yoshiki-*...):
# merged as plain JSON, never with set semantics, so a field named "type" stays a field.
_SCHEMA_VALUED: Final = frozenset({
    "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "additionalItems", "contentSchema",
})
_SCHEMA_MAPS: Final = frozenset({
    "properties", "patternProperties", "$defs", "definitions", "dependentSchemas",
})
_UNORDERED: Final = frozenset({"allOf", "anyOf", "oneOf"})
_SETS: Final = frozenset({"required", "enum", "type"})

# template.json: the city's own fields never come from upstream (docs/format.md).
TEMPLATE_OWN_FIELDS: Final = frozenset({
    "maintainers", "local", "changelog", "upstream", "compatibility", "lint", "paper",
})
TEMPLATE_SHARED_FIELDS: Final = frozenset({
    "title", "title_en", "description", "category", "tags", "license",
})

# Contexts: what a value is, decided by where it sits.
_SCHEMA, _MAP, _DATA, _DEPS, _TEMPLATE = "schema", "map", "data", "deps", "template"
_REQUIRED, _ENUM, _TYPE, _TAGS, _ANYOF = "required", "enum", "type", "tags", "anyof"


class Value(msgspec.Struct, frozen=True):
    """An explicit resolution value (needed only when the value is the string "ours"/"theirs")."""

    value: Any


Resolution = Any  # "ours" | "theirs" | Value(x) | any other JSON value (taken as the value)


class MergeConflict(msgspec.Struct, kw_only=True):
    """One conflict: where (RFC 6901 pointer), what kind, and the three values (MISSING if absent)."""

    pointer: str
    kind: ConflictKind
    base: Any = MISSING
    ours: Any = MISSING
    theirs: Any = MISSING
    missing: list[str] = msgspec.field(default_factory=list)
    message: str = ""
    message_ja: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form: absent sides are left out and named in ``missing``."""
        body: dict[str, Any] = {"pointer": self.pointer, "kind": self.kind}
        for side in ("base", "ours", "theirs"):
            value = getattr(self, side)
            if value is not MISSING:
                body[side] = value
        body["missing"] = list(self.missing)
        body["message"] = self.message
        body["message_ja"] = self.message_ja
        return body

    def to_issue(self, file: str | None = None) -> Issue:
        """The conflict as an Issue (rule ``merge.<kind>``) for the common reporters."""
        return Issue(rule=f"merge.{self.kind}", message=self.message, message_ja=self.message_ja,
                     pointer=self.pointer, file=file)


class MergeResult(msgspec.Struct, kw_only=True):
    """The outcome: ``merged`` when clean, else None with ``conflicts``.

    ``partial`` is the merge with every conflict left at ours' value: for display only, never
    for publishing.
    """

    merged: Any | None
    conflicts: list[MergeConflict]
    partial: Any = None

    @property
    def clean(self) -> bool:
        """True when there is no conflict."""
        return not self.conflicts


def _conflict(pointer: str, kind: ConflictKind, base: Any, ours: Any, theirs: Any) -> MergeConflict:
    en, ja = KIND_TEXT[kind]
    missing = [name for name, v in (("base", base), ("ours", ours), ("theirs", theirs))
               if v is MISSING]
    return MergeConflict(pointer=pointer, kind=kind, base=base, ours=ours, theirs=theirs,
                         missing=missing, message=en, message_ja=ja)


# ---------------------------------------------------------------------------------------------
# Fingerprints: JSON equality in O(1) after one linear pass per document.

def _scalar_bytes(value: Any) -> bytes:
    if value is None:
        return b"n"
    if value is True:
        return b"t"
    if value is False:
        return b"f"
    if isinstance(value, int):
        return b"i" + str(value).encode()
    if isinstance(value, float):
        # JSON has one number type: 1.0 and 1 are the same value (as JSON Schema's enum says).
        if math.isfinite(value) and value.is_integer():
            return b"i" + str(int(value)).encode()
        return b"d" + repr(value).encode()
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _digest(parts: Iterable[bytes], tag: bytes) -> bytes:
    h = hashlib.blake2b(tag, digest_size=16)
    for part in parts:
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return b"#" + h.digest()  # "#" is no scalar's tag: a container never equals a scalar


class _Fingerprints:
    """Digest of every container of the input documents, keyed by id (inputs stay alive)."""

    def __init__(self) -> None:
        self._memo: dict[int, bytes] = {}
        # Height of each fingerprinted container, so a subtree shared between documents (a
        # Python caller may alias them) is still depth-checked where it is seen again.
        self._height: dict[int, int] = {}

    def add(self, document: Any, name: str) -> None:
        """Fingerprint a whole document iteratively; refuse nesting deeper than MAX_DEPTH."""
        if not isinstance(document, dict | list):
            return
        # Post-order walk with an explicit stack of (node, depth, children already pushed).
        stack: list[tuple[Any, int, bool]] = [(document, 1, False)]
        while stack:
            node, depth, expanded = stack.pop()
            known = self._height.get(id(node))
            if known is not None:
                if depth + known - 1 > MAX_DEPTH:
                    raise _too_deep(name)
                continue
            if depth > MAX_DEPTH:
                raise _too_deep(name)
            children = [c for c in (node.values() if isinstance(node, dict) else node)
                        if isinstance(c, dict | list)]
            if expanded:
                self._memo[id(node)] = self._compute(node)
                self._height[id(node)] = 1 + max((self._height[id(c)] for c in children),
                                                 default=0)
                continue
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in children)

    def _compute(self, node: Any) -> bytes:
        if isinstance(node, dict):
            items = sorted(node.items())
            return _digest((part for k, v in items
                            for part in (k.encode("utf-8", "surrogatepass"), self.of(v))), b"o")
        return _digest((self.of(v) for v in node), b"a")

    def of(self, value: Any) -> bytes:
        """The fingerprint of a value (containers not seen before are computed, not stored)."""
        if isinstance(value, dict | list):
            known = self._memo.get(id(value))
            return known if known is not None else self._compute(value)
        return _scalar_bytes(value)

    def equal(self, a: Any, b: Any) -> bool:
        """JSON equality; MISSING equals only MISSING."""
        if a is MISSING or b is MISSING:
            return a is b
        if a is b and isinstance(a, dict | list):
            return True
        return self.of(a) == self.of(b)


def _too_deep(name: str) -> LimitExceeded:
    return LimitExceeded(
        f"{name}: the JSON is nested more than {MAX_DEPTH} levels deep; refusing to merge it",
        detail_ja=f"{name}: JSON の入れ子が {MAX_DEPTH} 段を超えているためマージできません",
        issues=[Issue(rule="merge.too-deep",
                      message=f"Nested more than {MAX_DEPTH} levels deep.",
                      message_ja=f"入れ子が {MAX_DEPTH} 段を超えています。", file=name)],
    )


# ---------------------------------------------------------------------------------------------
# The merge.

def _child_context(context: str, key: str) -> str:
    if context == _SCHEMA:
        if key in _SETS:
            return key
        if key in _UNORDERED:
            return _ANYOF
        if key in _SCHEMA_VALUED:
            return _SCHEMA
        if key in _SCHEMA_MAPS:
            return _MAP
        if key == "dependentRequired":
            return _DEPS
        return _DATA
    if context == _MAP:
        return _SCHEMA
    if context == _DEPS:
        return _REQUIRED
    if context == _TEMPLATE:
        return _TAGS if key == "tags" else _DATA
    return _DATA


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


class _Merger:
    def __init__(self, fingerprints: _Fingerprints, resolutions: Mapping[str, Resolution]) -> None:
        self.fp = fingerprints
        self.conflicts: list[MergeConflict] = []
        self.resolutions = resolutions
        self.used: set[str] = set()

    # Each call returns the merged value (MISSING: the key is absent) and records conflicts;
    # at a conflict it returns ours' value, which builds ``partial``.
    def value(self, ptr: str, b: Any, o: Any, t: Any, ctx: str) -> Any:
        if not self.resolutions or ptr not in self.resolutions:
            return self._value(ptr, b, o, t, ctx)
        before = len(self.conflicts)
        result = self._value(ptr, b, o, t, ctx)
        if len(self.conflicts) == before:
            return result  # nothing to resolve here; reported as unused afterwards
        del self.conflicts[before:]
        self.used.add(ptr)
        choice = self.resolutions[ptr]
        if isinstance(choice, Value):
            return choice.value
        if isinstance(choice, str) and choice == "ours":
            return o
        if isinstance(choice, str) and choice == "theirs":
            return t
        return choice

    def _value(self, ptr: str, b: Any, o: Any, t: Any, ctx: str) -> Any:
        eq = self.fp.equal
        if isinstance(o, dict) and isinstance(t, dict) and isinstance(b, dict):
            # Objects are always walked (each node once: still linear) so that key order, which
            # equality ignores, follows the rule in _object at every level.
            return self._object(ptr, b, o, t, ctx)
        if eq(o, t):
            return o
        if eq(o, b):
            return t
        if eq(t, b):
            return o
        # Both sides changed the value, differently.
        if ctx in (_REQUIRED, _TAGS, _ENUM, _TYPE):
            merged = self._set(ptr, b, o, t, ctx)
            if merged is not None:
                return merged[0]
        if o is MISSING or t is MISSING:
            self.conflicts.append(_conflict(ptr, "delete_edit", b, o, t))
            return o
        if isinstance(o, dict) and isinstance(t, dict):
            if b is MISSING:
                return self._object(ptr, {}, o, t, ctx)
            if isinstance(b, dict):
                return self._object(ptr, b, o, t, ctx)
        if ctx == _ANYOF and isinstance(o, list) and isinstance(t, list):
            return self._unordered(ptr, b, o, t)
        self.conflicts.append(_conflict(ptr, "add_add" if b is MISSING else "both_changed",
                                        b, o, t))
        return o

    def _object(self, ptr: str, b: dict[str, Any], o: dict[str, Any], t: dict[str, Any],
                ctx: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        # Key order (the order of a form's fields): ours' order, then the keys only theirs has,
        # in theirs' order — unless ours left this object's keys exactly as in base, in which
        # case theirs' order is a one-sided change and is taken (so merge(b, b, x) is x).
        if list(o) == list(b) and list(t) != list(b):
            keys = [*t, *(k for k in o if k not in t)]
        else:
            keys = [*o, *(k for k in t if k not in o)]
        for key in keys:
            if ctx == _TEMPLATE and key in TEMPLATE_OWN_FIELDS:
                merged = o.get(key, MISSING)
            else:
                merged = self.value(pointers.child(ptr, key), b.get(key, MISSING),
                                    o.get(key, MISSING), t.get(key, MISSING),
                                    _child_context(ctx, key))
            if merged is not MISSING:
                result[key] = merged
        return result

    def _unordered(self, ptr: str, b: Any, o: list[Any], t: list[Any]) -> Any:
        # anyOf/oneOf/allOf: order changes nothing that validates, so a side that only
        # reordered counts as unchanged and the other side's list is taken whole.
        o_bag = Counter(self.fp.of(v) for v in o)
        t_bag = Counter(self.fp.of(v) for v in t)
        b_bag = Counter(self.fp.of(v) for v in b) if isinstance(b, list) else None
        if o_bag == t_bag:
            return o  # the same members on both sides: keep ours' order
        if o_bag == b_bag:
            return t
        if t_bag == b_bag:
            return o
        self.conflicts.append(_conflict(ptr, "add_add" if b is MISSING else "both_changed",
                                        b, o, t))
        return o

    def _set(self, ptr: str, b: Any, o: Any, t: Any, ctx: str) -> tuple[Any] | None:
        """Three-way set merge; None when the values are not sets (the generic rules apply)."""
        if ctx in (_REQUIRED, _TAGS):
            # An absent "required" is the empty set, so deleting it or adding it is a set edit.
            sides = [[] if v is MISSING else v for v in (b, o, t)]
            if not all(_is_str_list(v) for v in sides):
                return None
        elif ctx == _ENUM:
            # An absent enum allows everything: not a set, and both adding one is a real clash.
            if not all(isinstance(v, list) for v in (b, o, t)):
                return None
            sides = [b, o, t]
        else:
            if any(v is MISSING for v in (b, o, t)):
                return None
            sides = [[v] if isinstance(v, str) else v for v in (b, o, t)]
            if not all(_is_str_list(v) for v in sides):
                return None
        base_keys = {self.fp.of(v) for v in sides[0]}
        ours_keys = {self.fp.of(v) for v in sides[1]}
        theirs_keys = {self.fp.of(v) for v in sides[2]}
        removed = (base_keys - ours_keys) | (base_keys - theirs_keys)
        if ctx == _TYPE:
            # Both sides replaced the same type by different ones (string → integer vs number):
            # a union would accept data neither side meant to, so this is a real conflict.
            ours_added, theirs_added = ours_keys - base_keys, theirs_keys - base_keys
            if ((base_keys - ours_keys) & (base_keys - theirs_keys) and ours_added
                    and theirs_added and ours_added != theirs_added):
                self.conflicts.append(_conflict(ptr, "both_changed", b, o, t))
                return (o,)
        seen: set[bytes] = set()
        members: list[Any] = []
        for v in sides[1]:
            key = self.fp.of(v)
            if key not in removed and key not in seen:
                seen.add(key)
                members.append(v)
        for v in sides[2]:
            key = self.fp.of(v)
            if key not in base_keys and key not in seen:
                seen.add(key)
                members.append(v)
        if not members:
            if ctx in (_ENUM, _TYPE):
                # An empty enum accepts nothing and an empty type list is invalid: each side's
                # removal was fine alone, together they destroy the field.
                self.conflicts.append(_conflict(ptr, "set_emptied", b, o, t))
                return (o,)
            return (MISSING if o is MISSING else [],)
        if ctx == _TYPE and len(members) == 1:
            return (members[0],)
        return (members,)


def _check_resolutions(resolutions: Mapping[str, Resolution]) -> None:
    for ptr in resolutions:
        if not isinstance(ptr, str) or (ptr and not ptr.startswith("/")):
            raise UsageError(
                f"resolution key {ptr!r} is not a JSON pointer (it must be '' or start with '/')",
                detail_ja=f"解決の指定 {ptr!r} は JSON ポインタではありません（'' か '/' で始まります）",
            )


def _run(base: Any, ours: Any, theirs: Any, resolutions: Mapping[str, Resolution] | None,
         root_context: str) -> MergeResult:
    resolutions = resolutions or {}
    _check_resolutions(resolutions)
    fp = _Fingerprints()
    for document, name in ((base, "base"), (ours, "ours"), (theirs, "theirs")):
        fp.add(document, name)
    for ptr, choice in resolutions.items():
        fp.add(choice.value if isinstance(choice, Value) else choice, f"resolution {ptr}")
    merger = _Merger(fp, resolutions)
    if root_context == _TEMPLATE:
        merged = merger._object("", base, ours, theirs, _TEMPLATE)
    else:
        merged = merger.value("", base, ours, theirs, root_context)
    unused = sorted(set(resolutions) - merger.used)
    if unused:
        names = ", ".join(unused)
        raise UsageError(
            f"no conflict at {names}: a resolution must name a conflict's pointer",
            detail_ja=f"{names} に競合はありません。解決は競合のポインタに指定してください",
        )
    # Fresh containers: callers may edit the result without touching the inputs.
    merged = _copy(merged)
    if merger.conflicts:
        return MergeResult(merged=None, conflicts=merger.conflicts, partial=merged)
    return MergeResult(merged=merged, conflicts=[], partial=merged)


def _copy(value: Any) -> Any:
    # Depth is bounded by MAX_DEPTH (checked on every input), so recursion is safe here.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return None if value is MISSING else value


def merge(base: Any, ours: Any, theirs: Any) -> MergeResult:
    """Three-way merge of two JSON Schemas (or any JSON) that share the ancestor ``base``."""
    return _run(base, ours, theirs, None, _SCHEMA)


def resolve(base: Any, ours: Any, theirs: Any,
            resolutions: Mapping[str, Resolution]) -> MergeResult:
    """Merge again, settling each conflict named by pointer with "ours", "theirs" or a value.

    A pointer may also name an ancestor of conflicts (its whole subtree is then taken); a
    pointer with no conflict at or under it is a UsageError; conflicts not named remain.
    """
    return _run(base, ours, theirs, resolutions, _SCHEMA)


def merge_template(base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any],
                   *, resolutions: Mapping[str, Resolution] | None = None) -> MergeResult:
    """Merge template.json: shared fields three-way, the city's own fields always from ours."""
    for document, name in ((base, "base"), (ours, "ours"), (theirs, "theirs")):
        if not isinstance(document, Mapping):
            raise UsageError(f"{name}: template.json must be a JSON object",
                             detail_ja=f"{name}: template.json は JSON オブジェクトでなければなりません")
    return _run(dict(base), dict(ours), dict(theirs), resolutions, _TEMPLATE)
