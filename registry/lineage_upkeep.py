"""Keeps the lineage tables (``fork_status``, ``fork_divergence``) in step with git.

When they change:
- **publish / fork / pull** of ``T`` (``after_publish``): ``T``'s status and divergence are
  recomputed (its latest version against the upstream version it names, by the diff engine),
  and the status of every direct fork of ``T`` (one more release to be behind);
- **detach** (a ``detached`` change-feed event): ``T``'s status (``after_detach``);
- **reindex** (``rebuild``): both tables are rebuilt from the records read from git, after the
  rest of the index, in one transaction.

Everything is derivable from git: the tables are caches, like the rest of the index.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING

from registry.forktree import Divergence, ForkStatus, classify
from registry.layout import TemplateKey, VersionKey
from registry.municipalities import lookup, name_of
from registry.versioning import Version, version_order

if TYPE_CHECKING:
    from registry.readmodels import VersionRecord
    from registry.service import RegistryService


def _prefecture(lg: str) -> str:
    m = lookup(lg)
    return m.prefecture_code if m else ""


def _detached_versions(service: RegistryService,
                       names: list[str] | None) -> dict[str, dict[str, str]]:
    """``{lg/slug: {upstream: fork version at detach}}`` from the change feed's ``detached``
    events of ``names`` (of every template when None)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for e in service.index.lineage.detached_events(names):
        if e.upstream_template:
            out[f"{e.lg}/{e.slug}"][e.upstream_template] = e.version
    return out


def status_from(versions: list[VersionRecord], upstream_versions: list[str],
                detached: dict[str, str]) -> ForkStatus:
    """A template's status from its versions (ascending), its upstream's and its detachments."""
    latest = versions[-1]
    upstream, taken = latest.upstream_template, latest.upstream_version
    is_detached = False
    if detached:
        # Detached from U at fork version D: the latest version is D itself (still naming U) or
        # a later one that names no upstream. A later version that names U again re-attached.
        for up, at in detached.items():
            if upstream is None or (upstream == up and Version.parse(at) >= Version.parse(latest.version)):
                is_detached = True
                if upstream is None:
                    upstream = up
                    taken = next((v.upstream_version for v in reversed(versions)
                                  if v.upstream_template == up), None)
                break
    behind = 0
    up_latest = upstream_versions[-1] if upstream_versions else None
    if upstream and taken and not is_detached:
        base = Version.parse(taken)
        behind = sum(1 for v in upstream_versions if Version.parse(v) > base)
    return ForkStatus(lg=latest.lg, slug=latest.slug, title=latest.title,
                      municipality_name=name_of(latest.lg),
                      prefecture_code=_prefecture(latest.lg), latest_version=latest.version,
                      upstream_template=upstream, upstream_version=taken,
                      upstream_latest=up_latest, behind=behind, detached=is_detached)


# (fork lg/slug, its latest version, upstream lg/slug, upstream version) -> its divergences
Ahead = dict[tuple[str, str, str, str], list[Divergence]]


def divergence_of(service: RegistryService, status: ForkStatus,
                  ahead: Ahead | None = None) -> list[Divergence]:
    """The fork's latest version against the upstream version it took, classified (taken from
    ``ahead`` when it was computed there, see ``divergence_ahead``)."""
    if not status.upstream_template or not status.upstream_version:
        return []
    known = (ahead or {}).get((status.name, status.latest_version, status.upstream_template,
                               status.upstream_version))
    if known is not None:
        return known
    return _divergence(service, status.lg, status.slug, status.latest_version,
                       status.upstream_template, status.upstream_version)


def _divergence(service: RegistryService, lg: str, slug: str, version: str, upstream: str,
                upstream_version: str) -> list[Divergence]:
    from registry.errors import RegistryError

    up = TemplateKey.parse(upstream)
    try:
        result = service.diff_versions(VersionKey(up.lg, up.slug, upstream_version),
                                       VersionKey(lg, slug, version))
    except RegistryError:
        return []  # an upstream the registry does not hold (or unreadable): nothing to compare
    return classify(result.diff.changes)


def divergence_ahead(service: RegistryService, rec: VersionRecord) -> Ahead:
    """The divergence ``after_publish`` stores when ``rec`` is its template's latest version
    (the usual case), computed from git alone — before the index's write lock, which a diff
    would otherwise hold for milliseconds on every fork and pull. Versions are immutable, so
    the result is the same whenever it is computed; ``after_publish`` uses it only when the
    status it finds matches."""
    if not rec.upstream_template or not rec.upstream_version:
        return {}
    return {(f"{rec.lg}/{rec.slug}", rec.version, rec.upstream_template, rec.upstream_version):
            _divergence(service, rec.lg, rec.slug, rec.version, rec.upstream_template,
                        rec.upstream_version)}


def _versions_of(service: RegistryService, name: str) -> list[VersionRecord]:
    key = TemplateKey.parse(name)
    return service.index.versions(key.lg, key.slug)


def refresh(service: RegistryService, name: str, *, with_divergence: bool,
            known: dict[str, list[VersionRecord]] | None = None,
            detached: dict[str, dict[str, str]] | None = None,
            ahead: Ahead | None = None) -> ForkStatus | None:
    """Recompute one template's status (and divergence); None when the index has no version.

    ``known`` keeps the versions read per template (an upstream is read once for all its
    forks); ``detached`` is the detachments of ``name`` when the caller read them already;
    ``ahead`` divergences computed beforehand (``divergence_ahead``).
    """
    cache: dict[str, list[VersionRecord]] = {} if known is None else known

    def versions_of(n: str) -> list[VersionRecord]:
        if n not in cache:
            cache[n] = _versions_of(service, n)
        return cache[n]

    versions = versions_of(name)
    if not versions:
        return None
    if detached is None:
        detached = _detached_versions(service, [name])
    mine = detached.get(name, {})
    latest = versions[-1]
    upstream = latest.upstream_template or next(iter(mine), None)
    up_versions = [v.version for v in versions_of(upstream)] if upstream else []
    status = status_from(versions, up_versions, mine)
    divergences = divergence_of(service, status, ahead) if with_divergence else None
    service.index.lineage.put(status, divergences)
    return status


def after_publish(service: RegistryService, key: TemplateKey, *, ahead: Ahead | None = None) -> None:
    """After a version of ``key`` was indexed: its status and divergence, its forks' behind.

    Reads each template's versions once (``key``'s serve every fork) and the forks'
    detachments in one query; ``ahead``: see ``divergence_ahead``.
    """
    name = str(key)
    known: dict[str, list[VersionRecord]] = {}
    refresh(service, name, with_divergence=True, known=known, ahead=ahead)
    forks = [f.name for f in service.index.lineage.direct_forks(name)]
    if not forks:
        return
    detached = _detached_versions(service, forks)
    for fork in forks:
        refresh(service, fork, with_divergence=False, known=known, detached=detached)


def after_detach(service: RegistryService, key: TemplateKey) -> None:
    """After ``key`` detached from its upstream."""
    refresh(service, str(key), with_divergence=True)


def rebuild(service: RegistryService, records: list[VersionRecord]) -> None:
    """Both lineage tables from ``records`` (read from git), replacing what was there."""
    per: dict[str, list[VersionRecord]] = defaultdict(list)
    # A template's versions come together (git's order): one name and one extend per run.
    for (lg, slug), run in groupby(records, key=attrgetter("lg", "slug")):
        per[f"{lg}/{slug}"].extend(run)
    for vs in per.values():
        vs.sort(key=lambda r: version_order(r.version))
    detached = _detached_versions(service, None)
    statuses: list[ForkStatus] = []
    divergences: dict[str, list[Divergence]] = {}
    for name, vs in sorted(per.items()):
        det = detached.get(name, {})
        upstream = vs[-1].upstream_template or next(iter(det), None)
        up_versions = [r.version for r in per.get(upstream, [])] if upstream else []
        status = status_from(vs, up_versions, det)
        statuses.append(status)
        if status.upstream_template:
            divergences[name] = divergence_of(service, status)
    service.index.lineage.replace_all(statuses, divergences)


def ensure_built(service: RegistryService) -> None:
    """Build the lineage tables from git once, for an index migrated from before them."""
    if service.index.lineage.needs_build():
        rebuild(service, service.records())
