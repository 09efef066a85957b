"""References in one canonical form before two schemas are compared (JSON Schema 2020-12).

``canonical_refs(schema, schemas)`` rewrites every ``$ref`` (and every ``$dynamicRef`` that can be
resolved statically) so that the comparison needs nothing but JSON pointers from the root and
absolute URIs of other documents:

- a reference into the document itself — through an embedded resource's ``$id`` (relative refs
  resolve against it, for any URI scheme: ``https:``, ``urn:``, ``tag:``), an ``$anchor``, a
  ``$dynamicAnchor`` or a percent-encoded / ``~0``/``~1``-escaped pointer — becomes ``#/pointer``
  from the root; embedded ``$id``/``$anchor``/``$dynamicAnchor`` then have no job left and go;
- ``$dynamicRef`` becomes that ``$ref`` when its fragment is a pointer, names a plain ``$anchor``,
  or names a ``$dynamicAnchor`` that exactly one subschema of the document declares (the only
  one that can be in dynamic scope); otherwise it stays, made absolute, and is compared as an
  opaque reference;
- a reference to another document becomes an absolute URI: registry URIs resolve as before
  (SchemaSet), other URIs from ``--ref-dir``; a URI found nowhere becomes
  ``{"$dynamicRef": URI}``: identical on both sides it is the same schema, different it is
  ``unknown`` — never the network, never an error. An opaque reference goes alone into an
  ``allOf`` so that its siblings are still compared.

Pure; the input is never modified; a schema whose references are already canonical comes back
as the same object.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urldefrag

from registry.diff.dialects import _ARRAY_KW, _MAP_KW, _SCHEMA_KW, MAX_DEPTH, Scan, scan, to_2020_12
from registry.layout import COMMON_BASE, REGISTRY_BASE
from registry.syntax.refs import SchemaSet, document_uri, join

Path = tuple[str | int, ...]
_SAFE = "!$&'()*+,;=:@~-._"


def pointer_fragment(path: Path) -> str:
    """``#`` and the JSON pointer of ``path``, escaped (``~0``/``~1``) then percent-encoded."""
    return "#" + "".join("/" + quote(str(t).replace("~", "~0").replace("/", "~1"), safe=_SAFE)
                         for t in path)


def _children(node: dict[str, Any]) -> list[tuple[Path, Any]]:
    out: list[tuple[Path, Any]] = []
    for k, v in node.items():
        if k in _SCHEMA_KW and isinstance(v, dict):
            out.append(((k,), v))
        elif k in _ARRAY_KW and isinstance(v, list):
            out.extend(((k, i), x) for i, x in enumerate(v) if isinstance(x, dict))
        elif k in _MAP_KW and isinstance(v, dict):
            out.extend(((k, name), x) for name, x in v.items() if isinstance(x, dict))
    return out


class _Index:
    """Resources, anchors and dynamic anchors of one document, by absolute URI, as root paths."""

    def __init__(self, root: dict[str, Any]) -> None:
        ident = root.get("$id")
        self.root_uri = document_uri(join("", ident)) if isinstance(ident, str) else ""
        self.resources: dict[str, Path] = {self.root_uri: ()}
        self.anchors: dict[str, Path] = {}
        self.dynamic: dict[str, list[Path]] = {}
        self.embedded = False  # any $id below the root, $anchor or $dynamicAnchor
        self.refs = False  # any $ref or $dynamicRef
        stack: list[tuple[dict[str, Any], str, Path]] = [(root, self.root_uri, ())]
        while stack:
            node, base, path = stack.pop()
            if len(path) > 2 * MAX_DEPTH:
                continue
            if path and isinstance(node.get("$id"), str):
                base = document_uri(join(base, node["$id"]))
                self.resources.setdefault(base, path)
                self.embedded = True
            if isinstance(node.get("$anchor"), str):
                self.anchors.setdefault(f"{base}#{node['$anchor']}", path)
                self.embedded = True
            if isinstance(node.get("$dynamicAnchor"), str):
                name = node["$dynamicAnchor"]
                self.anchors.setdefault(f"{base}#{name}", path)
                self.dynamic.setdefault(name, []).append(path)
                self.embedded = True
            if "$ref" in node or "$dynamicRef" in node:
                self.refs = True
            stack.extend((x, base, (*path, *p)) for p, x in _children(node))


def _exists(root: Any, path: Path) -> bool:
    node = root
    for t in path:
        if isinstance(node, list) and str(t).isdigit() and int(t) < len(node):
            node = node[int(t)]
        elif isinstance(node, dict) and isinstance(t, str) and t in node:
            node = node[t]
        else:
            return False
    return True


class _Canon:
    def __init__(self, root: dict[str, Any], schemas: SchemaSet) -> None:
        self.root = root
        self.schemas = schemas
        self.index = _Index(root)

    def local(self, target: str) -> str | None:
        """``#/pointer`` from the root for a target inside this document, else None."""
        doc, fragment = urldefrag(target)
        if doc not in self.index.resources and not (doc == "" and self.index.root_uri == ""):
            return None
        start = self.index.resources.get(doc, ())
        fragment = unquote(fragment)
        if not fragment:
            path: Path = start
        elif fragment.startswith("/"):
            path = (*start, *(t.replace("~1", "/").replace("~0", "~") for t in fragment[1:].split("/")))
        else:
            found = self.index.anchors.get(f"{doc}#{fragment}")
            if found is None:
                return None
            path = found
        return pointer_fragment(path) if _exists(self.root, path) else None

    def external(self, target: str) -> bool:
        """Does another document at ``target`` resolve (registry URIs: as before, always tried)?"""
        doc = document_uri(target)
        if doc.startswith(REGISTRY_BASE) or doc.startswith(COMMON_BASE):
            return True
        return self.schemas.can_retrieve(doc)

    def ref(self, value: str, base: str, on_root_base: bool) -> tuple[str, str]:
        """(keyword, value) for a ``$ref``: local pointer, absolute URI, or opaque ``$dynamicRef``."""
        if on_root_base and value.startswith("#/"):
            return "$ref", value  # already a pointer from the root
        target = join(base, value)
        local = self.local(target)
        if local is not None:
            return "$ref", local
        if document_uri(target) in self.index.resources or self.external(target):
            return "$ref", target  # a broken local pointer keeps failing as before; or another document
        return "$dynamicRef", target

    def dynamic_ref(self, value: str, base: str) -> tuple[str, str]:
        """(keyword, value) for a ``$dynamicRef``: a ``$ref`` where static, else opaque."""
        target = join(base, value)
        doc, fragment = urldefrag(target)
        name = unquote(fragment)
        static = not name or name.startswith("/")
        if not static and doc in self.index.resources:
            anchored = self.index.anchors.get(f"{doc}#{name}")
            candidates = self.index.dynamic.get(name, [])
            if anchored is not None and anchored not in candidates:
                static = True  # the target is a plain $anchor: a $ref
            elif len(candidates) == 1:
                return "$ref", pointer_fragment(candidates[0])
        if static:
            return self.ref(value, base, False)
        return "$dynamicRef", target

    def walk(self, node: Any, base: str, depth: int) -> Any:
        if not isinstance(node, dict):
            return node
        if depth > MAX_DEPTH:
            raise RecursionError("schema nested too deeply")
        if depth and isinstance(node.get("$id"), str):
            base = document_uri(join(base, node["$id"]))
        out: dict[str, Any] | None = None
        for k, v in node.items():
            new_k, new_v = k, v
            if k == "$ref" and isinstance(v, str):
                new_k, new_v = self.ref(v, base, base == self.index.root_uri)
            elif k == "$dynamicRef" and isinstance(v, str):
                new_k, new_v = self.dynamic_ref(v, base)
            elif k in ("$anchor", "$dynamicAnchor") or (k == "$id" and depth):
                new_k = ""
            elif k in _SCHEMA_KW and isinstance(v, dict):
                new_v = self.walk(v, base, depth + 1)
            elif k in _ARRAY_KW and isinstance(v, list):
                items = [self.walk(x, base, depth + 1) for x in v]
                new_v = v if all(a is b for a, b in zip(items, v, strict=True)) else items
            elif k in _MAP_KW and isinstance(v, dict):
                mapped = {name: self.walk(x, base, depth + 1) for name, x in v.items()}
                new_v = v if all(mapped[n] is x for n, x in v.items()) else mapped
            if out is None and (new_k != k or (new_v is not v and not (isinstance(v, str) and new_v == v))):
                out = {}
                for k2, v2 in node.items():
                    if k2 == k:
                        break
                    out[k2] = v2
            if out is not None and new_k:
                out[new_k] = new_v
        if out is not None and "$dynamicRef" in out and isinstance(out.get("allOf", []), list):
            # An opaque reference goes alone into an allOf, so that its siblings (and the same
            # node with or without siblings on the other side) are still compared keyword by keyword.
            opaque = {"$dynamicRef": out.pop("$dynamicRef")}
            out["allOf"] = [opaque, *out.get("allOf", [])]
        return node if out is None else out


def canonical_refs(schema: Any, schemas: SchemaSet | None = None, found: Scan | None = None) -> Any:
    """The schema with its references in the canonical form described above."""
    if not isinstance(schema, dict):
        return schema
    found = found or scan(schema)
    if not found.refs and not found.embedded:
        return schema  # only root pointers and registry paths: nothing to do
    try:
        canon = _Canon(schema, schemas or SchemaSet())
        if not canon.index.refs and not canon.index.embedded:
            return schema
        return canon.walk(schema, canon.index.root_uri, 0)
    except RecursionError:
        return schema


def prepare(old: Any, new: Any, old_schemas: SchemaSet | None,
            new_schemas: SchemaSet | None) -> tuple[Any, Any, SchemaSet, SchemaSet]:
    """Both schemas read in their own dialect, rewritten to 2020-12 and canonical references.

    The entry hook of ``registry.diff.diff`` (issue 12, point 4): what the comparison sees is
    always 2020-12 with pointers from the root and absolute URIs.
    """
    o_set = old_schemas or SchemaSet()
    n_set = new_schemas or o_set
    return _prepare_one(old, o_set), _prepare_one(new, n_set), o_set, n_set


def _prepare_one(schema: Any, schemas: SchemaSet) -> Any:
    if not isinstance(schema, dict):
        return schema
    found = scan(schema)
    rewritten = to_2020_12(schema, found)[0]
    return canonical_refs(rewritten, schemas, found if rewritten is schema else None)
