"""Local ``$ref`` resolution: common definitions, ``$defs`` and other templates — never the network.

A ``SchemaSet`` maps registry URIs to documents. Common definitions come from the packaged
``schemas/common/``; template schemas from a loader (a folder in the canonical layout, or the git
store). Any other URI is refused with a clear error: Yoshiki never fetches a remote schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from registry.errors import InvalidTemplate, NotFound
from registry.layout import COMMON_BASE, LG_RE, REGISTRY_BASE, SCHEMA_FILE, VersionKey, is_slug
from registry.models import Issue
from registry.resources import schemas_dir
from registry.syntax import pointers
from registry.syntax.documents import read_json
from registry.versioning import Version

META_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"

VersionLoader = Callable[[VersionKey], Any]
"""Returns the schema document of a version, or raises NotFound."""


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
                 extra: dict[str, Any] | None = None) -> None:
        self._loader = loader
        self._docs: dict[str, Any] = dict(extra or {})

    @classmethod
    def for_folder(cls, root: Path | None) -> SchemaSet:
        """Common definitions plus every template of the repository at ``root`` (if any)."""
        return cls(folder_loader(root) if root is not None else None)

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
        elif uri == META_SCHEMA_2020_12:
            raise self._missing(uri, "the meta-schema is built into the validator",
                                "メタスキーマは参照できません")
        else:
            raise self._missing(uri, "only registry URIs (https://yoshiki.invalid/...) resolve; "
                                "Yoshiki never fetches schemas over the network",
                                "参照できるのはレジストリ内の URI (https://yoshiki.invalid/...) だけです。"
                                "ネットワーク上のスキーマは取得しません")
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
            base = urldefrag(urljoin(base, node["$id"]))[0]
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
        self.root_uri = urldefrag(urljoin(base_uri, root_id))[0] if isinstance(root_id, str) else base_uri
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
        target = urljoin(base, ref) if base else ref
        uri, fragment = urldefrag(target)
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
            joined: str = urldefrag(urljoin(base, schema["$id"]))[0]
            return joined
        return base
