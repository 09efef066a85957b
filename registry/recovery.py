"""Recovery by design: the index catches up with git, stale locks and temporary files go at start.

Git is written first and the index second, so a crash (SIGKILL, OOM, power) between the two
leaves versions in git that the index does not show. The index remembers the last commit it has
caught up with (``index_state.git_tip``; every write advances it with a compare-and-set from the
commit's parent). **Catch-up** walks ``git log <git_tip>..<tip>`` (first parent, oldest first)
and applies each commit from its trailers — ``Yoshiki-Version``, ``Yoshiki-Event``,
``Yoshiki-Bump``, ``Yoshiki-Actor`` — plus the files at the tip (template.json, deprecated.json,
detached.json): versions, deprecations and detachments are indexed (all idempotent), and an audit
entry is restored for each commit that has none (the audit log keys entries by commit, so a
restored entry is never doubled; ``remote_addr`` is not kept in git — an address does not belong
in a public history — so a restored entry has none and says "restored from git").

When the index has no ``git_tip`` (a new database, or one from before this mechanism), when
``git_tip`` is not an ancestor of the tip (history rewritten), or when a commit in the range
carries no trailers (written by hand), catch-up falls back to a full ``reindex``.

It runs: at start (``create_app``, ``yoshiki serve``'s preparation, ``yoshiki admin doctor``),
and before the next write of a process whose own index write failed after its git commit.
Reads do not trigger it: the tip is not compared on every read (a crash is the only way to fall
behind, and a crash is followed by a start).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from registry import lineage_upkeep
from registry.errors import RegistryError
from registry.layout import SCHEMA_FILE, TEMPLATE_FILE, TemplateKey, VersionKey
from registry.lineage import DETACHED_FILE, load_detachments
from registry.reindex_reader import record_of
from registry.search.fields import field_titles

if TYPE_CHECKING:
    from registry.service import RegistryService

STATE_TIP = "git_tip"
AUDIT_ACTIONS = {"published": "publish", "forked": "fork", "pulled": "pull",
                 "deprecated": "deprecate", "detached": "detach"}
log = logging.getLogger("yoshiki.recovery")


class CatchUp(msgspec.Struct, kw_only=True):
    """What a catch-up did."""

    since: str | None = None
    tip: str | None = None
    commits: int = 0
    versions: int = 0
    deprecations: int = 0
    detachments: int = 0
    audit_restored: int = 0
    full: bool = False
    skipped: list[str] = msgspec.field(default_factory=list)


class StartReport(msgspec.Struct, kw_only=True):
    """What the start-up (or ``yoshiki admin doctor``) found and repaired."""

    locks_removed: list[str] = msgspec.field(default_factory=list)
    locks_left: list[str] = msgspec.field(default_factory=list)
    temporary_removed: int = 0
    catch_up: CatchUp | None = None


def catch_up(service: RegistryService, *, level: int = logging.WARNING) -> CatchUp:
    """Bring the index up to the git tip (see the module docstring).

    What it did is logged at ``level``: a warning after a crash; a replica following its
    primary (registry/replica.py) catches up all the time and logs at INFO.
    """
    store, index = service.store, service.index
    tip = store.tip()
    last = index.state(STATE_TIP)
    report = CatchUp(since=last, tip=tip)
    if tip is None or tip == last:
        return report
    commits = None
    if last is not None and store.is_ancestor(last, tip):
        commits = store.log_range(last, tip)
        if any("Yoshiki-Event" not in t or "Yoshiki-Version" not in t for _, t in commits):
            commits = None
    if commits is None:
        report.full = True
        report.versions = service.reindex(actor="catch-up")
        report.skipped = list(service.reindex_skipped)
        commits = store.log_range(None, tip)
    else:
        _apply(service, commits, tip, report)
    report.commits = len(commits)
    _restore_audit(service, commits, tip, report)
    index.set_state(STATE_TIP, tip, expect=last)
    if report.commits:
        log.log(level, "index caught up with git: %s", msgspec.json.encode(report).decode())
    return report


def _apply(service: RegistryService, commits: list[tuple[Any, dict[str, str]]], tip: str,
           report: CatchUp) -> None:
    store, index = service.store, service.index
    deprecations: dict[tuple[str, str], dict[str, Any]] = {}
    for info, trailers in commits:
        event = trailers.get("Yoshiki-Event", "")
        try:
            key = VersionKey.parse(trailers.get("Yoshiki-Version", ""))
        except RegistryError:  # a bad trailer is reported, never fatal
            report.skipped.append(f"{info.commit}: trailer Yoshiki-Version is not LG/slug@version")
            continue
        try:  # data problems are reported; an index that fails stops the catch-up (raised)
            if event in ("published", "forked", "pulled"):
                raw = store.read_file(f"{key.relpath}/{TEMPLATE_FILE}", tip)
                template = msgspec.json.decode(raw) if raw else None
                if not isinstance(template, dict):
                    report.skipped.append(f"{info.commit}: {key} has no readable template.json")
                    continue
                record = record_of(key, template, info, trailers.get("Yoshiki-Bump"), event)
                # The schema's field titles, as publish and reindex index them (search).
                schema_raw = store.read_file(f"{key.relpath}/{SCHEMA_FILE}", tip)
                try:
                    record.field_titles = (field_titles(msgspec.json.decode(schema_raw))
                                           if schema_raw else [])
                except msgspec.DecodeError:
                    record.field_titles = []
                if record.upstream_template and record.upstream_version:
                    record.upstream_commit = service._published_commit(
                        record.upstream_template, record.upstream_version)
                index.record_version(record)
                lineage_upkeep.after_publish(service, key.template)
                report.versions += 1
            elif event == "deprecated":
                tk = (key.lg, key.slug)
                if tk not in deprecations:
                    deprecations[tk] = store.deprecations(key.template)
                dep = deprecations[tk].get(key.version)
                if isinstance(dep, dict):
                    index.mark_deprecated(key.lg, key.slug, key.version, str(dep.get("reason", "")),
                                          str(dep.get("by", info.author_name)),
                                          str(dep.get("at", info.date)))
                    report.deprecations += 1
            elif event == "detached":
                records = load_detachments(
                    store.read_file(f"{key.lg}/{key.slug}/{DETACHED_FILE}", tip))
                for r in records:
                    if r["version"] == key.version:
                        index.record_detachment(key.lg, key.slug, r["upstream"], r["version"],
                                                str(r.get("at", info.date)),
                                                str(r.get("by", info.author_name)), r.get("reason"))
                        report.detachments += 1
                lineage_upkeep.after_detach(service, key.template)
        except (RegistryError, ValueError, msgspec.DecodeError) as exc:
            report.skipped.append(f"{info.commit}: {key}: {type(exc).__name__}: {exc}")


def _restore_audit(service: RegistryService, commits: list[tuple[Any, dict[str, str]]], tip: str,
                   report: CatchUp) -> None:
    index = service.index
    audited = index.audited_commits([info.commit for info, _ in commits])
    reasons: dict[str, dict[str, Any]] = {}
    for info, trailers in commits:
        action = AUDIT_ACTIONS.get(trailers.get("Yoshiki-Event", ""))
        if action is None or info.commit in audited:
            continue
        target = trailers.get("Yoshiki-Version", "")
        if action in ("deprecate", "detach"):
            name, _, version = target.partition("@")
            if action == "deprecate":
                if name not in reasons:
                    reasons[name] = service.store.deprecations(TemplateKey.parse(name))
                dep = reasons[name].get(version)
                detail = str(dep.get("reason")) if isinstance(dep, dict) else None
            else:
                detail = next((r.get("reason") for r in load_detachments(
                    service.store.read_file(f"{name}/{DETACHED_FILE}", tip))
                    if r["version"] == version), None)
        else:
            bump = trailers.get("Yoshiki-Bump")
            detail = f"commit {info.commit}" + (f", {bump}" if bump else "")
        detail = (detail + " " if detail else "") + "(restored from git)"
        index.audit(trailers.get("Yoshiki-Actor") or info.author_name, action, target, detail,
                    None, commit=info.commit, at=info.date)
        report.audit_restored += 1


def start(service: RegistryService) -> StartReport:
    """At start: clear stale git locks and temporary files (the store), then catch the index up."""
    removed, left, temporary = service.store.repair_files()
    report = StartReport(locks_removed=removed, locks_left=left, temporary_removed=temporary)
    report.catch_up = catch_up(service)
    return report


def write_path_checks(service: RegistryService) -> dict[str, str]:
    """The write path's checks for /healthz: ``name -> "ok" | what is wrong`` (changes nothing)."""
    import os

    checks = dict(service.store.write_problems())
    data_dir = Path(service.settings.data_dir)
    checks["data_dir_writable"] = ("ok" if data_dir.is_dir() and os.access(data_dir, os.W_OK)
                                   else f"{data_dir} is not writable")
    checks["index_caught_up"] = "ok" if not service.index_behind else \
        "an index write failed after its git commit; the index catches up at the next write or start"
    return checks
