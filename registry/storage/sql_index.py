"""``SqlIndex``: the SQL index (SQLite by default, PostgreSQL by URL) — a cache of git.

Search semantics, identical on both backends (docs/index.md):

* Text is normalised in Python (NFKC, then casefold) before it is stored or searched, so that
  full-width/half-width and upper/lower case fold the same way whatever the database does.
* A query is split on whitespace into terms; a template matches when every term is a
  substring of its title, English title, description, a tag or its municipality's name.
  SQLite answers terms of three or more characters from an FTS5 trigram index and shorter ones
  (「犬」, 「欠席」) with ``instr``; PostgreSQL answers all with ``LIKE`` on a pg_trgm GIN index.
* Order: templates whose title contains every term first, then most recently updated, then
  ``lg``, ``slug`` (bytewise). Pages are keyset pages; the cursor is opaque.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Row,
    Table,
    and_,
    bindparam,
    case,
    column,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.expression import Executable

from registry import municipalities
from registry.errors import Conflict, NotFound, UsageError
from registry.readmodels import (
    AuditEntry,
    ChangeEvent,
    TemplateSummary,
    TokenInfo,
    VersionRecord,
)
from registry.search import cursors, ranking, topk
from registry.search.analyser import parse_query
from registry.storage import bulk, search_index
from registry.storage.tables import (
    AuditRow,
    DetachmentRow,
    EventRow,
    IndexStateRow,
    LineageRow,
    TemplateRow,
    TemplateTagRow,
    TokenRow,
    VersionRow,
)
from registry.versioning import Version

if TYPE_CHECKING:
    from registry.storage.rebuild import Prepared

_log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MAX_PAGE = 100
# Every index write on PostgreSQL takes this transaction-level advisory lock, so change-feed ids
# become visible in id order (a reader at cursor N never misses a later-committing N-1).
_PG_WRITE_LOCK = 0x796F73686B69  # "yoshki"
# verify_token writes last_used_at at most this often per token: a read stays a read.
_LAST_USED_RESOLUTION = timedelta(seconds=60)

T_TEMPLATES: Table = TemplateRow.__table__  # type: ignore[attr-defined]
T_TAGS: Table = TemplateTagRow.__table__  # type: ignore[attr-defined]
T_VERSIONS: Table = VersionRow.__table__  # type: ignore[attr-defined]
T_LINEAGE: Table = LineageRow.__table__  # type: ignore[attr-defined]
T_EVENTS: Table = EventRow.__table__  # type: ignore[attr-defined]
T_AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]
T_TOKENS: Table = TokenRow.__table__  # type: ignore[attr-defined]
T_STATE: Table = IndexStateRow.__table__  # type: ignore[attr-defined]
T_DETACH: Table = DetachmentRow.__table__  # type: ignore[attr-defined]

_VERSION_FIELDS = tuple(f for f in VersionRecord.__struct_fields__ if f not in ("event", "field_titles"))


def normalize(value: str) -> str:
    """The searchable form of a text: NFKC (full-width ASCII → ASCII, ｶﾅ → カナ), casefolded."""
    return unicodedata.normalize("NFKC", value).casefold()


def query_terms(q: str | None) -> list[str]:
    """The normalised, de-duplicated whitespace-separated terms of a query."""
    terms: list[str] = []
    for term in normalize(q or "").split():
        if term not in terms:
            terms.append(term)
    return terms


# git's author dates (%aI) and this module's own text: whole seconds, an offset in whole hours
_DATE_TEXT = re.compile(r"(\d{4}-\d\d-\d\dT\d\d)(:\d\d:\d\d)(Z|[+-]\d\d:00)")


def utc_text(value: str | datetime) -> str:
    """An ISO 8601 timestamp as UTC text with seconds, ``2026-11-24T19:47:59Z`` (sorts as text).

    Text with whole seconds and an offset in whole hours — git's author dates, and this
    function's own output — is checked by ``fromisoformat`` and converted by moving its hour
    (cached per hour and offset): a reindex converts 300k dates, 3× faster this way.
    """
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise UsageError(f"{value!r} is not an ISO 8601 timestamp",
                             detail_ja=f"{value!r} は ISO 8601 形式の日時ではありません") from None
        if (m := _DATE_TEXT.fullmatch(value)) is not None:
            return _utc_hour(m[1], m[3]) + m[2] + "Z"
        value = parsed
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # isoformat is C and pads the year to four digits (strftime's %Y does not below 1000).
    return value.astimezone(UTC).isoformat()[:19] + "Z"


@lru_cache(maxsize=8192)
def _utc_hour(hour: str, offset: str) -> str:
    """``2026-04-01T09`` at ``+09:00`` → ``2026-04-01T00``: the same hour in UTC."""
    if offset == "Z":
        return hour
    return datetime.fromisoformat(f"{hour}:00:00{offset}").astimezone(UTC).isoformat()[:13]


def now_text() -> str:
    """The current time as ``utc_text``."""
    return utc_text(datetime.now(UTC))


def token_hash(token: str) -> str:
    """SHA-256 hex of a token: what the index stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def prefecture_code_of(lg: str) -> str:
    """The code of the prefecture a municipality belongs to ("" when the code is unknown)."""
    m = municipalities.lookup(lg)
    return m.prefecture_code if m else ""


_RECORD_FIELDS = VersionRecord.__struct_fields__
VERSION_COLUMNS = (*_RECORD_FIELDS, "major", "minor", "patch")
"""The columns of ``version_row``'s tuples (the versions table's, in this order)."""
_PUBLISHED_AT, _TAGS, _DEPRECATED, _FIELD_TITLES = (
    _RECORD_FIELDS.index(name) for name in ("published_at", "tags", "deprecated", "field_titles"))


def version_row(rec: VersionRecord) -> tuple[Any, ...]:
    """A version's row of the versions table as a tuple (``VERSION_COLUMNS``), built from the
    record's own tuple: a rebuild writes 300k of them at 100k templates, 2–3× faster than as
    mappings (``_version_values``, what a publish writes, is this as a mapping)."""
    row = list(msgspec.structs.astuple(rec))
    row[_PUBLISHED_AT] = utc_text(rec.published_at)
    row[_TAGS] = _list_text(rec.tags)
    row[_DEPRECATED] = bool(rec.deprecated)
    row[_FIELD_TITLES] = _list_text(rec.field_titles)
    v = Version.parse(rec.version)
    row += (v.major, v.minor, v.patch)
    return tuple(row)


def _version_values(rec: VersionRecord) -> dict[str, Any]:
    return dict(zip(VERSION_COLUMNS, version_row(rec), strict=True))


# json.dumps(value, ensure_ascii=False), without building an encoder per call.
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _list_text(items: list[str]) -> str:
    """``_json_text(items)`` of a list of texts, cached: a template's versions, its forks and
    common fields repeat the same tags and field titles (at 100k templates 600k lists, whose
    encoding was ~1.2 s)."""
    try:
        return _cached_list_text(tuple(items))
    except TypeError:  # not hashable: not a list of texts
        return _json_text(items)


@lru_cache(maxsize=65_536)
def _cached_list_text(items: tuple[str, ...]) -> str:
    return _json_text(items)


def lineage_values(v: dict[str, Any]) -> dict[str, Any] | None:
    """The lineage row of a version row (``_version_values``) of a fork; None for others."""
    upstream = v["upstream_template"]
    if not upstream or "/" not in upstream:
        return None
    ulg, _, uslug = upstream.partition("/")
    return {"fork_lg": v["lg"], "fork_slug": v["slug"], "fork_version": v["version"],
            "upstream_lg": ulg, "upstream_slug": uslug,
            "upstream_version": v["upstream_version"], "upstream_commit": v["upstream_commit"]}


def _record_of(row: Row[Any]) -> VersionRecord:
    m: RowMapping = row._mapping
    values = {f: m[f] for f in _VERSION_FIELDS}
    values.update(tags=json.loads(m["tags"]), deprecated=bool(m["deprecated"]), event=m["event"],
                  field_titles=json.loads(m["field_titles"] or "[]"))
    return VersionRecord(**values)


def _template_values(lg: str, slug: str, versions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The templates row for a template's versions: the highest SemVer speaks for it."""
    latest = max(versions, key=lambda v: (v["major"], v["minor"], v["patch"]))
    tags: list[str] = json.loads(latest["tags"])
    name = municipalities.name_of(lg)
    searchable = [latest["title"], latest["title_en"], latest["description"], *tags, name]
    return {
        "lg": lg, "slug": slug, "title": latest["title"], "title_en": latest["title_en"],
        "description": latest["description"], "category": latest["category"],
        "tags": latest["tags"], "latest_version": latest["version"],
        "updated_at": max(v["published_at"] for v in versions),
        "upstream_template": latest["upstream_template"], "municipality_name": name,
        "prefecture_code": prefecture_code_of(lg), "title_norm": normalize(latest["title"]),
        # Newline-separated: a term never contains whitespace, so it cannot span two fields.
        "search_text": "\n".join(normalize(s) for s in searchable if s),
        "field_titles": latest.get("field_titles") or "[]",
    }


def _summary_of(m: RowMapping) -> TemplateSummary:
    return TemplateSummary(
        lg=m["lg"], slug=m["slug"], title=m["title"], category=m["category"],
        latest_version=m["latest_version"], updated_at=m["updated_at"],
        municipality_name=m["municipality_name"], title_en=m["title_en"],
        description=m["description"], tags=json.loads(m["tags"]),
        upstream_template=m["upstream_template"], fork_count=m["fork_count"])


PAGE_SIZE = 16384
"""SQLite's page size for a new index database."""


def _engine_for(url: str) -> Engine:
    if url.startswith(("postgres://", "postgresql://")):
        # The one PostgreSQL driver we ship is psycopg 3; SQLAlchemy would default to psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # No server-side prepared statements: a generic plan cannot see the LIKE pattern and so
        # cannot tell a selective trigram search from a scan; plan every search with its values.
        return create_engine(parsed, pool_pre_ping=True, connect_args={"prepare_threshold": None})
    if parsed.get_backend_name() != "sqlite":
        raise UsageError(f"unsupported database URL {parsed.render_as_string()!r}: use sqlite:/// or postgresql://",
                         detail_ja="YOSHIKI_DATABASE_URL は sqlite:/// か postgresql:// で指定してください")
    memory = parsed.database in (None, "", ":memory:")
    if memory:
        engine = create_engine(parsed, poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    else:
        Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would skip BEGIN before DDL; "begin" below does it.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        # A new database gets 16 KiB pages (an existing one keeps its own: SQLite ignores this
        # once the file has a table): a reindex appends millions of search keys and builds
        # their index, 1.5× and 1.25× faster than on SQLite's default 4 KiB (issue 18 note).
        cur.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        if not memory:
            _wal(cur)
            # NORMAL is durable against crashes of the process in WAL mode; the index is a
            # cache of git, and reindex restores what a power loss might take.
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    def _wal(cur: Any) -> None:
        # WAL is a property of the database file: set once, every later connection finds it.
        # Switching needs an exclusive lock for which SQLite may answer "database is locked" at
        # once, without its busy handler, while other processes open the same fresh file.
        deadline = time.monotonic() + 30
        while True:
            try:
                if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    cur.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the write lock up front: a deferred transaction that reads and then
        # writes fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting for busy_timeout.
        write = conn.get_execution_options().get("yoshiki_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class _Statements:
    """The statements a publish runs, built once: parameters go in at execute time, so
    SQLAlchemy neither rebuilds nor re-coerces them per call (its compiled cache hits)."""

    def __init__(self) -> None:
        v, t, g = T_VERSIONS, T_TEMPLATES, T_TAGS
        version_key = and_(v.c.lg == bindparam("k_lg"), v.c.slug == bindparam("k_slug"),
                           v.c.version == bindparam("k_version"))
        template_key = and_(t.c.lg == bindparam("k_lg"), t.c.slug == bindparam("k_slug"))
        self.version_commit = select(v.c.commit).where(version_key)
        self.insert_version = insert(v)
        self.update_version = update(v).where(version_key)
        self.delete_edge = delete(T_LINEAGE).where(
            T_LINEAGE.c.fork_lg == bindparam("k_lg"), T_LINEAGE.c.fork_slug == bindparam("k_slug"),
            T_LINEAGE.c.fork_version == bindparam("k_version"))
        self.insert_edge = insert(T_LINEAGE)
        self.insert_event = insert(T_EVENTS)
        self.template_versions = select(v).where(v.c.lg == bindparam("k_lg"),
                                                 v.c.slug == bindparam("k_slug"))
        self.versions_in_order = self.template_versions.order_by(v.c.major, v.c.minor, v.c.patch)
        self.template_upstream = select(t.c.upstream_template).where(template_key)
        self.template = select(t).where(template_key)
        self.insert_template = insert(t)
        self.update_template = update(t).where(template_key)
        self.delete_tags = delete(g).where(g.c.lg == bindparam("k_lg"), g.c.slug == bindparam("k_slug"))
        self.insert_tag = insert(g)
        forks = (select(func.count()).select_from(t)
                 .where(t.c.upstream_template == bindparam("k_name")).scalar_subquery())
        self.update_fork_count = update(t).where(template_key).values(fork_count=forks)
        self.state = select(T_STATE.c.value).where(T_STATE.c.name == bindparam("k_name"))
        self.insert_state = insert(T_STATE)
        self.update_state = update(T_STATE).where(T_STATE.c.name == bindparam("k_name"))
        self.insert_audit = insert(T_AUDIT)


_SQL = _Statements()


class IndexUnitFailed(RuntimeError):
    """A write inside ``SqlIndex.unit()`` failed (and was caught): the unit committed nothing."""


class _Unit:
    """This thread's open unit: its transaction (begun on first use), its connection, and
    whether an index call inside it failed."""

    __slots__ = ("conn", "failed", "transaction")

    def __init__(self) -> None:
        self.transaction = ExitStack()
        self.conn: Connection | None = None
        self.failed = False


class SqlIndex:
    """The TemplateIndex adapter: templates, versions, lineage, search, change feed, tokens, audit."""

    def __init__(self, url: str) -> None:
        self.engine = _engine_for(url)
        self.dialect = self.engine.dialect.name
        self._local = threading.local()  # this thread's open unit (see unit())
        self._memory = self.dialect == "sqlite" and self.engine.url.database in (None, "", ":memory:")
        self._checkpointing: threading.Thread | None = None  # after a bulk load (SQLite)
        # An audit entry naming a commit: at most one per commit (ON CONFLICT DO NOTHING).
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            self._insert_audit_once: Executable = postgresql.insert(T_AUDIT).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects import sqlite

            self._insert_audit_once = sqlite.insert(T_AUDIT).on_conflict_do_nothing()
        from registry.storage.lineage_sql import LineageIndex

        self.lineage = LineageIndex(self)  # fork_status, fork_divergence, filtered feed
        from registry.storage.outbox_sql import OutboxIndex

        self.outbox = OutboxIndex(self)  # webhooks, their outbox and delivery log

    def close(self) -> None:
        """Close every pooled connection (after the checkpoint a bulk load left running)."""
        self.settle()
        self.engine.dispose()

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def unit(self) -> Iterator[None]:
        """One write transaction for every write and read of this thread inside the block.

        What a publish writes after its git commit (version, audit entry, lineage, git tip)
        commits together or not at all, and takes the write lock once instead of once per
        statement group. The transaction begins at the first statement, so work done before it
        (computing rows) does not hold the lock. Reentrant: an inner ``unit()`` joins the outer
        one. Any error that passes through an index call inside the block fails the whole unit,
        even when the caller catches it: the block then ends in ``IndexUnitFailed`` and nothing
        is committed.
        """
        if getattr(self._local, "unit", None) is not None:
            yield
            return
        current = _Unit()
        self._local.unit = current
        try:
            with current.transaction:  # commits (or rolls back) what the first statement began
                yield
                if current.failed:
                    raise IndexUnitFailed("an index write inside this unit failed; nothing of it was committed")
        finally:
            self._local.unit = None

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(yoshiki_write=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(_PG_WRITE_LOCK)))
                yield conn

    @contextmanager
    def _joined(self) -> Iterator[Connection | None]:
        """The connection of this thread's open unit, its transaction begun on first use (None
        outside a unit); an error through it fails the unit."""
        current: _Unit | None = getattr(self._local, "unit", None)
        if current is None:
            yield None
            return
        if current.conn is None:
            current.conn = current.transaction.enter_context(self._transaction())
        try:
            yield current.conn
        except BaseException:
            current.failed = True
            raise

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._joined() as joined:
            if joined is not None:
                yield joined
                return
        with self._transaction() as conn:
            yield conn

    @contextmanager
    def bulk_transaction(self) -> Iterator[Connection]:
        """A write transaction for a bulk load (``registry.storage.rebuild``).

        On a SQLite file its commit does not copy the write-ahead log into the database —
        SQLite's automatic checkpoint at commit, 3 s of a 100k-template rebuild — a thread
        does it afterwards while the caller goes on, as SQLite's documentation suggests for
        this case (https://www.sqlite.org/wal.html#ckpt); a passive checkpoint holds neither
        readers nor writers. ``settle`` waits for it.
        """
        if self.dialect != "sqlite" or self._memory or getattr(self._local, "unit", None):
            with self._write() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            conn.execution_options(yoshiki_write=True)  # BEGIN IMMEDIATE, as every writer
            raw = conn.connection.driver_connection
            every = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]  # type: ignore[union-attr]
            raw.execute("PRAGMA wal_autocheckpoint = 0")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    yield conn
            finally:
                raw.execute(f"PRAGMA wal_autocheckpoint = {int(every)}")  # type: ignore[union-attr]
        self._checkpointing = threading.Thread(target=self._checkpoint, daemon=True,
                                               name="yoshiki-wal-checkpoint")
        self._checkpointing.start()

    def _checkpoint(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                    "PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # the next commit's automatic checkpoint does it instead
            _log.warning("background WAL checkpoint failed", exc_info=True)

    def settle(self) -> None:
        """Wait for work a bulk load left running (the SQLite WAL checkpoint)."""
        if self._checkpointing is not None:
            self._checkpointing.join()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._joined() as joined:
            if joined is not None:  # reads inside a unit see its own writes
                yield joined
                return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- schema ------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Upgrade the database to the newest migration (idempotent; safe to run concurrently)."""
        from alembic import command
        from alembic.config import Config

        with self._write() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    # -- writes from the store ---------------------------------------------------------------

    def record_version(self, rec: VersionRecord) -> None:
        """Add one published version, refresh its template, lineage and feed; same commit → no-op."""
        values = _version_values(rec)
        key = {"k_lg": rec.lg, "k_slug": rec.slug, "k_version": rec.version}
        edge = lineage_values(values)
        # The search keys of the template row this version makes (the usual case: it is the
        # latest), analysed now and cached by text, so that the write lock is not held while
        # SudachiPy analyses them (nor while it loads its dictionary, the first time).
        search_index.postings_of(_template_values(rec.lg, rec.slug, [values]))
        with self._write() as conn:
            existing = conn.execute(_SQL.version_commit, key).scalar_one_or_none()
            if existing == rec.commit:
                return
            if existing is None:
                conn.execute(_SQL.insert_version, values)
            else:
                # The same version from another commit: git was rewritten; follow it.
                conn.execute(_SQL.update_version, {**values, **key})
            conn.execute(_SQL.delete_edge, key)
            if edge:
                conn.execute(_SQL.insert_edge, edge)
            self._refresh_template(conn, rec.lg, rec.slug)
            if existing is None:
                conn.execute(_SQL.insert_event, self._event_values(values))

    def mark_deprecated(self, lg: str, slug: str, version: str, reason: str, actor: str,
                        at: str) -> None:
        """Flag a version deprecated (it stays readable) and append a feed event."""
        key = self._version_key(T_VERSIONS, lg, slug, version)
        with self._write() as conn:
            row = conn.execute(select(T_VERSIONS.c.deprecated, T_VERSIONS.c.deprecated_reason)
                               .where(key)).one_or_none()
            if row is None:
                raise NotFound(f"version {lg}/{slug}@{version} is not in the index",
                               detail_ja=f"版 {lg}/{slug}@{version} は索引にありません")
            if row.deprecated and row.deprecated_reason == reason:
                return
            conn.execute(update(T_VERSIONS).where(key)
                         .values(deprecated=True, deprecated_reason=reason))
            conn.execute(insert(T_EVENTS).values(kind="deprecated", lg=lg, slug=slug,
                                                 version=version, at=utc_text(at), actor=actor,
                                                 upstream_template=None, detail=reason))

    def rebuild(self, records: Iterable[VersionRecord]) -> None:
        """Replace templates, versions, tags and lineage with ``records``, in one transaction
        (``registry.storage.rebuild``)."""
        from registry.storage import rebuild

        rebuild.load(self, rebuild.prepared_of(records))

    def rebuild_prepared(self, feed: Iterable[Prepared]) -> list[VersionRecord]:
        """``rebuild`` from templates already prepared (``registry.reindex_reader``); returns
        the versions they held."""
        from registry.storage import rebuild

        return rebuild.load(self, feed)

    def _bulk_insert(self, conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
        bulk.insert(conn, self.dialect, table, rows)

    @staticmethod
    def _version_key(table: Table, lg: str, slug: str, version: str) -> ColumnElement[bool]:
        return and_(table.c.lg == lg, table.c.slug == slug, table.c.version == version)

    @staticmethod
    def _event_values(v: dict[str, Any]) -> dict[str, Any]:
        return {"kind": v["event"], "lg": v["lg"], "slug": v["slug"], "version": v["version"],
                "at": v["published_at"], "actor": v["author_name"],
                "upstream_template": v["upstream_template"], "detail": v["changelog"]}

    def _refresh_template(self, conn: Connection, lg: str, slug: str) -> None:
        here = {"k_lg": lg, "k_slug": slug}
        rows = conn.execute(_SQL.template_versions, here).mappings().all()
        values = _template_values(lg, slug, [dict(r) for r in rows])
        before = conn.execute(_SQL.template_upstream, here).one_or_none()
        if before is None:
            conn.execute(_SQL.insert_template, values)
        else:
            conn.execute(_SQL.update_template, {**values, **here})
        conn.execute(_SQL.delete_tags, here)
        tags = [{"lg": lg, "slug": slug, "tag": t} for t in dict.fromkeys(json.loads(values["tags"]))]
        if tags:
            conn.execute(_SQL.insert_tag, tags)
        touched = {f"{lg}/{slug}", values["upstream_template"], before[0] if before else None}
        for name in sorted(t for t in touched if t and "/" in t):
            ulg, _, uslug = name.partition("/")
            conn.execute(_SQL.update_fork_count, {"k_lg": ulg, "k_slug": uslug, "k_name": name})
            if name != f"{lg}/{slug}":
                # The upstream's fork count moved: its rank keys carry it (search order).
                row = conn.execute(_SQL.template, {"k_lg": ulg, "k_slug": uslug}
                                   ).mappings().one_or_none()
                if row is not None:
                    search_index.restamp(conn, row["id"], dict(row))
        row = conn.execute(_SQL.template, here).mappings().one()
        search_index.replace_terms(conn, row["id"], {**values, "fork_count": row["fork_count"]})

    # -- reads -------------------------------------------------------------------------------

    def search(self, q: str | None = None, municipality: str | None = None,
               category: str | None = None, tag: str | None = None,
               prefecture: str | None = None, cursor: str | None = None,
               limit: int = 20) -> tuple[list[TemplateSummary], str | None]:
        """Templates matching every filter and every query term; and the next page's cursor."""
        if limit < 1:
            raise UsageError(f"limit must be at least 1, not {limit}",
                             detail_ja=f"件数 (limit) は1以上で指定してください（{limit} は使えません）")
        limit = min(limit, MAX_PAGE)
        t = T_TEMPLATES
        conds: list[ColumnElement[bool]] = []
        joined: list[ColumnElement[bool]] = []  # the filters search_terms does not carry
        if municipality:
            joined.append(t.c.lg == municipality)
        if tag:
            joined.append(exists().where(T_TAGS.c.lg == t.c.lg, T_TAGS.c.slug == t.c.slug,
                                         T_TAGS.c.tag == tag))
        prefecture_code = self._prefecture(prefecture) if prefecture else None
        if category:
            conds.append(t.c.category == category)
        if prefecture_code:
            conds.append(t.c.prefecture_code == prefecture_code)
        conds.extend(joined)
        terms = query_terms(q)
        if terms:
            split = search_index.Filters(prefecture_code, category or None, joined, tag or None)
            return self._search_ranked(q or "", terms, conds, split, cursor, limit,
                                       few=municipality is not None)
        conds.extend(self._text_conditions(terms))
        rank: ColumnElement[int]
        if terms:
            rank = case((and_(*(self._contains(t.c.title_norm, term) for term in terms)), 0),
                        else_=1)
        else:
            rank = literal(0, Integer)
        if cursor:
            listing = cursors.decode(cursor)
            if not isinstance(listing, cursors.Listing):
                raise UsageError("this page cursor belongs to a search with a query; start again without a cursor",
                                 detail_ja="このページカーソルは別の検索のものです。カーソルなしで最初から検索してください")
            r, u, lg, slug = listing.rank, listing.updated_at, listing.lg, listing.slug
            after = or_(t.c.updated_at < u,
                        and_(t.c.updated_at == u, or_(t.c.lg > lg, and_(t.c.lg == lg,
                                                                         t.c.slug > slug))))
            conds.append(or_(rank > r, and_(rank == r, after)) if terms else after)
        stmt = (select(t.c.lg, t.c.slug, t.c.title, t.c.category, t.c.latest_version,
                       t.c.updated_at, t.c.municipality_name, t.c.title_en, t.c.description,
                       t.c.tags, t.c.upstream_template, t.c.fork_count, rank.label("rank"))
                .where(*conds)
                .order_by(*([rank] if terms else []), t.c.updated_at.desc(), t.c.lg, t.c.slug)
                .limit(limit + 1))
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        page = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]._mapping
            next_cursor = cursors.encode(cursors.Listing(last["rank"], last["updated_at"],
                                                         last["lg"], last["slug"]))
        return [_summary_of(r._mapping) for r in page], next_cursor

    def _search_ranked(self, q: str, terms: list[str], filters: list[ColumnElement[bool]],
                       split: search_index.Filters, cursor: str | None, limit: int,
                       few: bool) -> tuple[list[TemplateSummary], str | None]:
        """Search by meaning (registry/search/ranking.py), best first, a page at a time.

        Results found by their words come first, read with the threshold algorithm
        (registry/search/topk.py) from the key lists in rank order, so a common word costs no
        more than a rare one. A municipality filter holds a few hundred templates at most, and
        a tag may select few: their postings are read at once and ranked in memory by the same
        algorithm. A prefecture or a category alone never is: the postings carry them, and
        reading their lists was 3–4× faster than ranking a thousand templates in memory
        (鳥取県 at 100k templates). When every
        term has three or more characters, templates that merely contain every term as text
        follow, newest first (the earlier substring rule).
        """
        t = T_TEMPLATES
        query = parse_query(q)
        at = cursors.decode(cursor) if cursor else None
        if isinstance(at, cursors.Listing):
            raise UsageError("this page cursor belongs to a listing without a query; start again without a cursor",
                             detail_ja="このページカーソルは別の検索のものです。カーソルなしで最初から検索してください")
        after = (at.score, at.suffix) if isinstance(at, cursors.ByWords) else None
        text_after = at if isinstance(at, cursors.ByText) else None
        substring = all(len(term) >= 3 for term in terms)
        with self._read() as conn:
            source = search_index.SqlSource(conn, t, query.all_keys(), split)
            hits: list[topk.Hit] = []
            more = False
            if text_after is None:
                equal = [row[0] for row in conn.execute(
                    select(t.c.id).where(t.c.title_norm == " ".join(query.terms), *filters))]
                ranked_source: topk.Source = (
                    topk.MemorySource(source.held(select(t.c.id).where(*filters)), query.all_keys())
                    if few or (split.joined and self._selects_few(conn, filters, split.tag)) else source)
                hits, more = topk.top(query, ranked_source, limit, after=after, title_equal=equal)
            texts: list[tuple[int, ranking.Scored]] = []
            if not more and substring and len(hits) < limit + 1:
                texts = self._text_only(conn, query, source, terms, filters, text_after,
                                        limit + 1 - len(hits))
            found = [(h.template_id, h.scored) for h in hits] + texts
            rows = {m["id"]: m for m in conn.execute(
                select(t).where(t.c.id.in_([tid for tid, _ in found]))).mappings()}
        items: list[TemplateSummary] = []
        for tid, scored in found[:limit]:
            summary = _summary_of(rows[tid])
            summary.match_reason, summary.match_reason_en = ranking.reason_text(scored.reason, rows[tid])
            items.append(summary)
        next_cursor = None
        if more or len(found) > limit:
            if limit <= len(hits):
                h = hits[limit - 1]
                next_cursor = cursors.encode(cursors.ByWords(h.scored.score, h.suffix))
            else:
                m = rows[found[limit - 1][0]]
                next_cursor = cursors.encode(cursors.ByText(m["updated_at"], m["fork_count"],
                                                            m["lg"], m["slug"]))
        return items, next_cursor

    FEW = 2000
    """A tag (or another filter the postings do not carry) selecting at most this many templates
    is ranked in memory (see _search_ranked)."""

    def _selects_few(self, conn: Connection, filters: list[ColumnElement[bool]],
                     tag: str | None = None) -> bool:
        """Whether ``filters`` select at most FEW templates (counted no further than that).

        A tag among them is counted first, on its own index: a common tag is not few, and
        counting the templates that hold it through the filters made PostgreSQL hash every
        one of them (学校 at 100k templates: 17 ms of a 30 ms search)."""
        if not filters:
            return False
        if tag is not None:
            tagged = select(T_TAGS.c.lg).where(T_TAGS.c.tag == tag).limit(self.FEW + 1).subquery()
            if int(conn.execute(select(func.count()).select_from(tagged)).scalar_one()) > self.FEW:
                return False
        inner = select(T_TEMPLATES.c.id).where(*filters).limit(self.FEW + 1).subquery()
        return int(conn.execute(select(func.count()).select_from(inner)).scalar_one()) <= self.FEW

    def _text_only(self, conn: Connection, query: Any, source: search_index.SqlSource,
                   terms: list[str], filters: list[ColumnElement[bool]],
                   after: cursors.ByText | None, want: int) -> list[tuple[int, ranking.Scored]]:
        """Up to ``want`` templates holding every term as text but not found by their words,
        each with what its postings say of why it matched."""
        t = T_TEMPLATES
        conds = [*filters, *self._text_conditions(terms)]
        if after:
            upd, forks, lg, slug = after.updated_at, after.fork_count, after.lg, after.slug
            conds.append(or_(t.c.updated_at < upd, and_(t.c.updated_at == upd, or_(
                t.c.fork_count < forks, and_(t.c.fork_count == forks, or_(
                    t.c.lg > lg, and_(t.c.lg == lg, t.c.slug > slug)))))))
        scorer = ranking.Scorer(query)
        out: list[tuple[int, ranking.Scored]] = []
        offset = 0
        batch = max(want * 2, 32)
        while len(out) < want:
            rows = conn.execute(
                select(t.c.id).where(*conds)
                .order_by(t.c.updated_at.desc(), t.c.fork_count.desc(), t.c.lg, t.c.slug)
                .offset(offset).limit(batch)).all()
            held = source.postings([r[0] for r in rows])
            for (tid,) in rows:
                postings = held.get(tid, ("", {}))[1]
                if scorer(postings) is None:
                    out.append((tid, ranking.text_only(postings)))
                    if len(out) == want:
                        break
            if len(rows) < batch:
                break
            offset += batch
            batch *= 4
        return out

    def _contains(self, col: Any, term: str) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return func.strpos(col, term) > 0
        return func.instr(col, term) > 0

    def _text_conditions(self, terms: list[str]) -> list[ColumnElement[bool]]:
        t = T_TEMPLATES
        if self.dialect == "postgresql":
            # LIKE with a literal pattern lets the planner use the gin_trgm_ops index.
            return [t.c.search_text.like("%" + _like_escape(term) + "%", escape="\\")
                    for term in terms]
        conds = [self._contains(t.c.search_text, term) for term in terms if len(term) < 3]
        long_terms = [term for term in terms if len(term) >= 3]
        if long_terms:
            # The trigram tokenizer matches a quoted phrase of ≥ 3 characters as a substring.
            match = " AND ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
            fts = (text("SELECT rowid FROM templates_fts WHERE templates_fts MATCH :match")
                   .bindparams(match=match).columns(column("rowid", Integer)))
            conds.append(t.c.id.in_(fts))
        return conds

    @staticmethod
    def _prefecture(prefecture: str) -> str:
        if prefecture.isascii() and prefecture.isdigit():
            return municipalities.check_code(prefecture).prefecture_code
        for p in municipalities.prefectures():
            if prefecture in (p.name, p.name.removesuffix("都").removesuffix("府")
                              .removesuffix("県")):
                return p.code
        raise NotFound(f"no prefecture named {prefecture!r}",
                       detail_ja=f"都道府県「{prefecture}」はありません")

    def get_template(self, lg: str, slug: str) -> TemplateSummary | None:
        """One template's summary, or None."""
        t = T_TEMPLATES
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.lg == lg, t.c.slug == slug)).one_or_none()
        return _summary_of(row._mapping) if row else None

    def versions(self, lg: str, slug: str) -> list[VersionRecord]:
        """Every version of a template in ascending SemVer order (1.10.0 after 1.9.0)."""
        with self._read() as conn:
            rows = conn.execute(_SQL.versions_in_order, {"k_lg": lg, "k_slug": slug}).all()
        return [_record_of(r) for r in rows]

    def version(self, lg: str, slug: str, version: str) -> VersionRecord | None:
        """One version, or None."""
        with self._read() as conn:
            row = conn.execute(select(T_VERSIONS).where(
                self._version_key(T_VERSIONS, lg, slug, version))).one_or_none()
        return _record_of(row) if row else None

    def forks_of(self, lg: str, slug: str) -> list[VersionRecord]:
        """The latest version of each template whose (latest) upstream is ``lg/slug``."""
        t, v = T_TEMPLATES, T_VERSIONS
        stmt = (select(v).join(t, and_(t.c.lg == v.c.lg, t.c.slug == v.c.slug,
                                       t.c.latest_version == v.c.version))
                .where(t.c.upstream_template == f"{lg}/{slug}").order_by(t.c.lg, t.c.slug))
        with self._read() as conn:
            return [_record_of(r) for r in conn.execute(stmt).all()]

    def upstream_chain(self, lg: str, slug: str) -> list[VersionRecord]:
        """The upstream versions a template derives from, nearest first.

        Starts at the template's latest version and follows each version's pinned upstream
        version; stops at a template without upstream, at an upstream the index does not hold
        (e.g. from another registry) and at a cycle.
        """
        chain: list[VersionRecord] = []
        latest = self.get_template(lg, slug)
        current = self.version(lg, slug, latest.latest_version) if latest else None
        seen = {(lg, slug)}
        while current is not None and current.upstream_template:
            ulg, _, uslug = current.upstream_template.partition("/")
            if (ulg, uslug) in seen:
                break
            seen.add((ulg, uslug))
            uversion = current.upstream_version
            if uversion is None:
                summary = self.get_template(ulg, uslug)
                uversion = summary.latest_version if summary else None
            current = self.version(ulg, uslug, uversion) if uversion else None
            if current is not None:
                chain.append(current)
        return chain

    def changes(self, after: int = 0, limit: int = 100) -> list[ChangeEvent]:
        """Feed events with ``id > after``, oldest first (at most ``limit``, capped at 1000)."""
        e = T_EVENTS
        stmt = select(e).where(e.c.id > after).order_by(e.c.id).limit(max(1, min(limit, 1000)))
        with self._read() as conn:
            return [ChangeEvent(**dict(r._mapping)) for r in conn.execute(stmt).all()]

    def last_event_id(self) -> int:
        """The id of the newest feed event (0 when the feed is empty)."""
        with self._read() as conn:
            value = conn.execute(select(func.max(T_EVENTS.c.id))).scalar()
        return int(value or 0)

    # -- audit -------------------------------------------------------------------------------

    def audit(self, actor: str, action: str, target: str, detail: str | None = None,
              remote_addr: str | None = None, *, commit: str | None = None,
              at: str | None = None) -> None:
        """Append one audit entry, timestamped now (or ``at``).

        With ``commit``: at most one entry per commit — a second one (the catch-up restoring
        what a publish in flight is about to write, or the other way round) is dropped.
        """
        values = {"at": utc_text(at) if at else now_text(), "actor": actor, "action": action,
                  "target": target, "detail": detail, "remote_addr": remote_addr,
                  "commit": commit}
        with self._write() as conn:
            conn.execute(_SQL.insert_audit if commit is None else self._insert_audit_once, values)

    def audited_commits(self, commits: Sequence[str]) -> set[str]:
        """Which of ``commits`` have an audit entry."""
        found: set[str] = set()
        with self._read() as conn:
            for i in range(0, len(commits), 500):
                chunk = list(commits[i:i + 500])
                found.update(c for (c,) in conn.execute(
                    select(T_AUDIT.c.commit).where(T_AUDIT.c.commit.in_(chunk))))
        return found

    # -- the index's own state ------------------------------------------------------------------

    def state(self, name: str) -> str | None:
        """A named value about the index (e.g. ``git_tip``), or None."""
        with self._read() as conn:
            value = conn.execute(select(T_STATE.c.value).where(T_STATE.c.name == name)).scalar()
        return None if value is None else str(value)

    def set_state(self, name: str, value: str, *, expect: str | bool | None = True) -> bool:
        """Set a named value; with ``expect`` (a value or None for absent) only if it holds.

        ``expect=True`` (the default) sets unconditionally. Returns whether it was set.
        """
        with self._write() as conn:
            current = conn.execute(_SQL.state, {"k_name": name}).scalar()
            if expect is not True and current != expect:
                return False
            if current is None:
                conn.execute(_SQL.insert_state, {"name": name, "value": value})
            else:
                conn.execute(_SQL.update_state, {"k_name": name, "value": value})
        return True

    # -- detachments ----------------------------------------------------------------------------

    def record_detachment(self, lg: str, slug: str, upstream: str, version: str, at: str,
                          actor: str, reason: str | None) -> bool:
        """Record that ``lg/slug`` detached from ``upstream`` (with a feed event); idempotent."""
        key = and_(T_DETACH.c.lg == lg, T_DETACH.c.slug == slug,
                   T_DETACH.c.upstream_template == upstream, T_DETACH.c.version == version)
        with self._write() as conn:
            if conn.execute(select(T_DETACH.c.lg).where(key)).first() is not None:
                return False
            conn.execute(insert(T_DETACH).values(lg=lg, slug=slug, upstream_template=upstream,
                                                 version=version, at=utc_text(at), actor=actor,
                                                 reason=reason))
            conn.execute(insert(T_EVENTS).values(kind="detached", lg=lg, slug=slug,
                                                 version=version, at=utc_text(at), actor=actor,
                                                 upstream_template=upstream, detail=reason))
        return True

    def detachments(self, lg: str, slug: str, *, as_upstream: bool = False) -> list[dict[str, Any]]:
        """Detachments of this template from its upstream (or, ``as_upstream``, of its forks)."""
        d = T_DETACH
        where = (d.c.upstream_template == f"{lg}/{slug}") if as_upstream else \
            and_(d.c.lg == lg, d.c.slug == slug)
        with self._read() as conn:
            rows = conn.execute(select(d).where(where).order_by(d.c.at, d.c.lg, d.c.slug)).mappings()
            return [dict(r) for r in rows]

    def audit_log(self, limit: int = 100, *, since: str | None = None,
                  municipality: str | None = None) -> list[AuditEntry]:
        """The newest audit entries first; ``since`` (ISO 8601 UTC) and a city's own entries
        (its accounts' writes and refusals: the actor ends with ``LGCODE)``) filter them."""
        a = T_AUDIT
        stmt = select(a).order_by(a.c.id.desc()).limit(max(1, min(limit, 10_000)))
        if since:
            stmt = stmt.where(a.c.at >= utc_text(since))
        if municipality:
            stmt = stmt.where(a.c.actor.like(f"% {_like_escape(municipality)})", escape="\\"))
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return [AuditEntry(**dict(r._mapping)) for r in rows]

    # -- tokens ------------------------------------------------------------------------------

    def create_token(self, municipality: str, name: str, admin: bool = False) -> str:
        """A new token for ``municipality`` (shown once; only its SHA-256 is stored)."""
        if municipality:
            municipalities.check_code(municipality)
        elif not admin:
            raise UsageError("a token needs a municipality unless it is an admin token",
                             detail_ja="管理者トークン以外は団体コードが必要です")
        name = name.strip()
        if not name:
            raise UsageError("a token needs a name", detail_ja="トークンには名前が必要です")
        token = secrets.token_urlsafe(32)
        try:
            with self._write() as conn:
                conn.execute(insert(T_TOKENS).values(
                    municipality=municipality, name=name, admin=admin,
                    token_hash=token_hash(token), created_at=now_text()))
        except IntegrityError:
            raise Conflict(f"{municipality} already has a token named {name!r}; revoke it first",
                           detail_ja=f"{municipality} には「{name}」という名前のトークンがすでにあります。先に失効させてください") from None
        return token

    def verify_token(self, token: str) -> TokenInfo | None:
        """What a live (not revoked) token stands for, or None; notes when it was last used."""
        if not token or len(token) > 256:
            return None
        return self.verify_token_hash(token_hash(token))

    def verify_token_hash(self, digest: str) -> TokenInfo | None:
        """What the live token with this SHA-256 hex stands for (a page session keeps the hash)."""
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            return None
        k = T_TOKENS
        # A lookup by hash: timing reveals nothing about the secret, only about its hash.
        with self._read() as conn:
            row = conn.execute(select(k).where(k.c.token_hash == digest,
                                               k.c.revoked_at.is_(None))).one_or_none()
        if row is None:
            return None
        last_used = row.last_used_at
        now = datetime.now(UTC)
        if last_used is None or last_used < utc_text(now - _LAST_USED_RESOLUTION):
            last_used = utc_text(now)
            with self._write() as conn:
                conn.execute(update(k).where(k.c.id == row.id).values(last_used_at=last_used))
        return TokenInfo(municipality=row.municipality, name=row.name, admin=bool(row.admin),
                         created_at=row.created_at, last_used_at=last_used)

    def revoke_token(self, municipality: str, name: str) -> None:
        """Revoke a municipality's live token by name (NotFound if there is none)."""
        k = T_TOKENS
        with self._write() as conn:
            done = conn.execute(update(k).where(k.c.municipality == municipality,
                                                k.c.name == name, k.c.revoked_at.is_(None))
                                .values(revoked_at=now_text())).rowcount
        if not done:
            raise NotFound(f"{municipality} has no live token named {name!r}",
                           detail_ja=f"{municipality} に有効なトークン「{name}」はありません")

    def list_tokens(self, municipality: str) -> list[TokenInfo]:
        """A municipality's live tokens by name (never the secrets)."""
        k = T_TOKENS
        with self._read() as conn:
            rows = conn.execute(select(k).where(k.c.municipality == municipality,
                                                k.c.revoked_at.is_(None))
                                .order_by(k.c.name)).all()
        return [TokenInfo(municipality=r.municipality, name=r.name, admin=bool(r.admin),
                          created_at=r.created_at, last_used_at=r.last_used_at) for r in rows]


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
