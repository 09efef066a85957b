"""JSON Schema dialects: which draft a schema is written in, and the same schema in 2020-12.

``to_2020_12(schema)`` returns ``(schema in 2020-12, dialect it was read in)``. The rewrite keeps
the meaning of the schema in its own dialect (docs/diff.md "Dialects"):

- ``items: [...]`` + ``additionalItems`` → ``prefixItems`` + ``items`` (``additionalItems`` beside
  a single-schema ``items`` has no effect and goes);
- ``definitions`` → ``$defs`` and ``dependencies`` → ``dependentRequired`` (arrays) /
  ``dependentSchemas`` (schemas); JSON pointers in ``$ref`` that pass through a renamed keyword
  are rewritten, in nested resources too;
- draft-04: ``id`` → ``$id``; boolean ``exclusiveMinimum``/``exclusiveMaximum`` → numeric bounds;
- draft-06/07: a plain-name ``$id`` (``"#foo"``) → ``$anchor``;
- draft-04/06/07: ``$ref`` overrides its siblings — they stop applying: they move into
  ``$defs/yoshiki-ignored-beside-ref`` of that node (a definition nobody applies), so that a
  pointer into them still resolves, rewritten to the new place;
- 2019-09: ``$recursiveRef``/``$recursiveAnchor`` → ``$ref`` when the resource has no recursive
  anchor, else ``$dynamicRef``/``$dynamicAnchor`` (resolved statically later when only one
  anchor can be in scope, registry.diff.references).

Pure; the input is never modified; a 2020-12 schema comes back as the same object.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from registry.syntax.refs import document_uri, join

DRAFT_04 = "draft-04"
DRAFT_06 = "draft-06"
DRAFT_07 = "draft-07"
DRAFT_2019_09 = "2019-09"
DRAFT_2020_12 = "2020-12"
DIALECTS = (DRAFT_04, DRAFT_06, DRAFT_07, DRAFT_2019_09, DRAFT_2020_12)
SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"
RECURSIVE_ANCHOR = "yoshiki-recursive"
IGNORED_SIBLINGS = "yoshiki-ignored-beside-ref"

_URIS = {
    "json-schema.org/draft-04/schema": DRAFT_04,
    "json-schema.org/draft-06/schema": DRAFT_06,
    "json-schema.org/draft-07/schema": DRAFT_07,
    "json-schema.org/draft/2019-09/schema": DRAFT_2019_09,
    "json-schema.org/draft/2020-12/schema": DRAFT_2020_12,
}
_OLD_REF = (DRAFT_04, DRAFT_06, DRAFT_07)  # $ref overrides its siblings
# Keywords whose value is a schema, an array of schemas, a map of names to schemas (all dialects).
_SCHEMA_KW = frozenset({"additionalItems", "additionalProperties", "contains", "if", "then", "else",
                        "not", "propertyNames", "unevaluatedItems", "unevaluatedProperties",
                        "contentSchema", "items"})
_ARRAY_KW = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_MAP_KW = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas",
                     "dependencies"})
# Kept beside a $ref that overrides its siblings: they assert nothing.
_KEPT_BESIDE_REF = frozenset({"$ref", "$schema", "$defs", "definitions", "title", "description",
                              "$comment", "examples", "default", "deprecated", "readOnly",
                              "writeOnly"})
_SINCE_2019 = frozenset({"$defs", "dependentRequired", "dependentSchemas", "unevaluatedProperties",
                         "unevaluatedItems", "$anchor", "minContains", "maxContains"})
_ONLY_2020 = frozenset({"prefixItems", "$dynamicRef", "$dynamicAnchor"})
MAX_DEPTH = 200


def dialect_of_uri(uri: Any) -> str | None:
    """The dialect a ``$schema`` URI names (http or https, with or without ``#``), else None."""
    if not isinstance(uri, str):
        return None
    u = uri.strip().rstrip("#")
    for prefix in ("https://", "http://"):
        if u.startswith(prefix):
            return _URIS.get(u[len(prefix):])
    return None


def _subschemas(node: dict[str, Any]) -> list[Any]:  # for the rewriter's index
    out: list[Any] = []
    for k, v in node.items():
        if k in _SCHEMA_KW and isinstance(v, dict):
            out.append(v)
        elif k in _ARRAY_KW and isinstance(v, list):
            out.extend(x for x in v if isinstance(x, dict))
        elif k in _MAP_KW and isinstance(v, dict):
            out.extend(x for x in v.values() if isinstance(x, dict))
    return out


class Scan:
    """What one walk over a document's subschemas found (keywords, never names or data)."""

    __slots__ = ("draft4", "embedded", "nested_schema", "old", "only_2020", "recursive", "refs",
                 "since_2019", "slash_refs")

    def __init__(self) -> None:
        self.draft4 = self.recursive = self.old = self.since_2019 = self.only_2020 = False
        self.nested_schema = False  # a $schema below the root
        self.embedded = False  # an $id below the root, an $anchor, a $dynamicAnchor
        self.refs = False  # a $ref that is not a plain root pointer or registry path, a $dynamicRef
        self.slash_refs = False  # a $ref starting with "/" (a registry path under a registry $id)


_MARKERS = frozenset({"$schema", "$id", "id", "$anchor", "$dynamicAnchor", "$dynamicRef",
                      "$recursiveRef", "$recursiveAnchor", "definitions", "dependencies",
                      "additionalItems", "items", "exclusiveMinimum", "exclusiveMaximum", "$ref"})
_INTERESTING = _MARKERS | _SINCE_2019 | _ONLY_2020
_REGISTRY_BASE = "https://yoshiki.invalid/"


def scan(schema: dict[str, Any]) -> Scan:
    """One cheap walk: the markers of each dialect and whether references need rewriting."""
    found = Scan()
    stack: list[tuple[dict[str, Any], int]] = [(schema, 0)]
    schema_kw, array_kw, map_kw, interesting = _SCHEMA_KW, _ARRAY_KW, _MAP_KW, _INTERESTING
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            found.refs = True  # let the full passes bound it
            continue
        d = depth + 1
        for k, v in node.items():
            if k in interesting:
                _mark(found, k, v, depth)
            if type(v) is dict:
                if k in schema_kw:
                    stack.append((v, d))
                elif k in map_kw:
                    stack.extend((x, d) for x in v.values() if type(x) is dict)
            elif type(v) is list and k in array_kw:
                stack.extend((x, d) for x in v if type(x) is dict)
    if isinstance(schema.get("id"), str) and "$id" not in schema:
        found.draft4 = True
    root_id = schema.get("$id")
    if found.slash_refs and isinstance(root_id, str) and not root_id.startswith(_REGISTRY_BASE):
        found.refs = True  # "/x.json" against another host's $id: another document
    return found


def _mark(found: Scan, k: str, v: Any, depth: int) -> None:
    if k == "$ref":
        if isinstance(v, str) and v.startswith("/"):
            found.slash_refs = True
        elif not isinstance(v, str) or not ((v.startswith("#/") and "%" not in v)
                                            or v.startswith(_REGISTRY_BASE)):
            found.refs = True
    elif k == "items":
        if type(v) is list:
            found.old = True
    elif k in ("exclusiveMinimum", "exclusiveMaximum"):
        if type(v) is bool:
            found.draft4 = True
    elif k in ("definitions", "dependencies", "additionalItems"):
        found.old = True
    elif k in ("$recursiveRef", "$recursiveAnchor"):
        found.recursive = True
    elif k == "$schema":
        if depth:
            found.nested_schema = True
    elif k in ("$id", "id"):
        if depth:
            found.embedded = True
    elif k in ("$anchor", "$dynamicAnchor", "$dynamicRef"):
        found.embedded = found.refs = True
        if k != "$anchor":
            found.only_2020 = True
        else:
            found.since_2019 = True
    elif k in _SINCE_2019:
        found.since_2019 = True
    elif k in _ONLY_2020:
        found.only_2020 = True


def detect(schema: Any, found: Scan | None = None) -> str:
    """The dialect of a schema: its ``$schema`` when it names a known draft, else by keywords.

    Without ``$schema``: boolean ``exclusiveMinimum``/``exclusiveMaximum`` or a string ``id`` at
    the root (without ``$id``) → draft-04; ``$recursiveRef``/``$recursiveAnchor`` → 2019-09;
    array-form ``items``, ``additionalItems``, ``definitions`` or ``dependencies`` → 2019-09 when
    a keyword new in 2019-09 occurs too, else draft-07 — unless a 2020-12-only keyword
    (``prefixItems``, ``$dynamicRef``, ``$dynamicAnchor``) occurs; otherwise 2020-12.
    """
    if not isinstance(schema, dict):
        return DRAFT_2020_12
    named = dialect_of_uri(schema.get("$schema"))
    if named is not None:
        return named
    found = found or scan(schema)
    if found.draft4:
        return DRAFT_04
    if found.recursive:
        return DRAFT_2019_09
    if found.old and not found.only_2020:
        return DRAFT_2019_09 if found.since_2019 else DRAFT_07
    return DRAFT_2020_12


def to_2020_12(schema: Any, found: Scan | None = None) -> tuple[Any, str]:
    """(the schema rewritten to 2020-12 by meaning, the dialect it was read in)."""
    if not isinstance(schema, dict):
        return schema, DRAFT_2020_12
    found = found or scan(schema)
    dialect = detect(schema, found)
    if dialect == DRAFT_2020_12 and not found.nested_schema:
        return schema, dialect
    try:
        return _Rewriter(schema, dialect).run(), dialect
    except RecursionError:
        return schema, dialect


def _id_key(dialect: str) -> str:
    return "id" if dialect == DRAFT_04 else "$id"


class _Rewriter:
    """One rewrite of a document: resources indexed first (for pointers), then a copying walk."""

    def __init__(self, root: dict[str, Any], dialect: str) -> None:
        self.root = root
        self.dialect = dialect
        self.resources: dict[str, tuple[Any, str]] = {}  # absolute URI → (original node, dialect)
        self._index(root, "", dialect, 0)

    def run(self) -> Any:
        return self.schema(self.root, "", self.dialect, None, 0, top=True)

    # ------------------------------------------------------------------ index
    def _own_id(self, node: dict[str, Any], dialect: str) -> str | None:
        ident = node.get(_id_key(dialect))
        if not isinstance(ident, str) or ident.startswith("#"):
            return None  # a plain-name fragment is an anchor, not a base
        return ident

    def _index(self, node: Any, base: str, dialect: str, depth: int) -> None:
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return
        if "$schema" in node and (depth == 0 or self._own_id(node, dialect) is not None):
            dialect = dialect_of_uri(node["$schema"]) or dialect
        ident = self._own_id(node, dialect)
        if ident is not None and not (dialect in _OLD_REF and "$ref" in node and depth):
            base = document_uri(join(base, ident))
        if depth == 0 or ident is not None:
            self.resources.setdefault(base, (node, dialect))
        for sub in _subschemas(node):
            self._index(sub, base, dialect, depth + 1)

    # ------------------------------------------------------------------ pointers
    def pointer(self, fragment: str, resource: Any, dialect: str) -> str:
        """A JSON pointer into the original resource, rewritten for the renamed keywords."""
        raw = fragment.split("/")[1:]
        out: list[str] = []
        node: Any = resource
        schema = True  # is ``node`` a schema (as opposed to data or a map of names)?
        i = 0
        while i < len(raw):
            token = unquote(raw[i]).replace("~1", "/").replace("~0", "~")
            if not schema or not isinstance(node, dict):
                out.extend(raw[i:])
                break
            if (dialect in _OLD_REF and isinstance(node.get("$ref"), str)
                    and token not in _KEPT_BESIDE_REF and token not in ("$id", "id")):
                out.extend(["$defs", IGNORED_SIBLINGS])  # where the rewrite keeps ignored siblings
            nxt = node.get(token)
            name = raw[i]
            if token == "definitions" and "$defs" not in node:
                name = "$defs"
            elif token == "items" and isinstance(nxt, list) and dialect != DRAFT_2020_12:
                name = "prefixItems"
            elif token == "additionalItems" and isinstance(node.get("items"), list):
                name = "items"
            elif token == "dependencies" and isinstance(nxt, dict) and i + 1 < len(raw):
                key = unquote(raw[i + 1]).replace("~1", "/").replace("~0", "~")
                name = "dependentRequired" if isinstance(nxt.get(key), list) else "dependentSchemas"
            elif token == "id" and dialect == DRAFT_04:
                name = "$id"
            out.append(name)
            i += 1
            if token in _MAP_KW and isinstance(nxt, dict) and i < len(raw):
                out.append(raw[i])
                node = nxt.get(unquote(raw[i]).replace("~1", "/").replace("~0", "~"))
                i += 1
            elif token in _ARRAY_KW and isinstance(nxt, list) and i < len(raw):
                out.append(raw[i])
                try:
                    node = nxt[int(raw[i])]
                except (ValueError, IndexError):
                    node, schema = None, False
                i += 1
            elif token in _SCHEMA_KW:
                node = nxt
            else:
                node, schema = nxt, False
        return "/" + "/".join(out) if out else ""

    def ref(self, ref: str, base: str) -> str:
        """``ref`` with a JSON pointer into this document rewritten for the renamed keywords."""
        if "#/" not in ref:
            return ref
        target = join(base, ref)
        doc, _, fragment = target.partition("#")
        found = self.resources.get(doc)
        if found is None or not fragment.startswith("/"):
            return ref
        resource, dialect = found
        if dialect == DRAFT_2020_12:
            return ref
        return ref[: ref.index("#")] + "#" + self.pointer(fragment, resource, dialect)

    # ------------------------------------------------------------------ the copying walk
    def schema(self, node: Any, base: str, dialect: str, resource: dict[str, Any] | None,
               depth: int, *, top: bool = False) -> Any:
        if not isinstance(node, dict):
            return node
        if depth > MAX_DEPTH:
            raise RecursionError("schema nested too deeply")
        if "$schema" in node and (top or self._own_id(node, dialect) is not None):
            dialect = dialect_of_uri(node["$schema"]) or dialect
        ident = self._own_id(node, dialect)
        overridden = dialect in _OLD_REF and isinstance(node.get("$ref"), str)
        if ident is not None and not (overridden and not top):
            base = document_uri(join(base, ident))
            resource = node
        elif top:
            resource = node
        items_list = isinstance(node.get("items"), list) and dialect != DRAFT_2020_12
        out: dict[str, Any] = {}
        ignored: dict[str, Any] = {}
        for k, v in node.items():
            if overridden and k not in _KEPT_BESIDE_REF and not (top and k == _id_key(dialect)):
                if k not in ("$id", "id"):
                    ignored[k] = v
                continue
            self.keyword(out, node, k, v, base, dialect, resource, depth, items_list)
        if dialect == DRAFT_04:
            _exclusive_bounds(out, node)
        if ignored and isinstance(out.get("$defs", {}), dict):
            # Siblings a $ref overrides assert nothing, but a pointer may still reach into them:
            # kept as a definition nobody applies.
            kept = self.schema(ignored, base, dialect, resource, depth + 1)
            out["$defs"] = {**out.get("$defs", {}), IGNORED_SIBLINGS: kept}
        return out

    def keyword(self, out: dict[str, Any], node: dict[str, Any], k: str, v: Any, base: str,
                dialect: str, resource: dict[str, Any] | None, depth: int, items_list: bool) -> None:
        """Copy keyword ``k`` of ``node`` into ``out`` in its 2020-12 form."""
        d = depth + 1

        def sub(x: Any) -> Any:
            return self.schema(x, base, dialect, resource, d)

        old = dialect != DRAFT_2020_12
        if k == "$schema":
            out[k] = SCHEMA_2020_12 if dialect_of_uri(v) is not None else v
        elif k == _id_key(dialect) and isinstance(v, str) and old:
            if v.startswith("#"):
                if len(v) > 1:
                    out["$anchor"] = v[1:]
            else:
                out["$id"] = v.rstrip("#") if v.endswith("#") else v
        elif k == "id" and dialect != DRAFT_04:
            out[k] = v  # an unknown keyword after draft-04
        elif k == "$ref" and isinstance(v, str):
            out[k] = self.ref(v, base)
        elif k == "items" and items_list:
            out["prefixItems"] = [sub(x) for x in v]
        elif k == "additionalItems" and old:
            if items_list:
                out["items"] = sub(v)
        elif k == "definitions" and old and "$defs" not in node and isinstance(v, dict):
            out["$defs"] = {name: sub(x) for name, x in v.items()}
        elif k == "dependencies" and old and isinstance(v, dict):
            for name, x in v.items():
                if isinstance(x, list):
                    out.setdefault("dependentRequired", {})[name] = x
                else:
                    out.setdefault("dependentSchemas", {})[name] = sub(x)
        elif k == "$recursiveAnchor" and dialect == DRAFT_2019_09:
            if v is True:
                out["$dynamicAnchor"] = RECURSIVE_ANCHOR
        elif k == "$recursiveRef" and dialect == DRAFT_2019_09 and isinstance(v, str):
            anchored = resource is not None and resource.get("$recursiveAnchor") is True
            if anchored and v == "#":
                out["$dynamicRef"] = "#" + RECURSIVE_ANCHOR
            else:
                out["$ref"] = v
        elif k in ("exclusiveMinimum", "exclusiveMaximum") and dialect == DRAFT_04 and isinstance(v, bool):
            pass  # folded into the bound by _exclusive_bounds
        elif k in _SCHEMA_KW and isinstance(v, dict):
            out[k] = sub(v)
        elif k in _ARRAY_KW and isinstance(v, list):
            out[k] = [sub(x) for x in v]
        elif k in _MAP_KW and isinstance(v, dict):
            out[k] = {name: sub(x) for name, x in v.items()}
        else:
            out[k] = v


def _exclusive_bounds(out: dict[str, Any], node: dict[str, Any]) -> None:
    """draft-04 ``exclusiveMinimum: true`` beside ``minimum: m`` is 2020-12 ``exclusiveMinimum: m``."""
    for bound, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if node.get(flag) is True and bound in out:
            out[flag] = out.pop(bound)
