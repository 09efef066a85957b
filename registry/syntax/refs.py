"""Local ``$ref`` resolution: common definitions, ``$defs`` and other templates — never the network.

A ``SchemaSet`` maps registry URIs to documents. Common definitions come from the packaged
``schemas/common/``; template schemas from a loader (a folder in the canonical layout, or the git
store); other absolute URIs from a reference folder (``--ref-dir``: files indexed by their
``$id``) when one is given. Any other URI is refused with a clear error: Yoshiki never fetches a
remote schema.

References follow JSON Schema 2020-12: URIs are joined per RFC 3986 for any scheme (``urn:``,
``tag:`` as well as ``https:``), fragments are percent-decoded before a JSON pointer's ``~0``/``~1``
escapes, ``$id`` in a subschema starts an embedded resource, ``$anchor``/``$dynamicAnchor`` name
plain fragments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit, urlunsplit, uses_relative

from registry.errors import InvalidTemplate, NotFound, RegistryError
from registry.layout import COMMON_BASE, LG_RE, REGISTRY_BASE, SCHEMA_FILE, VersionKey, is_slug
from registry.models import Issue
from registry.resources import schemas_dir
from registry.syntax import pointers
from registry.syntax.documents import read_json
from registry.versioning import Version

META_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"

VersionLoader = Callable[[VersionKey], Any]
"""Returns the schema document of a version, or raises NotFound."""


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                out.append("")
        elif seg == "..":
            if len(out) > 1 or (out and out[0] != ""):
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    return "/".join(out)


def join(base: str, ref: str) -> str:
    """``ref`` resolved against ``base`` (RFC 3986 section 5.2), for every scheme.

    ``urllib.parse.urljoin`` leaves a reference unresolved under a scheme it does not know as
    hierarchical (``urljoin("urn:uuid:1", "#/a") == "#/a"``); 2020-12 resolves it to
    ``urn:uuid:1#/a``.
    """
    if not base:
        return ref
    scheme = urlsplit(base).scheme
    if scheme in uses_relative or not scheme:
        return urljoin(base, ref)
    r = urlsplit(ref)
    if r.scheme:
        return ref
    b = urlsplit(base)
    if r.netloc:
        return urlunsplit((b.scheme, r.netloc, _remove_dot_segments(r.path), r.query, r.fragment))
    if not r.path:
        query = r.query if r.query else b.query
        return urlunsplit((b.scheme, b.netloc, b.path, query, r.fragment))
    if r.path.startswith("/"):
        path = _remove_dot_segments(r.path)
    elif b.netloc and not b.path:
        path = _remove_dot_segments("/" + r.path)
    else:
        path = _remove_dot_segments(b.path[: b.path.rfind("/") + 1] + r.path)
    return urlunsplit((b.scheme, b.netloc, path, r.query, r.fragment))


def document_uri(uri: str) -> str:
    """``uri`` without its fragment (an empty fragment ``#`` included)."""
    return urldefrag(uri)[0]


class UnresolvableRef(InvalidTemplate):
    """A ``$ref`` points at nothing that can be resolved locally."""

    code = "unresolvable-ref"


def folder_loader(root: Path) -> VersionLoader:
    """Load template schemas from a repository folder in the canonical layout."""

    def load(key: VersionKey) -> Any:
        return read_json(root / key.lg / key.slug / key.version / SCHEMA_FILE)

    return load


def version_key_of_uri(uri: str) -> VersionKey | None:
    """The template version a registry URI names, if it names one."""
    if not uri.startswith(REGISTRY_BASE):
        return None
    parts = uri[len(REGISTRY_BASE):].split("/")
    if (len(parts) == 4 and parts[3] == SCHEMA_FILE and LG_RE.fullmatch(parts[0])
            and is_slug(parts[1]) and Version.is_valid(parts[2])):
        return VersionKey(parts[0], parts[1], parts[2])
    return None


class SchemaSet:
    """The schema resources a template may reference, loaded on demand and cached."""

    def __init__(self, loader: VersionLoader | None = None,
                 extra: dict[str, Any] | None = None, ref_dir: Path | None = None) -> None:
        self._loader = loader
        self._docs: dict[str, Any] = dict(extra or {})
        self._ref_dir = ref_dir
        self._ref_files: dict[str, Any] | None = None

    @classmethod
    def for_folder(cls, root: Path | None, ref_dir: Path | None = None) -> SchemaSet:
        """Common definitions plus every template of the repository at ``root`` (if any), and
        the schemas of ``ref_dir`` by their ``$id``."""
        return cls(folder_loader(root) if root is not None else None, ref_dir=ref_dir)

    def use_ref_dir(self, ref_dir: Path | None) -> None:
        """Resolve other absolute URIs from the schema files of ``ref_dir`` (by ``$id``)."""
        self._ref_dir = ref_dir
        self._ref_files = None

    def _ref_dir_doc(self, uri: str) -> Any:
        """The schema of ``ref_dir`` whose ``$id`` (or draft-04 ``id``) is ``uri``, read in its own
        dialect and rewritten to 2020-12 — a file's root or a resource embedded in it; else None."""
        if self._ref_dir is None:
            return None
        if self._ref_files is None:
            from registry.diff.dialects import to_2020_12  # read in its own dialect

            self._ref_files = {}
            for path in sorted(self._ref_dir.rglob("*.json")):
                try:
                    doc = to_2020_12(read_json(path))[0]
                except Exception:  # not JSON: not a schema of the reference folder
                    continue
                ident = doc.get("$id") if isinstance(doc, dict) else None
                if not isinstance(ident, str):
                    continue
                self._ref_files.setdefault(document_uri(ident), doc)
                for kind, key, sub, _ in _walk_resources(doc, "", []):
                    if kind == "id":
                        self._ref_files.setdefault(key, sub)
        return self._ref_files.get(uri)

    def can_retrieve(self, uri: str) -> bool:
        """Would ``retrieve`` find a document at ``uri`` (no fragment)?"""
        try:
            self.retrieve(uri)
        except RegistryError:
            return False
        return True

    def add(self, uri: str, document: Any) -> None:
        """Register a document under a URI (e.g. a schema being validated before it is stored)."""
        self._docs[urldefrag(uri)[0]] = document

    def retrieve(self, uri: str) -> Any:
        """The document at ``uri`` (no fragment); raise UnresolvableRef for anything non-local."""
        uri = urldefrag(uri)[0]
        if uri in self._docs:
            return self._docs[uri]
        doc: Any
        if uri.startswith(COMMON_BASE):
            name = uri[len(COMMON_BASE):]
            path = schemas_dir() / "common" / name
            if "/" in name or not name.endswith(".json") or not path.is_file():
                raise self._missing(uri, "no such common definition", "共通定義がありません")
            doc = read_json(path)
        elif (key := version_key_of_uri(uri)) is not None:
            if self._loader is None:
                raise self._missing(uri, "no repository to look templates up in",
                                    "テンプレートを探すリポジトリが指定されていません")
            try:
                doc = self._loader(key)
            except NotFound:
                raise self._missing(uri, f"template {key} does not exist in this repository",
                                    f"テンプレート {key} はこのリポジトリにありません") from None
        elif (found := self._ref_dir_doc(uri)) is not None:
            doc = found
        elif uri == META_SCHEMA_2020_12:
            raise self._missing(uri, "the meta-schema is built into the validator",
                                "メタスキーマは参照できません")
        else:
            raise self._missing(uri, "only registry URIs (https://yoshiki.invalid/...) and the schemas of "
                                "--ref-dir resolve; Yoshiki never fetches schemas over the network",
                                "参照できるのはレジストリ内の URI (https://yoshiki.invalid/...) と --ref-dir の"
                                "スキーマだけです。ネットワーク上のスキーマは取得しません")
        self._docs[uri] = doc
        return doc

    @staticmethod
    def _missing(uri: str, en: str, ja: str) -> UnresolvableRef:
        return UnresolvableRef(
            f"cannot resolve {uri}: {en}", detail_ja=f"{uri} を解決できません: {ja}",
            issues=[Issue(rule="ref.unresolvable", message=f"Cannot resolve {uri}: {en}.",
                          message_ja=f"{uri} を解決できません: {ja}。")],
        )


def _walk_resources(node: Any, base: str, path: list[str | int]) -> Iterator[tuple[str, str, Any, list[str | int]]]:
    """Yield (kind, key, subschema, path) for embedded ``$id`` and ``$anchor``s of a document."""
    if isinstance(node, dict):
        if isinstance(node.get("$id"), str):
            base = document_uri(join(base, node["$id"]))
            yield "id", base, node, path
        for kw in ("$anchor", "$dynamicAnchor"):
            if isinstance(node.get(kw), str):
                yield "anchor", f"{base}#{node[kw]}", node, path
        for k, v in node.items():
            if k not in ("const", "enum", "examples", "default"):
                yield from _walk_resources(v, base, [*path, k])
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk_resources(v, base, [*path, i])


class Resolver:
    """Resolves ``$ref`` values against a root schema and a SchemaSet, as pure Python.

    Used by the diff engine and lint, which need to walk into referenced subschemas without a
    validator. ``resolve`` returns the target's base URI and subschema.
    """

    def __init__(self, root: Any, schemas: SchemaSet | None = None, base_uri: str = "") -> None:
        self.schemas = schemas or SchemaSet()
        root_id = root.get("$id") if isinstance(root, dict) else None
        self.root_uri = document_uri(join(base_uri, root_id)) if isinstance(root_id, str) else base_uri
        self._index: dict[str, Any] = {}
        self._indexed: set[str] = set()
        self._index_document(self.root_uri, root)

    def _index_document(self, uri: str, document: Any) -> None:
        if uri in self._indexed:
            return
        self._indexed.add(uri)
        self._index[uri] = document
        for kind, key, sub, _ in _walk_resources(document, uri, []):
            self._index.setdefault(key, sub)
            if kind == "id":
                self._indexed.add(key)

    def resolve(self, base: str, ref: str) -> tuple[str, Any]:
        """(base URI of the target, target subschema) for ``ref`` found under ``base``."""
        target = join(base, ref)
        uri, fragment = urldefrag(target)
        fragment = unquote(fragment)  # percent-encoding first, then the pointer's ~0/~1
        if uri not in self._index:
            self._index_document(uri, self.schemas.retrieve(uri))
        doc = self._index[uri]
        if not fragment:
            return uri, doc
        if fragment.startswith("/"):
            try:
                return uri, pointers.resolve(doc, fragment)
            except (KeyError, IndexError, ValueError):
                raise SchemaSet._missing(target, f"no {fragment} in that document",
                                         f"その文書に {fragment} がありません") from None
        anchored = self._index.get(f"{uri}#{fragment}")
        if anchored is None:
            raise SchemaSet._missing(target, f"no anchor {fragment!r}", f"アンカー {fragment!r} がありません")
        return uri, anchored

    @staticmethod
    def base_of(base: str, schema: Any) -> str:
        """The base URI in effect inside ``schema`` (its own ``$id`` changes it)."""
        if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
            return document_uri(join(base, schema["$id"]))
        return base
