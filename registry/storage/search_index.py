"""The SQL side of search by meaning: writing a template's keys and reading a query's postings.

Keys come from ``registry.search.analyser``; the table is ``search_terms`` (template_id, term,
code, pos, rk, prefecture_code, category: registry/storage/tables.SearchTermRow). Its primary key
(template_id, term) answers "this template's postings for these keys"; the index (term, rk)
reads one key's postings in rank order — weight, then recency
(``registry.search.topk.rank_key``) — which is what the threshold algorithm needs, and
(term, prefecture_code, rk) the same within one prefecture. SQLite and PostgreSQL run the same
statements and scoring happens in Python (``registry.search.ranking``): both backends give the
same results by construction. ``rk`` is kept current: a template's rows are rewritten when it
changes, and re-stamped when its fork count does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from types import MappingProxyType
from typing import Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    union_all,
    update,
)

from registry.search.analyser import keys_of
from registry.search.ranking import (
    CODES,
    DESCRIPTION,
    FIELD,
    MUNICIPALITY,
    TAG,
    TITLE,
    TITLE_EN,
    Posting,
)
from registry.search.topk import ListEntry, rank_key, recency_suffix
from registry.storage.tables import SearchTermRow

T_TERMS: Table = SearchTermRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def postings_of(template: Mapping[str, Any]) -> dict[str, Posting]:
    """A template row's keys, each with the best field it occurs in (``postings_of_texts``)."""
    return postings_of_texts(template["title"], template.get("title_en"),
                             json.loads(template["tags"]),
                             json.loads(template.get("field_titles") or "[]"),
                             template.get("description"), template.get("municipality_name"))


def postings_of_texts(title: str | None, title_en: str | None, tags: Sequence[str],
                      fields: Sequence[str], description: str | None,
                      municipality: str | None) -> dict[str, Posting]:
    """A template's keys, each with the best field it occurs in.

    The fields are ranked best first (title, English title, tags, field titles, description,
    municipality: ``CODES``' weights never increase along them) and a key keeps the first
    field it is met in, and within tags or field titles the first one. Each field's
    postings are a mapping cached by its text (the lists of tags and of field titles as a
    whole: forks and common fields repeat them), merged worst first so that better fields
    overwrite: dict merges in C instead of a set difference per field (a rebuild makes ~35
    keys for each of 100k templates).
    """
    out: dict[str, Posting] = {}
    if municipality:
        out.update(_postings(municipality, CODES[MUNICIPALITY]))
    if description:
        out.update(_postings(description, CODES[DESCRIPTION]))
    if fields:
        out.update(_listed(tuple(fields), CODES[FIELD]))
    if tags:
        out.update(_listed(tuple(tags), CODES[TAG]))
    if title_en:
        out.update(_postings(title_en, CODES[TITLE_EN]))
    if title:
        out.update(_postings(title, CODES[TITLE]))
    return out


@lru_cache(maxsize=65_536)
def _postings(text: str, code: int) -> Mapping[str, Posting]:
    """One text's keys, all with ``Posting(code, 0)`` (read-only: it is cached)."""
    return MappingProxyType(dict.fromkeys(keys_of(text), Posting(code, 0)))


@lru_cache(maxsize=65_536)
def _listed(texts: tuple[str, ...], code: int) -> Mapping[str, Posting]:
    """A list's keys (tags, field titles), each at the first text it occurs in (read-only)."""
    out: dict[str, Posting] = {}
    for pos in range(len(texts) - 1, -1, -1):  # the last first: earlier texts overwrite
        if texts[pos]:
            out.update(dict.fromkeys(keys_of(texts[pos]), Posting(code, pos)))
    return MappingProxyType(out)


def suffix_of(template: Mapping[str, Any]) -> str:
    """A templates row's recency suffix (see ``registry.search.topk.recency_suffix``)."""
    return recency_suffix(template["updated_at"], template.get("fork_count") or 0,
                          template["lg"], template["slug"])


COLUMNS = ("template_id", "term", "code", "pos", "rk", "prefecture_code", "category")
"""The columns of ``Keys.rows``' rows, in the table's order."""


class Keys(msgspec.Struct, array_like=True):
    """A template's ``search_terms`` rows, column-wise: what the rows share once (the template,
    its prefecture, category and recency suffix), then each key with its field code and
    position, in primary key order (template_id, term) so that a rebuild writing templates
    in id order appends to the table.

    A reindex sends these from the process that analyses the keys to the one that writes
    them (``registry.reindex_reader``): at 100k templates 3.4 M rows, which as 7-tuples
    repeating the rank key, prefecture and category were ~2/3 of the ~520 MB sent (~280 MB
    in all this way).
    """

    template_id: int
    prefecture: str
    category: str
    suffix: str
    terms: list[str]
    codes: list[int]
    positions: list[int]

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The rows as value tuples (``COLUMNS``); one rank key string per field weight."""
        keys: dict[int, str] = {}
        for code in dict.fromkeys(self.codes):
            keys.setdefault(code // 10, rank_key(code, self.suffix))
        n = len(self.terms)
        return zip(repeat(self.template_id, n), self.terms, self.codes, self.positions,
                   [keys[code // 10] for code in self.codes], repeat(self.prefecture, n),
                   repeat(self.category, n), strict=True)


def keys_of_template(template_id: int, template: Mapping[str, Any]) -> Keys:
    """A templates row's keys (``postings_of``) as its ``search_terms`` rows."""
    return keys_of_postings(template_id, template.get("prefecture_code") or "",
                            template.get("category") or "", suffix_of(template),
                            postings_of(template))


def keys_of_postings(template_id: int, prefecture: str, category: str, suffix: str,
                     postings: Mapping[str, Posting]) -> Keys:
    """A template's postings as its ``search_terms`` rows (in key order)."""
    terms = sorted(postings)
    found = [postings[k] for k in terms]
    return Keys(template_id, prefecture, category, suffix, terms, [p.code for p in found],
                [p.pos for p in found])


class KeyCounts:
    """What a rebuild loaded into ``search_terms``, counted on the way: enough for SQLite's
    statistics of the table without reading it back (``write_sqlite_statistics``)."""

    def __init__(self) -> None:
        self.rows = 0
        self.templates = 0
        self.terms: set[str] = set()

    def add(self, keys: Keys) -> None:
        if keys.terms:
            self.rows += len(keys.terms)
            self.templates += 1
            self.terms.update(keys.terms)


_RANK_INDEX = "ix_search_terms_rank"


def write_sqlite_statistics(conn: Connection, counts: KeyCounts) -> bool:
    """SQLite: ``search_terms``' rows of ``sqlite_stat1`` from ``counts``, as ``ANALYZE
    search_terms`` would write them (its scan of 3.4 M keys took 0.7 s of a 100k reindex).

    Exact by construction: the primary key is (template_id, term) — rows / templates, then 1 —
    and the rank index starts with term, then rk, which names the template and so is unique
    within a term — rows / distinct terms, then 1 for every further column. False (nothing
    written) when the table has other indexes than these two, or none were counted: the
    caller then runs ANALYZE.
    """
    table = T_TERMS.name
    listed = {(name, origin) for _seq, name, _unique, origin, _partial
              in conn.exec_driver_sql(f'PRAGMA index_list("{table}")')}
    without_rowid = "WITHOUT ROWID" in (conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar() or "")
    if not (counts.rows and without_rowid and len(listed) == 2 and (_RANK_INDEX, "c") in listed
            and any(origin == "pk" for _name, origin in listed)):
        return False
    rank_columns = len(conn.exec_driver_sql(f'PRAGMA index_info("{_RANK_INDEX}")').all())
    pk = table  # ANALYZE names a WITHOUT ROWID table's primary key after the table
    n = counts.rows

    def per(distinct: int) -> int:  # ANALYZE's average: rows per distinct value, rounded up
        return (n + distinct - 1) // distinct

    stats = {_RANK_INDEX: [n, per(len(counts.terms)), *[1] * (rank_columns - 1)],
             pk: [n, per(counts.templates), 1]}
    conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = ?", (table,))
    for idx, values in stats.items():
        conn.exec_driver_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
                             (table, idx, " ".join(map(str, values))))
    conn.exec_driver_sql("ANALYZE sqlite_schema")  # the planner reloads the statistics
    return True


def rows_of(template_id: int, template: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A template's ``search_terms`` rows as column → value mappings (for SQLAlchemy's insert)."""
    return [dict(zip(COLUMNS, row, strict=True)) for row in keys_of_template(template_id, template).rows()]


def restamp(conn: Connection, template_id: int, template: Mapping[str, Any]) -> None:
    """Re-stamp a template's rank keys after its fork count changed (its words did not)."""
    suffix = suffix_of(template)
    conn.execute(update(T_TERMS).where(T_TERMS.c.template_id == template_id)
                 .values(rk=func.substr(T_TERMS.c.rk, 1, 1) + suffix))


def replace_terms(conn: Connection, template_id: int, template: Mapping[str, Any]) -> None:
    """Replace one template's keys (in the caller's transaction)."""
    conn.execute(delete(T_TERMS).where(T_TERMS.c.template_id == template_id))
    rows = rows_of(template_id, template)
    if rows:
        conn.execute(insert(T_TERMS), rows)


@dataclass(frozen=True)
class Filters:
    """A search's filters: those the postings carry (a prefecture code, a category) and the
    conditions on the templates table they do not (``joined``: municipality, ``tag``)."""

    prefecture: str | None = None
    category: str | None = None
    joined: Sequence[ColumnElement[bool]] = ()
    tag: str | None = None


class SqlSource:
    """``registry.search.topk.Source`` on ``search_terms``, within a filter of templates.

    ``templates`` is the templates table and ``filters`` conditions on it that the postings do
    not carry (municipality, tag): with such filters each list joins the template and skips
    those that fail them. ``prefecture`` (a prefecture code) and ``category`` are checked on the
    postings themselves, read from the rank index (it carries both) without touching the
    templates; on PostgreSQL a prefecture's part of a list is sought in
    ``ix_search_terms_prefecture`` (migration 0007).
    """

    def __init__(self, conn: Connection, templates: Table, keys: Iterable[str],
                 filters: Filters | None = None) -> None:
        self._conn = conn
        self._t = templates
        self._keys = sorted(set(keys))
        self._prefecture = filters.prefecture if filters else None
        self._category = filters.category if filters else None
        self._filters = list(filters.joined) if filters else []

    def _carried(self, k: Any) -> list[ColumnElement[bool]]:
        """The filters a posting carries, on the search_terms table or alias ``k``."""
        out = []
        if self._prefecture is not None:
            out.append(k.c.prefecture_code == self._prefecture)
        if self._category is not None:
            out.append(k.c.category == self._category)
        return out

    def _with_joined_filters(self, stmt: Any, k: Any) -> Any:
        """``stmt`` over postings ``k`` kept to the templates that pass the filters the postings
        do not carry. On PostgreSQL a LATERAL probe per posting, read in rank order: planned
        as a join, it misjudged a tag with a category as selecting a handful of templates and
        drove from the tag's 22k templates, then sorted (郵便番号 with 学校 and 教育 at 100k:
        0.5 s a list instead of milliseconds)."""
        if not self._filters:
            return stmt
        t = self._t
        if self._conn.dialect.name == "postgresql":
            probe = select(literal(1).label("one")).select_from(t).where(
                t.c.id == k.c.template_id, *self._filters).limit(1).lateral("f")
            return stmt.join(probe, true())
        return stmt.join(t, t.c.id == k.c.template_id).where(*self._filters)

    def lists(self, after: Mapping[str, str | None], count: int) -> dict[str, list[ListEntry]]:
        k = T_TERMS
        parts = []
        for key, rk in after.items():
            stmt = select(k.c.term, k.c.template_id, k.c.code, k.c.rk).where(k.c.term == key,
                                                                             *self._carried(k))
            if rk is not None:
                stmt = stmt.where(k.c.rk > rk)
            stmt = self._with_joined_filters(stmt, k)
            parts.append(select(stmt.order_by(k.c.rk).limit(count).subquery()))
        out: dict[str, list[ListEntry]] = {key: [] for key in after}
        if not parts:
            return out
        rows = self._conn.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()
        for term, tid, code, rk in rows:
            out[term].append(ListEntry(tid, code, rk))
        for entries in out.values():
            entries.sort(key=lambda e: e.rk)
        return out

    def postings(self, ids: Sequence[int]) -> dict[int, tuple[str, dict[str, Posting]]]:
        t = self._t
        out: dict[int, tuple[str, dict[str, Posting]]] = {}
        for i in range(0, len(ids), _CHUNK):
            part = list(ids[i:i + _CHUNK])
            for tid, term, code, pos, rk in self._fetch_postings(part):
                held = out.get(tid)
                if held is None:
                    out[tid] = held = (rk[1:], {})
                held[1][term] = Posting(code, pos)
            missing = [tid for tid in part if tid not in out]
            if missing:  # e.g. a title equal to the query written only in symbols
                stmt2 = select(t.c.id, t.c.updated_at, t.c.fork_count, t.c.lg, t.c.slug).where(
                    t.c.id.in_(missing), *self._carried(t), *self._filters)
                for tid, upd, forks, lg, slug in self._conn.execute(stmt2):
                    out[tid] = (recency_suffix(upd, forks, lg, slug), {})
        return out

    def _fetch_postings(self, ids: list[int]) -> list[tuple[int, str, int, int, str]]:
        """The postings of ``ids`` for the query's keys: the hot statement of a search, sent to
        the driver as it is (arrays on PostgreSQL) — compiling it through SQLAlchemy for every
        batch of ids cost more than running it."""
        if not self._keys or not ids:
            return []
        if self._conn.dialect.name == "postgresql":
            # One probe of (template_id, term) per id: planned on its own, PostgreSQL ANDs a
            # bitmap of every posting of the keys with one of the ids (10 ms for 473 ids at
            # 100k templates, where the probes take 3).
            sql = ("SELECT s.template_id, s.term, s.code, s.pos, s.rk FROM unnest(%(ids)s::int[]) AS i(id) "
                   "CROSS JOIN LATERAL (SELECT * FROM search_terms WHERE template_id = i.id "
                   "AND term = ANY(%(keys)s)) AS s")
            rows = self._conn.exec_driver_sql(sql, {"ids": ids, "keys": self._keys}).all()
        else:
            # The primary key (template_id, term) keeps one template's keys together (the rank
            # index, seeking by term across the whole table, was 2× slower).
            sql = ("SELECT template_id, term, code, pos, rk FROM search_terms "
                   f"WHERE template_id IN ({','.join('?' * len(ids))}) "
                   f"AND term IN ({','.join('?' * len(self._keys))})")
            rows = self._conn.exec_driver_sql(sql, (*ids, *self._keys)).all()
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def conjunction(self, keys: Sequence[str], after: str | None, count: int) -> list[tuple[int, str]]:
        """Templates whose title holds every key, newest first (title rank keys start with 5):
        the rarest key's title postings in rk order, each checked for the others through
        (template_id, term), stopping at ``count``. (Driving it from Python a batch at a time
        instead, from the rarest key, was measured 5–25× slower on both backends.)"""
        counts = self._title_counts(keys)
        if min(counts.values()) == 0:
            return []  # a word no title holds: no template holds them all
        # The rarest key drives (the others are probed): 「保育園」's 保育 is in thousands of
        # titles and 園 in none — driving from 保育 probed every one of them.
        keys = sorted(keys, key=lambda key: (counts[key], key))
        first = T_TERMS.alias("c0")
        stmt = select(first.c.template_id, first.c.rk).where(
            first.c.term == keys[0], first.c.rk > "5" + (after or ""), first.c.rk < "6",
            *self._carried(first))
        for i, key in enumerate(keys[1:], 1):
            other = T_TERMS.alias(f"c{i}")
            # Probed by (template_id, term); "a title posting" as code ≥ 40 rather than rk < "6",
            # which let PostgreSQL (after VACUUM) probe through the rank index instead — a scan
            # of the key's whole title section per row (欠席届 at 20k: 32 ms instead of 2).
            held = (other.c.template_id == first.c.template_id, other.c.term == key,
                    other.c.code >= 40)
            if self._conn.dialect.name == "postgresql":
                # A LATERAL probe per row: PostgreSQL misjudges how many title postings a word
                # has (term and rk are correlated) and would plan EXISTS as hash joins over
                # whole title sections (29 ms instead of 7 at 100k templates).
                stmt = stmt.join(select(literal(1).label("one")).where(*held).limit(1)
                                 .lateral(f"x{i}"), true())
            else:
                stmt = stmt.where(exists().where(*held))
        # The filters last: a word in the title is rarer than a tag (PostgreSQL probes in
        # the order written).
        stmt = self._with_joined_filters(stmt, first)
        rows = self._conn.execute(stmt.order_by(first.c.rk).limit(count)).all()
        return [(tid, rk[1:]) for tid, rk in rows]

    def _title_counts(self, keys: Sequence[str], cap: int = 1024) -> dict[str, int]:
        """How many titles hold each key, counted no further than ``cap`` (one statement)."""
        k = T_TERMS
        parts = [select(literal(key).label("term"), func.count().label("n")).select_from(
            select(k.c.template_id).where(k.c.term == key, k.c.rk < "6").limit(cap).subquery())
            for key in keys]
        rows = self._conn.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()
        return {str(term): int(n) for term, n in rows}

    def held(self, template_ids: ColumnElement[Any] | Any) -> dict[int, tuple[str, dict[str, Posting]]]:
        """Every posting for the query's keys of the templates the filters select (small sets)."""
        k = T_TERMS
        out: dict[int, tuple[str, dict[str, Posting]]] = {}
        stmt = select(k.c.template_id, k.c.term, k.c.code, k.c.pos, k.c.rk).where(
            k.c.term.in_(self._keys), k.c.template_id.in_(template_ids))
        for tid, term, code, pos, rk in self._conn.execute(stmt):
            held = out.get(tid)
            if held is None:
                out[tid] = held = (rk[1:], {})
            held[1][term] = Posting(code, pos)
        return out
