"""Seed the registry from a folder in the canonical layout (e.g. the starter ``templates_repo/``).

One commit per version, through the service's own publish path (validation, lint, compatibility,
locked fields), in dependency order: a version comes after the earlier versions of its template,
after the upstream version it forks, and after every template version its schema ``$ref``s — so
a fork's upstream and a referenced ``$defs`` exist when it is checked. Each commit is authored by
the municipality that owns the template (its first maintainer department, or カタログ), and a
fork's first version is recorded as a fork (``Yoshiki-Event: forked``) so lineage reads from git.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from registry.errors import UsageError
from registry.layout import SCHEMA_FILE, TEMPLATE_FILE, VersionKey, iter_version_dirs
from registry.municipalities import name_of
from registry.readmodels import Author
from registry.syntax.refs import version_key_of_uri

if TYPE_CHECKING:
    from registry.service import PublishResult, RegistryService


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _refs(node: Any, base: str) -> Iterator[VersionKey]:
    """Template versions a schema references (``$ref`` to another template's registry URI)."""
    if isinstance(node, dict):
        if isinstance(node.get("$id"), str):
            base = urljoin(base, node["$id"])
        ref = node.get("$ref")
        if isinstance(ref, str):
            key = version_key_of_uri(urldefrag(urljoin(base, ref))[0])
            if key is not None:
                yield key
        for k, v in node.items():
            if k not in ("const", "enum", "examples", "default"):
                yield from _refs(v, base)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v, base)


def plan(root: Path) -> list[tuple[VersionKey, Path]]:
    """Version folders under ``root`` in an order where every dependency comes first."""
    folders: dict[VersionKey, Path] = {}
    for folder in iter_version_dirs(root):
        key = VersionKey.from_folder(folder)
        if key is not None:
            folders[key] = folder
    graph: TopologicalSorter[VersionKey] = TopologicalSorter()
    previous: dict[tuple[str, str], VersionKey] = {}
    for key, folder in folders.items():  # iter_version_dirs yields versions in SemVer order
        deps: set[VersionKey] = set()
        if (key.lg, key.slug) in previous:
            deps.add(previous[(key.lg, key.slug)])
        previous[(key.lg, key.slug)] = key
        template = _json(folder / TEMPLATE_FILE)
        upstream = template.get("upstream") if isinstance(template, dict) else None
        if isinstance(upstream, dict):
            lg, _, slug = str(upstream.get("template", "")).partition("/")
            deps.add(VersionKey(lg, slug, str(upstream.get("version", ""))))
        schema = _json(folder / SCHEMA_FILE)
        own_id = key.schema_id
        deps.update(k for k in _refs(schema, own_id) if k != key)
        graph.add(key, *(d for d in deps if d in folders))
    try:
        order = list(graph.static_order())
    except CycleError as exc:
        raise UsageError(f"the catalogue's versions depend on each other in a cycle: {exc.args[1]}",
                         detail_ja=f"カタログの版の依存関係が循環しています: {exc.args[1]}") from None
    return [(k, folders[k]) for k in order]


def author_for(key: VersionKey, template: Any) -> Author:
    """The account a seeded version is authored by: the municipality's first maintainer."""
    department = "カタログ"
    maintainers = template.get("maintainers") if isinstance(template, dict) else None
    if isinstance(maintainers, list) and maintainers and isinstance(maintainers[0], dict):
        department = str(maintainers[0].get("department") or department)
    return Author(name=department, email=f"{key.lg}@catalogue.yoshiki.invalid",
                  municipality=key.lg, municipality_name=name_of(key.lg))


def seed(service: RegistryService, root: Path, *, skip_existing: bool = True) -> list[PublishResult]:
    """Publish every version under ``root`` not yet in the store; return what was published."""
    published: list[PublishResult] = []
    for key, folder in plan(root):
        if skip_existing and service.store.exists(key):
            continue
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}
        template = _json(folder / TEMPLATE_FILE)
        published.append(service.import_version(key, files, actor=author_for(key, template)))
    return published
