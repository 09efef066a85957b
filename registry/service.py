"""The registry's use-cases: publish, fork, pull, deprecate, detach, reindex, history, lineage, search.

Sync and framework-free: the web API and the CLI both call ``RegistryService``. Git is the source
of truth and is written first; the SQL index is a cache written second (a crash in between is
repaired at the next start by the catch-up of registry/recovery.py, from the commit trailers).
Every write is also recorded in the index's audit log, one entry per commit.

Decisions (see also the docstrings of ``fork`` and ``deprecate``):

- The compatibility mode is the one the NEW version's template.json declares (default
  BACKWARD): a change of mode is an explicit line in the published metadata, kept in git.
- The declared version must be at least the bump the diff requires under that mode (breaking or
  unknown in a direction the mode needs → major). NONE checks nothing, but a change that breaks
  backward compatibility still needs a major version.
- Within one major line every minor/patch release must keep the mode against the latest
  earlier release of the line (transitive modes: against every earlier release of the line,
  since data was collected under each). A new major version may break it: that is what a major
  version says (SemVer), and the starter catalogue relies on it (堺市 after-school club 2.0.0).
- A fork may not drop a field its upstream marks ``x-yoshiki-locked`` nor change how it
  validates (annotations such as title and description may change; validation keywords may not;
  a locked field that upstream requires stays required).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec

from registry import lineage_upkeep, lineage_views, municipalities
from registry.checks.compatibility import (
    BUMP_JA,
    DEFAULT_MODE,
    assess,
    compatibility_issues,
    mode_of,
    plan,
)
from registry.checks.identifiers import upstream_issues
from registry.checks.locked import locked_field_issues
from registry.checks.tree import Tree
from registry.errors import (
    Conflict,
    Forbidden,
    IncompatibleChange,
    InvalidTemplate,
    LimitExceeded,
    NotFound,
    Unauthenticated,
    UsageError,
    VersionExists,
)
from registry.layout import (
    EXAMPLES_DIR,
    SCHEMA_FILE,
    TEMPLATE_FILE,
    TemplateKey,
    VersionKey,
    schema_uri,
)
from registry.lineage import (
    DETACHED_FILE,
    detached_from,
    lineage_issue,
    load_detachments,
    upstream_of,
)
from registry.models import Issue, has_errors
from registry.readmodels import (
    AuditEntry,
    Author,
    ChangeEvent,
    TemplateDetail,
    TemplateSummary,
    TokenInfo,
    VersionRecord,
    author_of,
)
from registry.reindex_reader import CatalogueReader, PreparedFeed, record_of
from registry.search.fields import field_titles
from registry.storage.ports import CommitInfo, TemplateIndex, TemplateStore
from registry.syntax.documents import decode_utf8, dumps, parse_json_text
from registry.syntax.refs import SchemaSet
from registry.versioning import BUMP_ORDER, Bump, Version, max_bump

if TYPE_CHECKING:
    from registry.config import Settings
    from registry.diff import Diff
    from registry.forktree import (
        Adoption,
        ForkStatus,
        LineageTree,
        PrefectureDivergence,
        TemplateUsers,
    )
    from registry.notices.models import Delivery, Webhook

class RegistryHealth(msgspec.Struct, kw_only=True):
    """What the health check reads: git's tip, the index's newest event, the write path's checks."""

    tip: str | None
    last_event: int
    checks: dict[str, str] = msgspec.field(default_factory=dict)   # name -> "ok" | what is wrong


class PublishResult(msgspec.Struct, kw_only=True):
    """What a publish (or fork / pull) did or, for a dry run, would do."""

    template: str                      # "132241/staff-lunch-survey"
    version: str
    commit: str | None                 # None for a dry run
    previous: str | None = None        # the latest earlier version it was diffed against
    bump: str | None = None            # the size of the step actually declared
    required_bump: str | None = None   # what the diff requires under the mode
    compatibility: str = DEFAULT_MODE
    warnings: list[Issue] = msgspec.field(default_factory=list)
    changes: list[Any] = msgspec.field(default_factory=list)
    event: str = "published"
    dry_run: bool = False
    upstream_template: str | None = None
    upstream_version: str | None = None


class PullResult(msgspec.Struct, kw_only=True):
    """The outcome of a pull: up to date, or the published (or dry-run) next version."""

    fork: str
    upstream: str
    base_version: str
    theirs_version: str
    ours_version: str
    up_to_date: bool = False
    published: PublishResult | None = None
    dropped_examples: list[str] = msgspec.field(default_factory=list)


class HistoryEntry(msgspec.Struct, kw_only=True):
    """One version of a template as its history shows it (from git)."""

    version: str
    commit: str
    author: str
    email: str
    date: str
    event: str
    bump: str | None = None
    changelog: str | None = None
    deprecated: bool = False
    deprecated_reason: str | None = None


class Lineage(msgspec.Struct, kw_only=True):
    """Where a template comes from (upstream chain, nearest first) and who forked it."""

    template: str
    upstream_chain: list[str] = msgspec.field(default_factory=list)   # "lg/slug@version"
    forks: list[VersionRecord] = msgspec.field(default_factory=list)


class DetachResult(msgspec.Struct, kw_only=True):
    """A fork detached from its upstream."""

    template: str
    upstream: str
    version: str          # the template's latest version when it detached
    commit: str
    at: str
    reason: str | None = None


class VersionFiles(msgspec.Struct, kw_only=True):
    """A published version read from git: parsed template and schema, and every file."""

    template_key: str
    version: str
    template: Any
    schema: Any
    files: dict[str, bytes]
    deprecated: bool = False
    deprecated_reason: str | None = None


class VersionDiff(msgspec.Struct, kw_only=True):
    """Two published versions and the diff between them."""

    old: VersionFiles
    new: VersionFiles
    diff: Diff


def now_iso() -> str:
    """Now, ISO 8601 UTC (seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _split_files(files: Mapping[str, bytes], key: VersionKey | None) -> tuple[VersionKey, dict[str, bytes]]:
    """Accept version-relative paths (with ``key``) or repository paths ``lg/slug/ver/...``."""
    if key is not None:
        prefix = key.relpath + "/"
        return key, {(p[len(prefix):] if p.startswith(prefix) else p): d for p, d in files.items()}
    keys = {tuple(p.split("/")[:3]) for p in files}
    if len(keys) != 1 or any(len(p.split("/")) < 4 for p in files):
        raise UsageError("name the version: paths must all start with <lg>/<slug>/<version>/",
                         detail_ja="版を指定してください。すべてのパスを <団体コード>/<スラッグ>/<版>/ で始めてください")
    lg, slug, version = next(iter(keys))
    parsed = VersionKey.parse(f"{lg}/{slug}@{version}")
    return parsed, {p.split("/", 3)[3]: d for p, d in files.items()}


class _Parsed(msgspec.Struct, kw_only=True):
    key: VersionKey
    files: dict[str, bytes]
    template: Any
    schema: Any
    examples: dict[str, list[tuple[str, Any]]]


class RegistryService:
    """The use-cases over one git store and one SQL index."""

    def __init__(self, settings: Settings, *, store: TemplateStore, index: TemplateIndex) -> None:
        self.settings = settings
        self.store: TemplateStore = store
        self.index: TemplateIndex = index
        self.index_behind = False          # a git write whose index write failed: catch up first
        self.reindex_skipped: list[str] = []  # what the last reindex could not index, and why

    @contextlib.contextmanager
    def _indexing(self, info: CommitInfo) -> Iterator[None]:
        """Around the index writes that follow a git commit: one unit of work with the index's
        git tip advanced in it, so the rows and the tip commit together or not at all.

        If they fail, the commit is in git and not in the index: the next write of this
        process (and every start) catches up first (registry/recovery.py).
        """
        from registry.recovery import STATE_TIP

        try:
            with self.index.unit():
                yield
                self.index.set_state(STATE_TIP, info.commit, expect=info.parent)
        except BaseException:
            self.index_behind = True
            raise

    def _catch_up_if_behind(self) -> None:
        if self.index_behind:
            from registry.recovery import catch_up

            catch_up(self)
            self.index_behind = False

    # -- helpers ------------------------------------------------------------------------------
    def _schemas(self, commit: str | None) -> SchemaSet:
        """Common definitions plus every template schema, read from git at ``commit``."""
        store = self.store

        def load(key: VersionKey) -> Any:
            data = store.read_file(f"{key.relpath}/{SCHEMA_FILE}", commit)
            if data is None:
                raise NotFound(f"{key} does not exist", detail_ja=f"{key} はありません")
            return parse_json_text(decode_utf8(data, f"{key.relpath}/{SCHEMA_FILE}"),
                                   f"{key.relpath}/{SCHEMA_FILE}")

        return SchemaSet(load)

    def _doc(self, key: VersionKey, name: str, commit: str | None = None) -> Any:
        data = self.store.read_file(f"{key.relpath}/{name}", commit)
        if data is None:
            raise NotFound(f"{key} has no {name} (is the version published?)",
                           detail_ja=f"{key} の {name} がありません（公開されていない版です）")
        return parse_json_text(decode_utf8(data, f"{key.relpath}/{name}"), f"{key.relpath}/{name}")

    def _parse(self, key: VersionKey, files: Mapping[str, bytes]) -> _Parsed:
        total = sum(len(d) for d in files.values())
        if total > self.settings.max_body_bytes:
            raise LimitExceeded(
                f"the version's files total {total:,} bytes, more than the {self.settings.max_body_bytes:,} allowed",
                detail_ja=f"版のファイルの合計が {total:,} バイトあり、上限 {self.settings.max_body_bytes:,} バイトを超えています")
        issues: list[Issue] = []
        docs: dict[str, Any] = {}
        examples: dict[str, list[tuple[str, Any]]] = {"valid": [], "invalid": []}
        for path, data in sorted(files.items()):
            parts = path.split("/")
            ok_example = (len(parts) == 3 and parts[0] == EXAMPLES_DIR
                          and parts[1] in ("valid", "invalid") and parts[2].endswith(".json"))
            if path not in (TEMPLATE_FILE, SCHEMA_FILE) and not ok_example:
                issues.append(Issue(rule="layout.unexpected-file", file=path,
                                    message=f"{path} does not belong in a version folder.",
                                    message_ja=f"{path} は版のフォルダーに置けないファイルです。",
                                    hint="A version holds template.json, schema.json and examples/valid|invalid/*.json.",
                                    hint_ja="版に置けるのは template.json、schema.json、examples/valid|invalid/*.json です。"))
                continue
            try:
                value = parse_json_text(decode_utf8(data, path), path)
            except InvalidTemplate as exc:
                issues.extend(exc.issues)
                continue
            if ok_example:
                examples[parts[1]].append((parts[2], value))
            else:
                docs[path] = value
        for required in (TEMPLATE_FILE, SCHEMA_FILE):
            if required not in docs and not any(i.file == required for i in issues):
                issues.append(Issue(rule="layout.missing-file", file=required,
                                    message=f"{required} is missing.",
                                    message_ja=f"{required} がありません。"))
        if issues:
            raise InvalidTemplate(f"{key}: the version's files cannot be read",
                                  detail_ja=f"{key}: 版のファイルを読み込めません", issues=issues)
        return _Parsed(key=key, files=dict(files), template=docs[TEMPLATE_FILE],
                       schema=docs[SCHEMA_FILE], examples=examples)

    def _check_actor(self, actor: Author, lg: str) -> None:
        if actor.admin or actor.municipality == lg:
            return
        raise Forbidden(
            f"{actor.display} may not write templates of municipality {lg}",
            detail_ja=f"{actor.display} は団体コード {lg} のテンプレートを書き込めません")

    # -- publish ------------------------------------------------------------------------------
    def publish(self, files: Mapping[str, bytes], *, actor: Author, key: VersionKey | None = None,
                dry_run: bool = False) -> PublishResult:
        """Validate, check the version number and compatibility, then write git and the index."""
        vkey, rel = _split_files(files, key)
        self._check_actor(actor, vkey.lg)
        return self._publish(self._parse(vkey, rel), actor=actor, dry_run=dry_run, event="publish")

    def import_version(self, key: VersionKey, files: Mapping[str, bytes], *,
                       actor: Author) -> PublishResult:
        """Publish a version taken from an existing repository (seeding), naming the event.

        A template's first version with an ``upstream`` is recorded as a fork; a later version
        whose upstream version moved, as a pull; anything else as a publish. All checks apply.
        """
        self._check_actor(actor, key.lg)
        parsed = self._parse(key, files)
        event = "publish"
        upstream = parsed.template.get("upstream") if isinstance(parsed.template, dict) else None
        if isinstance(upstream, dict):
            earlier = [v for v in self.store.list_versions(key.template)
                       if Version.parse(v) < Version.parse(key.version)]
            if not earlier:
                event = "fork"
            else:
                prev = self._doc(VersionKey(key.lg, key.slug, earlier[-1]), TEMPLATE_FILE)
                prev_up = prev.get("upstream") if isinstance(prev, dict) else None
                if prev_up != upstream:
                    event = "pull"
        return self._publish(parsed, actor=actor, dry_run=False, event=event)

    def _publish(self, parsed: _Parsed, *, actor: Author, dry_run: bool, event: str,
                 extra_warnings: list[Issue] | None = None) -> PublishResult:
        from registry.checks.lint import LintConfig, lint_schema
        from registry.checks.validation import validate_version_documents

        key = parsed.key
        VersionKey.parse(str(key))  # every part of the key by its grammar (bounded version)
        bad_upstream = upstream_issues(parsed.template)
        if bad_upstream:
            raise InvalidTemplate(f"{key}: template.json's upstream is not a template version; nothing was published",
                                  detail_ja=f"{key}: template.json の upstream がテンプレートの版を指していないため公開していません",
                                  issues=bad_upstream)
        tip, existing = self.store.tip_and_versions(key.template)
        if key.version in existing:
            raise VersionExists(
                f"{key} is already published; a published version never changes — publish a new version number",
                detail_ja=f"{key} は公開済みです。公開した版は変更できません。新しい版番号で公開してください",
                extra={"version": str(key)})
        schemas = self._schemas(tip)
        if isinstance(parsed.schema, dict) and isinstance(parsed.schema.get("$id"), str):
            schemas.add(parsed.schema["$id"], parsed.schema)

        def upstream_exists(name: str, ver: str) -> bool:
            lg, _, slug = name.partition("/")
            return bool(tip) and self.store.exists(VersionKey(lg, slug, ver), tip)

        template = parsed.template if isinstance(parsed.template, dict) else {}
        upstream = template.get("upstream") if isinstance(template.get("upstream"), dict) else None
        if upstream is not None and isinstance(parsed.schema, dict):
            # Checked before the rest: dropping a locked field is the refusal that matters,
            # not the examples that mention it.
            up_lg, _, up_slug = str(upstream.get("template")).partition("/")
            up_key = VersionKey(up_lg, up_slug, str(upstream.get("version")))
            up_schema = self.store.read_file(f"{up_key.relpath}/{SCHEMA_FILE}", tip) if tip else None
            # The same check as `yoshiki ci` (registry/checks/repository.py): $refs resolved,
            # both directions compared by the diff engine, required kept.
            locked = locked_field_issues(
                json.loads(up_schema), parsed.schema, str(up_key), SCHEMA_FILE,
                Tree.from_dict({SCHEMA_FILE: parsed.files[SCHEMA_FILE]} if
                               SCHEMA_FILE in parsed.files else {}),
                upstream_schemas=schemas, fork_schemas=schemas) if up_schema is not None else []
            if locked:
                raise IncompatibleChange(
                    f"{key} changes fields its upstream {up_key} locks; nothing was published",
                    detail_ja=f"{key} はフォーク元 {up_key} が固定している項目を変更しているため公開していません",
                    issues=locked)
        issues = validate_version_documents(key, parsed.template, parsed.schema, parsed.examples,
                                            schemas, upstream_exists=upstream_exists)
        if not has_errors(issues):
            config = LintConfig.load(None, template)
            issues += [i if i.file else msgspec.structs.replace(i, file=SCHEMA_FILE)
                       for i in lint_schema(parsed.schema, schemas=schemas, config=config)]
        if has_errors(issues):
            raise InvalidTemplate(f"{key} is not valid; nothing was published",
                                  detail_ja=f"{key} は不正なため公開していません",
                                  issues=[i for i in issues if i.severity == "error"])
        warnings = [i for i in issues if i.severity != "error"] + list(extra_warnings or [])

        mode = mode_of(template)
        previous, declared, required, changes = self._check_line(
            key, parsed.schema, template, mode, existing, schemas, tip)
        changelog = template.get("changelog") if isinstance(template.get("changelog"), str) else None
        result = PublishResult(
            template=str(key.template), version=key.version, commit=None, previous=previous,
            bump=declared, required_bump=required, compatibility=mode, warnings=warnings,
            changes=changes, event=_EVENTS[event], dry_run=dry_run,
            upstream_template=str(upstream["template"]) if upstream else None,
            upstream_version=str(upstream["version"]) if upstream else None)
        if dry_run:
            return result
        extra = f"from {upstream['template']} {upstream['version']}" if upstream and event != "publish" else None
        checked = {"tip": tip, "versions": existing}

        def recheck(new_tip: str | None) -> None:
            # Check and write are one step: run again, inside the writers' lock, against the
            # tip this attempt's compare-and-swap builds on, when the template moved meanwhile.
            nonlocal previous, declared, required, changes
            if new_tip == checked["tip"]:
                return
            versions = self.store.list_versions(key.template, new_tip)
            checked["tip"] = new_tip
            if versions == checked["versions"]:
                return
            checked["versions"] = versions
            previous, declared, required, changes = self._check_line(
                key, parsed.schema, template, mode, versions, schemas, new_tip)

        self._catch_up_if_behind()
        info = self.store.commit_version(key, parsed.files, author=actor, event=event,
                                         bump=declared, changelog=changelog, extra=extra,
                                         precheck=recheck)
        if (previous, declared) != (result.previous, result.bump):  # re-checked on a moved tip
            result.previous, result.bump, result.required_bump = previous, declared, required
            result.changes = changes
        result.commit = info.commit
        record = record_of(key, template, info, declared, _EVENTS[event])
        record.field_titles = field_titles(parsed.schema)
        if record.upstream_template and record.upstream_version:
            record.upstream_commit = self._published_commit(
                record.upstream_template, record.upstream_version)
        with self._indexing(info):
            # From git alone, before the unit's first statement takes the index's write lock.
            ahead = lineage_upkeep.divergence_ahead(self, record)
            self.index.record_version(record)
            self.index.audit(actor.display, event, str(key),
                             f"commit {info.commit}" + (f", {declared}" if declared else ""), None,
                             commit=info.commit)
            lineage_upkeep.after_publish(self, key.template, ahead=ahead)
        return result

    def _check_line(self, key: VersionKey, schema: Any, template: Any, mode: str,
                    existing: list[str], schemas: SchemaSet, tip: str | None,
                    ) -> tuple[str | None, Bump | None, Bump | None, list[Any]]:
        """Lineage, then the compatibility rule against earlier AND later versions of the line.

        Returns (previous, declared, required, changes); raises when the rule refuses.
        """
        new_v = Version.parse(key.version)
        earlier = [v for v in existing if Version.parse(v) < new_v]
        previous = earlier[-1] if earlier else None
        if previous is not None:
            self._check_lineage(key, previous, template, tip)
        declared: Bump | None = None
        required: Bump | None = None
        changes: list[Any] = []
        if previous is not None:
            declared, required, changes = self._check_change(key, schema, earlier, mode,
                                                             schemas, tip)
        self._check_later(key, schema, existing, schemas, tip)
        return previous, declared, required, changes

    def _check_lineage(self, key: VersionKey, previous: str, template: Any, tip: str | None) -> None:
        """A fork keeps its upstream unless its city detached it (registry/lineage.py)."""
        prev_template = self._doc(VersionKey(key.lg, key.slug, previous), TEMPLATE_FILE, tip)
        if upstream_of(prev_template) is None:
            return
        records = load_detachments(self.store.read_file(f"{key.lg}/{key.slug}/{DETACHED_FILE}", tip))
        issue = lineage_issue(previous, prev_template, template, records)
        if issue is not None:
            raise InvalidTemplate(
                f"{key} leaves the upstream of {key.template} without a detach; nothing was published",
                detail_ja=f"{key} は切り離し（detach）をせずにフォーク元を外しているため公開していません",
                issues=[issue])

    def _check_later(self, key: VersionKey, schema: Any, existing: list[str],
                     schemas: SchemaSet, tip: str | None) -> None:
        """The later versions of the line as if published after this one (checks/line_order.py)."""
        from registry.checks.line_order import later_in_line, later_pairs
        from registry.diff import check_compat, diff, required_bump

        later = later_in_line(key.version, existing)
        if not later:
            return
        templates = {w: self._doc(VersionKey(key.lg, key.slug, w), TEMPLATE_FILE, tip) for w in later}
        modes = {w: mode_of(t) for w, t in templates.items()}
        for w in later_pairs(later, modes):
            m = modes[w]
            w_schema = self._doc(VersionKey(key.lg, key.slug, w), SCHEMA_FILE, tip)
            d = diff(schema, w_schema, mode=m, old_schemas=schemas, new_schemas=schemas)
            required: Bump = required_bump(d, "BACKWARD" if m == "NONE" else m)
            declared = Version.parse(key.version).bump_to(Version.parse(w))
            compat_ok = m == "NONE" or check_compat(w_schema, [schema], m, schemas=schemas).ok
            if compat_ok and BUMP_ORDER[declared] >= BUMP_ORDER[required]:
                continue
            bad = [c for c in d.changes if "breaking" in (c.backward, c.forward)
                   or "unknown" in (c.backward, c.forward)] or list(d.changes)
            raise IncompatibleChange(
                f"{key} cannot come before {w}: published after it in version order, {w} would break its mode {m} "
                f"against {key.version} (or need a {required} step, not {declared}); publish a version after {later[-1]} or a new major version",
                detail_ja=f"{key} は公開済みの {w} より前の版になりますが、{w} が {key.version} に対して互換性モード {m} を満たさなくなります"
                          f"（または{BUMP_JA[required]}の版上げが必要です）。{later[-1]} より後の版か新しいメジャーバージョンで公開してください",
                issues=[Issue(rule="compat.later-version", pointer=c.pointer, file=SCHEMA_FILE,
                              message=f"{c.message} (in {w}, against {key.version}: backward {c.backward}, forward {c.forward})",
                              message_ja=f"{c.message_ja}（{w} の {key.version} に対する変更。後方互換: {c.backward}、前方互換: {c.forward}）")
                        for c in bad],
                extra={"mode": m, "later_version": w, "required_bump": required})

    def _check_change(self, key: VersionKey, schema: Any, earlier: list[str], mode: str,
                      schemas: SchemaSet, tip: str | None) -> tuple[Bump, Bump, list[Any]]:
        """Diff against the latest earlier version; check the declared bump and the mode.

        The rule is ``registry.checks.compatibility`` (``yoshiki ci`` applies the same).
        """
        from registry.diff import check_compat, diff

        chosen = plan(key.version, earlier, mode)
        assert chosen.previous is not None
        previous = chosen.previous

        def old(version: str) -> Any:
            return self._doc(VersionKey(key.lg, key.slug, version), SCHEMA_FILE, tip)

        d = diff(old(previous), schema, mode=mode, old_schemas=schemas, new_schemas=schemas)
        compat = check_compat(schema, [old(v) for v in chosen.compared], mode, schemas=schemas)
        verdict = assess(key.version, mode, previous, d, compat, chosen.compared)
        issues = compatibility_issues(verdict, key, SCHEMA_FILE)
        declared, required, suggest = verdict.declared, verdict.required, verdict.suggested
        if verdict.bump_too_small:
            raise IncompatibleChange(
                f"{key}: the changes since {previous} need a {required} version ({suggest}), not {declared}",
                detail_ja=f"{key}: {previous} からの変更には{BUMP_JA[required]}バージョンの版上げ（{suggest}）が必要です（指定は{BUMP_JA[declared]}）",
                issues=issues, extra={"required_bump": required, "suggested_version": suggest})
        if verdict.mode_broken:
            line = chosen.compared
            raise IncompatibleChange(
                f"{key} breaks the template's compatibility mode {mode} against {', '.join(line)}; an incompatible change needs a new major version ({suggest})",
                detail_ja=f"{key} はこのテンプレートの互換性モード {mode} を満たしません（{'、'.join(line)} と比較）。互換性のない変更には新しいメジャーバージョン（{suggest}）が必要です",
                issues=issues, extra={"mode": mode, "required_bump": "major", "suggested_version": suggest})
        return declared, required, list(d.changes)

    def _published_commit(self, template: str, version: str) -> str | None:
        """The commit that published ``template@version``: the index knows it (one row by
        key); git answers when the index does not hold it (``git log -- <folder>`` walks the
        whole history, which grows with every publish)."""
        lg, _, slug = template.partition("/")
        indexed = self.index.version(lg, slug, version)
        if indexed is not None and indexed.commit:
            return indexed.commit
        log = self.store.log_for(VersionKey(lg, slug, version))
        return log[-1].commit if log else None

    # -- fork ---------------------------------------------------------------------------------
    def fork(self, source: TemplateKey | str, version: str | None = None, *, to_lg: str,
             to_slug: str | None = None, actor: Author, dry_run: bool = False) -> PublishResult:
        """Copy a version of another template into ``to_lg`` with ``upstream`` recorded.

        The fork's first version keeps the upstream's version number (稲城市's fork of
        多摩市 1.0.0 is 1.0.0): an unchanged copy is the same form, data collected under it
        validates the same, and staff reading "稲城市 1.0.0 ← 多摩市 1.0.0" see it at once.
        From then on the fork's numbers follow its own changes (a pull publishes the fork's next
        version, bumped from the diff), so they need not stay equal to upstream's.

        The city's own fields are reset: ``maintainers`` and ``local`` are dropped (the forking
        city fills in its own department), ``changelog`` names the source; shared fields, the
        licence (attribution is the point of CC BY) and the compatibility mode are kept.
        """
        src = TemplateKey.parse(source) if isinstance(source, str) else source
        self._check_actor(actor, to_lg)
        versions = self.store.list_versions(src)
        if not versions:
            raise NotFound(f"template {src} does not exist", detail_ja=f"テンプレート {src} はありません")
        chosen = version or versions[-1]
        if chosen not in versions:
            raise NotFound(f"{src} has no version {chosen} (versions: {', '.join(versions)})",
                           detail_ja=f"{src} に版 {chosen} はありません（公開済み: {'、'.join(versions)}）")
        target = VersionKey(to_lg, to_slug or src.slug, chosen)
        if TemplateKey(target.lg, target.slug) == src:
            raise UsageError("a template cannot be forked onto itself",
                             detail_ja="テンプレートを同じ名前にフォークすることはできません")
        if self.store.list_versions(target.template):
            raise VersionExists(
                f"{target.template} already exists; choose another slug for the fork",
                detail_ja=f"{target.template} は既にあります。フォーク先に別のスラッグを指定してください")
        src_key = VersionKey(src.lg, src.slug, chosen)
        files = self.store.read_version(src_key)
        template = parse_json_text(decode_utf8(files[TEMPLATE_FILE], TEMPLATE_FILE), TEMPLATE_FILE)
        schema = parse_json_text(decode_utf8(files[SCHEMA_FILE], SCHEMA_FILE), SCHEMA_FILE)
        for own in ("maintainers", "local", "lint", "migrations"):  # migrations name this template's versions
            template.pop(own, None)
        template["upstream"] = {"template": str(src), "version": chosen}
        template["changelog"] = f"{src} {chosen} をフォーク（{actor.display}）"
        if isinstance(schema, dict):
            schema["$id"] = target.schema_id
        files = {**files, TEMPLATE_FILE: dumps(template), SCHEMA_FILE: dumps(schema)}
        return self._publish(self._parse(target, files), actor=actor, dry_run=dry_run, event="fork")

    # -- pull ---------------------------------------------------------------------------------
    def pull(self, fork_key: TemplateKey | str, *, actor: Author,
             resolutions: Mapping[str, Any] | None = None, schema: Any = None,
             dry_run: bool = False) -> PullResult:
        """Merge the newest upstream version into the fork's latest and publish the result.

        base = the upstream version the fork last took, theirs = the newest upstream version,
        ours = the fork's latest. ``resolutions`` settle conflicts by pointer ("ours", "theirs"
        or a value; template.json fields as ``template.json#/title``); ``schema`` replaces the
        merged schema outright (an edited file). Conflicts left → Conflict, nothing written.
        """
        from registry.merge import merge, merge_template, resolve

        fk = TemplateKey.parse(fork_key) if isinstance(fork_key, str) else fork_key
        self._check_actor(actor, fk.lg)
        ours_v, up, base_v, up_versions = self._fork_state(fk)
        theirs_v = up_versions[-1]
        result = PullResult(fork=str(fk), upstream=str(up), base_version=base_v,
                            theirs_version=theirs_v, ours_version=ours_v)
        if Version.parse(theirs_v) <= Version.parse(base_v):
            result.up_to_date = True
            return result
        ours_key = VersionKey(fk.lg, fk.slug, ours_v)
        base_key, theirs_key = VersionKey(up.lg, up.slug, base_v), VersionKey(up.lg, up.slug, theirs_v)
        ours_files = self.store.read_version(ours_key)
        theirs_files = self.store.read_version(theirs_key)
        docs = {name: (self._doc(base_key, name), self._doc(ours_key, name), self._doc(theirs_key, name))
                for name in (SCHEMA_FILE, TEMPLATE_FILE)}
        # $id names each document's own path: identical on no two sides, so normalise it away.
        for doc in docs[SCHEMA_FILE]:
            if isinstance(doc, dict):
                doc.pop("$id", None)
        schema_res: dict[str, Any] = {}
        template_res: dict[str, Any] = {}
        for ptr, choice in (resolutions or {}).items():
            if ptr.startswith(TEMPLATE_FILE + "#"):
                template_res[ptr[len(TEMPLATE_FILE) + 1:]] = choice
            else:
                schema_res[ptr.removeprefix(SCHEMA_FILE + "#")] = choice
        conflicts: list[tuple[str, Any]] = []
        if schema is not None:
            merged_schema = schema
        else:
            sm = resolve(*docs[SCHEMA_FILE], schema_res) if schema_res else merge(*docs[SCHEMA_FILE])
            merged_schema = sm.merged
            conflicts += [(SCHEMA_FILE, c) for c in sm.conflicts]
        b_t, o_t, t_t = docs[TEMPLATE_FILE]
        tm = merge_template(b_t, o_t, t_t, resolutions=template_res or None)
        conflicts += [(TEMPLATE_FILE, c) for c in tm.conflicts]
        if conflicts:
            raise Conflict(
                f"pulling {up}@{theirs_v} into {fk} has {len(conflicts)} conflict(s); nothing was written",
                detail_ja=f"{up}@{theirs_v} を {fk} に取り込むと {len(conflicts)} 件の競合があります。何も書き込んでいません",
                issues=[c.to_issue(file) for file, c in conflicts],
                extra={"conflicts": [{"file": file, **c.to_json()} for file, c in conflicts],
                       "base": base_v, "ours": ours_v, "theirs": theirs_v})
        merged_template = dict(tm.merged or {})
        merged_template["upstream"] = {"template": str(up), "version": theirs_v}
        merged_template["changelog"] = f"{up} {theirs_v} の変更を取り込み（{base_v} から）"
        # The next version: the diff from ours decides, at least a patch (the upstream moved).
        from registry.diff import diff, required_bump

        mode = mode_of(merged_template)
        schemas = self._schemas(self.store.tip())
        bump = max_bump(required_bump(diff(docs[SCHEMA_FILE][1], merged_schema, mode=mode,
                                           old_schemas=schemas, new_schemas=schemas), mode), "patch")
        existing = self.store.list_versions(fk)
        new_v = Version.parse(existing[-1]).bumped(bump)
        new_key = VersionKey(fk.lg, fk.slug, str(new_v))
        if isinstance(merged_schema, dict):
            merged_schema = {"$schema": merged_schema.get("$schema"), "$id": new_key.schema_id,
                             **{k: v for k, v in merged_schema.items() if k not in ("$schema", "$id")}}
            if merged_schema["$schema"] is None:
                merged_schema.pop("$schema")
        examples, dropped = self._pull_examples(ours_files, theirs_files, merged_schema, schemas)
        result.dropped_examples = dropped
        files = {TEMPLATE_FILE: dumps(merged_template), SCHEMA_FILE: dumps(merged_schema), **examples}
        warnings = [Issue(rule="pull.example-dropped", severity="warning", file=name,
                          message=f"{name} no longer fits the merged form and was left out.",
                          message_ja=f"{name} は取り込み後のフォームに合わないため除きました。")
                    for name in dropped]
        result.published = self._publish(self._parse(new_key, files), actor=actor, dry_run=dry_run,
                                         event="pull", extra_warnings=warnings)
        return result

    def _fork_state(self, fk: TemplateKey) -> tuple[str, TemplateKey, str, list[str]]:
        """(ours latest, upstream template, base version, upstream versions) of a fork."""
        versions = self.store.list_versions(fk)
        if not versions:
            raise NotFound(f"template {fk} does not exist", detail_ja=f"テンプレート {fk} はありません")
        ours_v = versions[-1]
        template = self._doc(VersionKey(fk.lg, fk.slug, ours_v), TEMPLATE_FILE)
        upstream = template.get("upstream") if isinstance(template, dict) else None
        if not isinstance(upstream, dict):
            raise UsageError(f"{fk} is not a fork (its template.json names no upstream)",
                             detail_ja=f"{fk} はフォークではありません（template.json に upstream がありません）")
        up = TemplateKey.parse(str(upstream["template"]))
        up_versions = self.store.list_versions(up)
        if not up_versions:
            raise NotFound(f"the upstream {up} of {fk} does not exist",
                           detail_ja=f"{fk} のフォーク元 {up} がありません")
        return ours_v, up, str(upstream["version"]), up_versions

    def _pull_examples(self, ours: dict[str, bytes], theirs: dict[str, bytes], schema: Any,
                       schemas: SchemaSet) -> tuple[dict[str, bytes], list[str]]:
        """Ours' examples, plus theirs' new ones; keep only those that still behave as filed."""
        from registry.submissions.validator import compile_form

        candidates = {p: d for p, d in theirs.items() if p.startswith(EXAMPLES_DIR + "/")}
        candidates.update({p: d for p, d in ours.items() if p.startswith(EXAMPLES_DIR + "/")})
        try:
            form = compile_form(schema, schemas)
        except InvalidTemplate:
            return candidates, []  # the merged schema itself is invalid: publish reports it
        kept: dict[str, bytes] = {}
        dropped: list[str] = []
        for path, data in sorted(candidates.items()):
            try:
                value = json.loads(data)
            except ValueError:
                dropped.append(path)
                continue
            should_pass = path.split("/")[1] == "valid"
            if (not form.check(value)) == should_pass:
                kept[path] = data
            else:
                dropped.append(path)
        return kept, dropped

    def behind(self, fork_key: TemplateKey | str) -> int:
        """How many upstream releases came after the one the fork last took."""
        fk = TemplateKey.parse(fork_key) if isinstance(fork_key, str) else fork_key
        _, _, base_v, up_versions = self._fork_state(fk)
        base = Version.parse(base_v)
        return sum(1 for v in up_versions if Version.parse(v) > base)

    # -- deprecate ----------------------------------------------------------------------------
    def deprecate(self, key: VersionKey | str, reason: str, actor: Author) -> CommitInfo:
        """Flag a version deprecated, with a reason; it stays readable (never deleted).

        The flag lives in ``<lg>/<slug>/deprecated.json`` NEXT to the version folders
        (``{"1.0.0": {"reason", "by", "at"}}``): the version folder itself is immutable, and
        the flag is in git like everything else, so reindex restores it.
        """
        vkey = VersionKey.parse(key) if isinstance(key, str) else key
        self._check_actor(actor, vkey.lg)
        if not reason.strip():
            raise UsageError("give a reason for the deprecation",
                             detail_ja="非推奨にする理由を書いてください")
        if not self.store.exists(vkey):
            raise NotFound(f"{vkey} does not exist", detail_ja=f"{vkey} はありません")
        at = now_iso()
        self._catch_up_if_behind()
        info = self.store.flag_deprecated(vkey, {"reason": reason, "by": actor.display, "at": at},
                                          author=actor)
        with self._indexing(info):
            self.index.mark_deprecated(vkey.lg, vkey.slug, vkey.version, reason, actor.display, at)
            self.index.audit(actor.display, "deprecate", str(vkey), reason, None,
                             commit=info.commit)
        return info

    # -- detach -------------------------------------------------------------------------------
    def detach(self, key: TemplateKey | str, actor: Author, reason: str | None = None) -> DetachResult:
        """End a fork's relation to its upstream on purpose (registry/lineage.py).

        Writes a record to ``<lg>/<slug>/detached.json`` (git is the source of truth; reindex and
        catch-up restore it), audits it and adds a ``detached`` event to the change feed. From
        then on the template's next version may leave out ``upstream``.
        """
        tk = TemplateKey.parse(key) if isinstance(key, str) else key
        self._check_actor(actor, tk.lg)
        versions = self.store.list_versions(tk)
        if not versions:
            raise NotFound(f"template {tk} does not exist", detail_ja=f"テンプレート {tk} はありません")
        latest = VersionKey(tk.lg, tk.slug, versions[-1])
        upstream = upstream_of(self._doc(latest, TEMPLATE_FILE))
        if upstream is None:
            raise UsageError(f"{tk} is not a fork (its latest version {latest.version} names no upstream)",
                             detail_ja=f"{tk} はフォークではありません（最新版 {latest.version} に upstream がありません）")
        path = f"{tk.lg}/{tk.slug}/{DETACHED_FILE}"
        if detached_from(load_detachments(self.store.read_file(path)), upstream, latest.version):
            raise Conflict(f"{tk} is already detached from {upstream}",
                           detail_ja=f"{tk} は既に {upstream} から切り離されています")
        at = now_iso()
        text = (reason or "").strip() or None

        self._catch_up_if_behind()
        info = self.store.record_detachment(
            latest, {"upstream": upstream, "version": latest.version, "by": actor.display,
                     "at": at, **({"reason": text} if text else {})}, author=actor)
        with self._indexing(info):
            self.index.record_detachment(tk.lg, tk.slug, upstream, latest.version, at,
                                         actor.display, text)
            self.index.audit(actor.display, "detach", str(latest),
                             f"from {upstream}" + (f": {text}" if text else ""), None,
                             commit=info.commit)
            lineage_upkeep.after_detach(self, tk)
        return DetachResult(template=str(tk), upstream=upstream, version=latest.version,
                            commit=info.commit, at=at, reason=text)

    def detachments(self, key: TemplateKey | str) -> list[dict[str, Any]]:
        """This template's detachments from its upstream, from git."""
        tk = TemplateKey.parse(key) if isinstance(key, str) else key
        return load_detachments(self.store.read_file(f"{tk.lg}/{tk.slug}/{DETACHED_FILE}"))

    def detached_forks(self, key: TemplateKey | str) -> list[dict[str, Any]]:
        """The forks that detached from this template (from the index)."""
        tk = TemplateKey.parse(key) if isinstance(key, str) else key
        return self.index.detachments(tk.lg, tk.slug, as_upstream=True)

    # -- reads --------------------------------------------------------------------------------
    def records(self) -> list[VersionRecord]:
        """Every version at the tip as an index record (from git alone), template by template."""
        from registry.storage.bulk import gc_paused

        reader = CatalogueReader(self.store)
        with gc_paused():  # ~1M objects built; none of them in a cycle
            out = [r for group in reader for r in group]
        self.reindex_skipped = reader.skipped
        return out

    def reindex(self, *, actor: str = "system", parallel: bool | None = None) -> int:
        """Rebuild the index (everything but tokens) from git alone; idempotent. Returns count.

        ``parallel``: read git in a second process while this one writes the index (True),
        not (False), or by the repository's size (None; ``registry.reindex_reader``)."""
        from registry.recovery import STATE_TIP
        from registry.storage.bulk import gc_paused

        tip = self.store.tip()
        feed = PreparedFeed(self.store, tip, parallel=parallel)
        # No cyclic GC from the first record to the last reference to them: they are ~2M
        # objects, none in a cycle, and a collection as soon as it is allowed again walks all
        # of them (at 100k templates ~0.5 s after the load's commit and again after the
        # lineage; 1 s more inside the lineage rebuild). They are freed by reference count.
        with gc_paused():
            records = self.index.rebuild_prepared(feed)
            self.reindex_skipped = feed.skipped
            for path, data in sorted(feed.detached.items()):
                lg, slug, _ = path.split("/")
                for r in load_detachments(data):
                    self.index.record_detachment(lg, slug, r["upstream"], r["version"],
                                                 str(r.get("at") or now_iso()),
                                                 str(r.get("by") or ""), r.get("reason"))
            lineage_upkeep.rebuild(self, records)
            count = len(records)
            del records
        skipped = f", {len(self.reindex_skipped)} skipped" if self.reindex_skipped else ""
        self.index.audit(actor, "reindex", "*", f"{count} versions{skipped}", None)
        if tip is not None:
            self.index.set_state(STATE_TIP, tip)
        return count

    def history(self, key: TemplateKey | str) -> list[HistoryEntry]:
        """Versions of a template from git: author, date, bump, changelog, deprecation."""
        tk = TemplateKey.parse(key) if isinstance(key, str) else key
        versions = set(self.store.list_versions(tk))
        if not versions:
            raise NotFound(f"template {tk} does not exist", detail_ja=f"テンプレート {tk} はありません")
        deps = self.store.deprecations(tk)
        entries: dict[str, HistoryEntry] = {}
        for vc in self.store.version_log(tk):  # newest first: the oldest claim wins
            if vc.version not in versions:
                continue
            info, dep = vc.commit, deps.get(vc.version)
            entries[vc.version] = HistoryEntry(
                version=vc.version, commit=info.commit, author=info.author_name,
                email=info.author_email, date=info.date, event=vc.event, bump=vc.bump,
                changelog=vc.changelog, deprecated=dep is not None,
                deprecated_reason=dep.get("reason") if isinstance(dep, dict) else None)
        return [entries[v] for v in sorted(entries, key=Version.parse)]

    def get_version(self, key: VersionKey | str) -> VersionFiles:
        """A published version from git."""
        vkey = VersionKey.parse(key) if isinstance(key, str) else key
        files = self.store.read_version(vkey)
        if not files:
            raise NotFound(f"{vkey} does not exist", detail_ja=f"{vkey} はありません")
        dep = self.store.deprecations(vkey.template).get(vkey.version)
        return VersionFiles(
            template_key=str(vkey.template), version=vkey.version,
            template=parse_json_text(decode_utf8(files[TEMPLATE_FILE], TEMPLATE_FILE), TEMPLATE_FILE),
            schema=parse_json_text(decode_utf8(files[SCHEMA_FILE], SCHEMA_FILE), SCHEMA_FILE),
            files=files, deprecated=dep is not None,
            deprecated_reason=dep.get("reason") if isinstance(dep, dict) else None)

    def template_versions(self, key: TemplateKey | str) -> list[str]:
        """The published versions of a template (ascending); NotFound when there are none."""
        tk = TemplateKey.parse(key) if isinstance(key, str) else key
        versions = self.store.list_versions(tk)
        if not versions:
            raise NotFound(f"template {tk} does not exist", detail_ja=f"テンプレート {tk} はありません")
        return list(versions)

    def diff_versions(self, old: VersionKey, new: VersionKey) -> VersionDiff:
        """The semantic diff of two published versions under the mode the newer one declares."""
        from registry.diff import diff

        old_files, new_files = self.get_version(old), self.get_version(new)
        schemas = self._schemas(self.store.tip())
        d = diff(old_files.schema, new_files.schema, mode=mode_of(new_files.template),
                 old_schemas=schemas, new_schemas=schemas)
        return VersionDiff(old=old_files, new=new_files, diff=d)

    def lineage(self, key: TemplateKey | str) -> Lineage:
        """The upstream chain (from git) and the forks (from the index) of a template."""
        tk = TemplateKey.parse(key) if isinstance(key, str) else key
        versions = self.store.list_versions(tk)
        if not versions:
            raise NotFound(f"template {tk} does not exist", detail_ja=f"テンプレート {tk} はありません")
        chain: list[str] = []
        current = VersionKey(tk.lg, tk.slug, versions[-1])
        seen = {str(tk)}
        while True:
            template = self._doc(current, TEMPLATE_FILE)
            upstream = template.get("upstream") if isinstance(template, dict) else None
            if not isinstance(upstream, dict) or str(upstream.get("template")) in seen:
                break
            up = TemplateKey.parse(str(upstream["template"]))
            seen.add(str(up))
            current = VersionKey(up.lg, up.slug, str(upstream["version"]))
            chain.append(str(current))
            if not self.store.exists(current):
                break
        return Lineage(template=str(tk), upstream_chain=chain,
                       forks=self.index.forks_of(tk.lg, tk.slug))

    def template_detail(self, key: TemplateKey | str) -> TemplateDetail:
        """A template: summary and versions (index), upstream chain, forks, releases behind."""
        tk = TemplateKey.parse(key) if isinstance(key, str) else key
        summary = self.index.get_template(tk.lg, tk.slug)
        if summary is None:
            raise NotFound(f"template {tk} does not exist", detail_ja=f"テンプレート {tk} はありません")
        lineage = self.lineage(tk)
        behind: int | None = None
        if summary.upstream_template:
            try:
                behind = self.behind(tk)
            except (NotFound, UsageError):
                behind = None
        return TemplateDetail(template=summary, versions=self.index.versions(tk.lg, tk.slug),
                              upstream_chain=lineage.upstream_chain, forks=lineage.forks, behind=behind,
                              detachments=self.detachments(tk))

    def forks_of(self, key: TemplateKey) -> list[VersionRecord]:
        """The latest version of each fork of a template (from the index)."""
        return self.index.forks_of(key.lg, key.slug)

    def summary(self, key: TemplateKey) -> TemplateSummary | None:
        """A template's summary from the index, or None."""
        return self.index.get_template(key.lg, key.slug)

    def schemas(self) -> SchemaSet:
        """Common definitions plus every template schema at the tip (to resolve ``$ref``s)."""
        return self._schemas(self.store.tip())

    def health(self) -> RegistryHealth:
        """Both stores answer: git's tip and the index's newest change-feed event."""
        from registry.recovery import write_path_checks

        return RegistryHealth(tip=self.store.tip(), last_event=self.index.last_event_id(),
                              checks=write_path_checks(self))

    def recover(self) -> Any:
        """What a start does (registry/recovery.py): stale locks, temporary files, catch-up."""
        from registry.recovery import start

        return start(self)

    def is_empty(self) -> bool:
        """True when nothing has ever been published (the repository has no commit)."""
        return self.store.tip() is None

    def changes(self, after: int, limit: int, **filters: str | None) -> list[ChangeEvent]:
        """The change feed after an event id, oldest first; filters: template, upstream,
        municipality, kind (registry/lineage_views.py)."""
        if any(filters.values()):
            return lineage_views.changes(self.index, after, limit, **filters)
        return self.index.changes(after, limit)

    # -- whole lineage and prefecture views (registry/lineage_views.py) -------------------------
    def lineage_tree(self, key: TemplateKey) -> LineageTree:
        """Every fork under the template's furthest upstream, with versions and releases behind."""
        return lineage_views.lineage_tree(self.index, key)

    def template_users(self, key: TemplateKey) -> TemplateUsers:
        """「このテンプレートを使っている自治体」: whole lineage and the forks' differences counted."""
        return lineage_views.template_users(self.index, key)

    def adoption(self, prefecture: str, *, template: str | None = None, limit: int = 50,
                 offset: int = 0) -> Adoption:
        """A prefecture's adoption of templates."""
        return lineage_views.adoption(self.index, prefecture, template=template, limit=limit,
                                      offset=offset)

    def feed_events(self, *, template: TemplateKey | None = None, municipality: str | None = None,
                    limit: int = 50) -> list[ChangeEvent]:
        """The newest events for an Atom feed: of a template (and its upstreams) or of a city."""
        if template is not None:
            return lineage_views.template_feed(self.index, template, limit)
        return lineage_views.municipality_feed(self.index, municipality or "", limit)

    def behind_forks(self, municipality: str) -> list[ForkStatus]:
        """A city's forks with upstream releases waiting."""
        return lineage_views.behind_forks(self.index, municipality)

    def divergence(self, prefecture: str | None, *, template: str | None = None,
                   limit: int = 50) -> PrefectureDivergence:
        """What forks (of a prefecture, of a template) changed from their upstreams."""
        return lineage_views.divergence(self.index, prefecture, template=template, limit=limit)

    # -- accounts -------------------------------------------------------------------------------
    def token_info(self, token: str) -> TokenInfo | None:
        """What a live token stands for, or None (unknown or revoked)."""
        return self.index.verify_token(token)

    def session_token_info(self, digest: str) -> TokenInfo | None:
        """What the live token with this SHA-256 hex stands for (page sessions keep only the hash)."""
        return self.index.verify_token_hash(digest)

    def account(self, token: str | None) -> Author:
        """The account a bearer token writes as; Unauthenticated without a live token."""
        if token is None:
            raise Unauthenticated(
                "this request writes to the registry: send Authorization: Bearer <token>",
                detail_ja="書き込みには認証が必要です。Authorization: Bearer <トークン> を付けてください")
        info = self.token_info(token)
        if info is None:
            raise Unauthenticated("the token is unknown or revoked",
                                  detail_ja="トークンが無効です（存在しないか失効しています）")
        return author_of(info)

    def tokens(self, municipality: str) -> list[TokenInfo]:
        """The tokens of a municipality (never the secrets)."""
        return self.index.list_tokens(municipality)

    def audit_entries(self, *, since: str | None = None, municipality: str | None = None,
                      limit: int = 100) -> list[AuditEntry]:
        """The audit log, newest first: everything (administrators) or one city's own entries."""
        if municipality:
            municipalities.check_code(municipality)
        return self.index.audit_log(limit, since=since, municipality=municipality)

    # -- webhooks (registry/notices/webhooks.py; the outbox in the index) ----------------------
    def create_webhook(self, municipality: str, url: str, actor: Author) -> Webhook:
        """Register a webhook for a city's templates and their upstreams (secret shown once)."""
        from registry.notices.webhooks import WebhookPolicy, check_target

        self._check_actor(actor, municipality)
        check_target(url, WebhookPolicy.from_env())
        hook = self.index.outbox.create(municipality, url, actor.display, now_iso())
        self.index.audit(actor.display, "webhook-create", f"{municipality} webhook {hook.id}", url, None)
        return hook

    def webhooks(self, municipality: str) -> list[Webhook]:
        """A city's webhooks (no secrets)."""
        return self.index.outbox.of(municipality)

    def delete_webhook(self, municipality: str, hook_id: int, actor: Author) -> None:
        """Remove a city's webhook (pending deliveries are cancelled)."""
        self._check_actor(actor, municipality)
        self.index.outbox.delete(municipality, hook_id, now_iso())
        self.index.audit(actor.display, "webhook-delete", f"{municipality} webhook {hook_id}", None, None)

    def webhook_deliveries(self, municipality: str, hook_id: int, limit: int = 100) -> list[Delivery]:
        """The delivery log of one of the city's webhooks, newest first."""
        return self.index.outbox.log(municipality, hook_id, limit)

    def record_denied(self, actor: Author, target: str, detail: str, remote_addr: str | None) -> None:
        """Audit a refused write by a valid token (a city's token used against another city)."""
        self.index.audit(actor.display, "denied", target, detail, remote_addr)

    def search(self, q: str | None = None, *, municipality: str | None = None,
               category: str | None = None, tag: str | None = None,
               prefecture: str | None = None, cursor: str | None = None,
               limit: int = 20) -> tuple[list[TemplateSummary], str | None]:
        """Search the index."""
        return self.index.search(q, municipality, category, tag, prefecture, cursor, limit)


_EVENTS = {"publish": "published", "fork": "forked", "pull": "pulled"}


def schema_id_of(key: VersionKey) -> str:
    """The ``$id`` the schema of ``key`` carries (re-exported for callers building documents)."""
    return schema_uri(key.lg, key.slug, key.version)


