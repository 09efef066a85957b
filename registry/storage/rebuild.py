"""Rebuilding the SQL index from the versions git holds, in two halves that can run on two cores.

``prepare`` makes one template ready for the index — its search_terms rows, the costly part
(SudachiPy) — without a database: it is pure, so a reindex runs it in the process that reads
git (``registry.reindex_reader``) while this one loads what the last batch made. ``load``
writes a stream of prepared templates in one transaction, making each one's version and
templates rows on the way: readers see the old index or the new one.

A template's search rows carry a rank key (``registry.search.topk.rank_key``) in which its
fork count counts; forks can come after their upstream in the stream, so templates are
prepared with no forks and the upstreams' rank keys are re-stamped once the stream has ended,
before the search indexes are built (a few thousand rows in a table without them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, cast

import msgspec
from sqlalchemy import Connection, delete, exists, insert, literal, null, select

from registry import municipalities
from registry.readmodels import VersionRecord
from registry.search.topk import recency_suffix
from registry.storage import bulk, search_index
from registry.storage.sql_index import (
    T_EVENTS,
    T_LINEAGE,
    T_TAGS,
    T_TEMPLATES,
    T_VERSIONS,
    VERSION_COLUMNS,
    _template_values,
    lineage_values,
    now_text,
    prefecture_code_of,
    utc_text,
    version_row,
)
from registry.versioning import version_order

if TYPE_CHECKING:
    from registry.storage.sql_index import SqlIndex

BATCH = 500
"""Templates written per round of bulk inserts."""


class PackedVersion(VersionRecord, array_like=True):
    """A ``VersionRecord`` that msgpack carries as an array, without its 30 field names: the
    records a reindex's worker reads from git (``registry.reindex_reader``) travel this way
    (at 100k templates 300k versions; the messages ~214 → ~143 MB, decoding them here ~2×
    faster). Only the worker makes them, and only the reindex holds them: anything that
    encodes a record for others (JSON) gets a ``VersionRecord`` from the index."""


class Prepared(msgspec.Struct, array_like=True):
    """One template ready for the index: its versions as git holds them, which of them is the
    latest (its templates row is made from that one where the rows are written, ``load``)
    and its search_terms rows (for the id it will have, with no forks yet)."""

    versions: list[PackedVersion]  # VersionRecords where nothing sends them (prepared_of)
    latest: int
    keys: search_index.Keys


def prepare(template_id: int, versions: Sequence[VersionRecord]) -> Prepared:
    """Template ``template_id``'s search rows from all its versions (one lg/slug, any order).

    The keys come from the latest version's own texts, as ``search_index.keys_of_template``
    reads them from the templates row ``_template_row`` makes of it (a test holds the two
    equal): the row itself is made by ``load``, which has the versions' rows at hand.
    """
    latest = max(range(len(versions)), key=lambda i: version_order(versions[i].version))
    rec = versions[latest]
    updated_at = max(utc_text(r.published_at) for r in versions)
    postings = search_index.postings_of_texts(rec.title, rec.title_en, rec.tags,
                                              rec.field_titles, rec.description,
                                              municipalities.name_of(rec.lg))
    suffix = recency_suffix(updated_at, 0, rec.lg, rec.slug)
    return Prepared(cast("list[PackedVersion]", list(versions)), latest, search_index.keys_of_postings(
        template_id, prefecture_code_of(rec.lg), rec.category, suffix, postings))


def prepared_of(records: Iterable[VersionRecord]) -> Iterator[Prepared]:
    """Any records, prepared template by template (lg, slug order; the last of a version wins)."""
    per: dict[tuple[str, str], dict[str, VersionRecord]] = defaultdict(dict)
    for r in records:
        per[(r.lg, r.slug)][r.version] = r
    for i, key in enumerate(sorted(per), start=1):
        yield prepare(i, list(per.pop(key).values()))


def load(index: SqlIndex, feed: Iterable[Prepared]) -> list[VersionRecord]:
    """Replace templates, versions, tags, lineage and search keys with ``feed``, in one
    transaction; returns the versions it held.

    Tokens and the audit log are kept (git cannot restore them). The change feed is
    append-only and keeps its ids: a version or deprecation without an event gets one, in
    publication order, so consumers' cursors stay valid and a second rebuild adds nothing.

    A bulk load (bench/store.py measures it): the cyclic garbage collector is paused, rows go
    to the database a batch of templates at a time as the feed makes them (never all held),
    through COPY or the driver's executemany, with the FTS and search indexes built once at
    the end (``registry.storage.bulk``). On SQLite the commit does not copy the write-ahead
    log into the database: a thread does it after (``SqlIndex.bulk_transaction``).
    """
    records: list[VersionRecord] = []
    dialect = index.dialect
    with bulk.gc_paused(), index.bulk_transaction() as conn, bulk.loading(conn, dialect):
        for table in (T_TAGS, T_LINEAGE, T_VERSIONS):
            conn.execute(delete(table))
        if dialect == "sqlite":  # PostgreSQL loads a new table (bulk.indexes_built_after)
            conn.execute(delete(search_index.T_TERMS))
        bulk.delete_templates(conn, dialect, T_TEMPLATES)
        forks: dict[str, int] = defaultdict(int)
        templates: dict[str, tuple[int, str]] = {}  # lg/slug -> (id, updated_at)
        counts = search_index.KeyCounts()
        with bulk.sqlite_indexes_after(conn, dialect, T_TEMPLATES, T_TAGS, T_LINEAGE), \
                bulk.indexes_built_after(conn, dialect, search_index.T_TERMS) as into:
            batch: list[Prepared] = []
            for prepared in feed:
                batch.append(prepared)
                if len(batch) >= BATCH:
                    _write_batch(conn, dialect, into, batch, records, forks, templates, counts)
                    batch = []
            _write_batch(conn, dialect, into, batch, records, forks, templates, counts)
            _count_forks(conn, dialect, into, forks, templates)
        _add_missing_events(conn)
        # Fresh statistics after a bulk load: the planners choose between the text index
        # and the updated_at order by them. Exact ones: sampled (SQLite's analysis_limit
        # = 1000, 1 s less at 100k) they misjudged how many templates a tag holds, and a
        # tag filter scanned the templates instead (30k: 12 → 400 ms; issue 18 note).
        # search_terms' are written on SQLite from what the load counted (the same figures).
        for table in (T_TEMPLATES, T_TAGS, T_VERSIONS):
            conn.exec_driver_sql(f"ANALYZE {table.name}")
        if not (dialect == "sqlite" and search_index.write_sqlite_statistics(conn, counts)):
            conn.exec_driver_sql(f"ANALYZE {search_index.T_TERMS.name}")
        if dialect == "postgresql":  # ids were given, not drawn: the sequence follows them
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('templates', 'id'),"
                " COALESCE((SELECT max(id) FROM templates), 0) + 1, false)")
    if dialect == "postgresql":
        # A bulk-loaded table has no visibility map until (auto)vacuum passes: every
        # index-only read of a posting list goes to the heap meanwhile (2× slower lists and
        # counts measured right after a 100k rebuild). VACUUM does not block readers or
        # writers; it runs after the rebuild's commit, outside any transaction.
        with index.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as vac:
            vac.exec_driver_sql(f"VACUUM (ANALYZE) {search_index.T_TERMS.name}")
    return records


def _write_batch(conn: Connection, dialect: str, terms_table: str, batch: list[Prepared],
                 records: list[VersionRecord], forks: dict[str, int],
                 templates: dict[str, tuple[int, str]], counts: search_index.KeyCounts) -> None:
    versions: list[tuple[Any, ...]] = []
    lineage: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for p in batch:
        records.extend(p.versions)
        made = [version_row(r) for r in p.versions]
        versions.extend(made)
        for r, values in zip(p.versions, made, strict=True):
            if r.upstream_template:  # a fork: its lineage edge from the same row
                edge = lineage_values(dict(zip(VERSION_COLUMNS, values, strict=True)))
                if edge:
                    lineage.append(edge)
        counts.add(p.keys)
        row = _template_row(p.keys.template_id, made, p.latest)
        rows.append(row)
        name = f"{row['lg']}/{row['slug']}"
        if name in templates:
            raise ValueError(f"template {name} was prepared twice for one rebuild")
        templates[name] = (row["id"], row["updated_at"])
        if row["upstream_template"]:
            forks[row["upstream_template"]] += 1
        tags.extend({"lg": row["lg"], "slug": row["slug"], "tag": tag}
                    for tag in dict.fromkeys(p.versions[p.latest].tags))
    bulk.insert_runs(conn, dialect, T_VERSIONS.name, [(VERSION_COLUMNS, versions)])
    bulk.insert(conn, dialect, T_TEMPLATES, rows)
    bulk.insert(conn, dialect, T_TAGS, tags)
    bulk.insert(conn, dialect, T_LINEAGE, lineage)
    bulk.insert_runs(conn, dialect, terms_table,
                     [(search_index.COLUMNS, chain.from_iterable(p.keys.rows() for p in batch))])


_PUBLISHED = VERSION_COLUMNS.index("published_at")


def _template_row(template_id: int, versions: list[tuple[Any, ...]], latest: int) -> dict[str, Any]:
    """The templates row of a template's version rows (``version_row``; ``latest``: the
    highest version's place), with its id and no forks yet."""
    values = dict(zip(VERSION_COLUMNS, versions[latest], strict=True))
    row = _template_values(values["lg"], values["slug"], [values])
    row["updated_at"] = max(v[_PUBLISHED] for v in versions)
    row["id"] = template_id
    row["fork_count"] = 0
    return row


def _count_forks(conn: Connection, dialect: str, terms_table: str, forks: dict[str, int],
                 templates: dict[str, tuple[int, str]]) -> None:
    """Each upstream's fork count into its templates row and its search rows' rank keys."""
    # (id, fork count, rank-key suffix) of each upstream the index holds
    counted = [(templates[name][0], n, _suffix(name, n, templates[name][1]))
               for name, n in forks.items() if name in templates]
    if not counted:
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        mark = "?" if dialect == "sqlite" else "%s"
        cursor.executemany(f"UPDATE templates SET fork_count = {mark} WHERE id = {mark}",
                           [(n, tid) for tid, n, _suffix_ in counted])
        if dialect == "sqlite":
            cursor.executemany(f'UPDATE "{terms_table}" SET rk = substr(rk, 1, 1) || ?'
                               " WHERE template_id = ?", [(sx, tid) for tid, _n, sx in counted])
        else:  # the load table has no index yet: one pass joining the upstreams
            cursor.execute(
                f'UPDATE "{terms_table}" AS t SET rk = substr(t.rk, 1, 1) || v.suffix'
                " FROM unnest(%s::int[], %s::text[]) AS v(id, suffix) WHERE t.template_id = v.id",
                ([tid for tid, _n, _sx in counted], [sx for _tid, _n, sx in counted]))
    finally:
        cursor.close()


def _suffix(name: str, fork_count: int, updated_at: str) -> str:
    lg, _, slug = name.partition("/")
    return search_index.suffix_of({"updated_at": updated_at, "fork_count": fork_count,
                                   "lg": lg, "slug": slug})


def _add_missing_events(conn: Connection) -> None:
    """The change feed's missing events, in publication order (one INSERT … SELECT from the
    versions just loaded, sorted by the database), then the missing deprecations.

    Publication order is (published_at, lg, slug, major, minor, patch): bytewise text on both
    backends (``tables.key_type``; published_at is fixed-width UTC text). Git records
    that a version is deprecated, not when the feed learnt it: those events are stamped now.
    """
    v, e = T_VERSIONS, T_EVENTS
    order = (v.c.published_at, v.c.lg, v.c.slug, v.c.major, v.c.minor, v.c.patch)
    names = ("kind", "lg", "slug", "version", "at", "actor", "upstream_template", "detail")

    def missing(kind: Any) -> Any:
        return ~exists().where(e.c.lg == v.c.lg, e.c.slug == v.c.slug,
                               e.c.version == v.c.version, e.c.kind == kind)

    conn.execute(insert(e).from_select(names, select(
        v.c.event, v.c.lg, v.c.slug, v.c.version, v.c.published_at, v.c.author_name,
        v.c.upstream_template, v.c.changelog).where(missing(v.c.event)).order_by(*order)))
    conn.execute(insert(e).from_select(names, select(
        literal("deprecated"), v.c.lg, v.c.slug, v.c.version, literal(now_text()),
        literal("reindex"), null(), v.c.deprecated_reason,
    ).where(v.c.deprecated.is_(True), missing(literal("deprecated"))).order_by(*order)))
