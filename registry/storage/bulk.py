"""Bulk loading for the SQL index's rebuild: COPY or executemany, indexes built once after the
load, SQLite's page cache and sorter set for it. Mechanics only: what is loaded is
``registry.storage.rebuild``'s business."""

from __future__ import annotations

import gc
import itertools
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, delete
from sqlalchemy.exc import IntegrityError

Run = tuple[tuple[str, ...], Iterable[tuple[Any, ...]]]
"""Rows as (column names, value tuples)."""

# pg_get_indexdef's form: CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING method (…)
_INDEXDEF = re.compile(r"(?P<create>CREATE (?:UNIQUE )?INDEX )\S+(?P<on> ON (?:ONLY )?(?:\S+\.)?)\S+"
                       r"(?P<rest> USING .*)", re.DOTALL)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for a bulk load (its rows hold no cycles); as it was after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def insert(conn: Connection, dialect: str, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert many rows as they come: COPY on PostgreSQL (~10× a multi-row INSERT), the
    driver's executemany on SQLite (~5× SQLAlchemy's, which builds a parameter dict per
    row). A row's keys name its columns; a row with other keys starts another statement."""
    insert_runs(conn, dialect, table.name, runs_of(rows))


def insert_runs(conn: Connection, dialect: str, table: str, runs: Iterable[Run]) -> None:
    """``insert`` into the table named ``table`` of rows already as (column names, value
    tuples) runs."""
    if dialect != "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for names, values in runs:
                columns = ", ".join(f'"{n}"' for n in names)
                marks = ", ".join("?" * len(names))
                sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
                try:
                    cursor.executemany(sql, values)
                except sqlite3.IntegrityError as exc:
                    # The same exception type as any SQLAlchemy statement (and PostgreSQL).
                    raise IntegrityError(sql, None, exc) from exc
        finally:
            cursor.close()
        return
    import psycopg

    for names, values in runs:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        columns = ", ".join(f'"{n}"' for n in names)
        sql = f'COPY "{table}" ({columns}) FROM STDIN'
        try:
            with cursor.copy(sql) as copy:
                for row in values:
                    copy.write_row(row)
        except psycopg.IntegrityError as exc:
            # The same exception type as the SQLite path (and as any SQLAlchemy statement).
            raise IntegrityError(sql, None, exc) from exc


def runs_of(rows: Iterable[dict[str, Any]]) -> Iterator[Run]:
    """Rows as runs of (column names, value tuples): consecutive rows with the same keys."""
    for names, group in itertools.groupby(rows, key=tuple):
        yield names, (tuple(r.values()) for r in group)


@contextmanager
def loading(conn: Connection, dialect: str) -> Iterator[None]:
    """SQLite, inside the rebuild's transaction: a page cache that holds the new b-trees
    (256 MiB at most, given back afterwards) and no FTS insert trigger — the FTS index is
    built from the templates table in one pass at the end."""
    if dialect != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql("PRAGMA cache_size = -262144")
    try:
        trigger = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'templates_fts_ai'"
        ).scalar_one()
        conn.exec_driver_sql("DROP TRIGGER templates_fts_ai")
        yield
        conn.exec_driver_sql("INSERT INTO templates_fts(templates_fts) VALUES ('rebuild')")
        conn.exec_driver_sql(trigger)
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def indexes_built_after(conn: Connection, dialect: str, table: Table) -> Iterator[str]:
    """Inside the rebuild's transaction, the name of the table to bulk-load ``table``'s new
    rows into, so that its indexes are built once, sorted, after the load instead of by
    millions of random b-tree inserts (search_terms: 2.1× faster for its 4–7 M rows on
    SQLite, /tmp micro-benchmark in the issue 18 note).

    SQLite: the table's secondary indexes are dropped before and made again from their
    stored SQL after (``_sorting``); readers keep the old snapshot (WAL) until the transaction
    commits. PostgreSQL: dropping an index would lock readers out for the whole rebuild, so the
    rows go to a new table (``<table>_load``, columns and defaults alike) that takes the old
    one's indexes and primary key at the end, then its place and their names — readers are
    held only for that swap, at the end of the transaction (500k templates maintained their
    indexes row by row for over ten minutes).
    """
    if dialect == "sqlite":
        with sqlite_indexes_after(conn, dialect, table):
            yield table.name
        return
    name, load = table.name, f"{table.name}_load"
    constraints = conn.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %(t)s::regclass AND contype IN ('p', 'u')", {"t": name}).all()
    indexes = conn.exec_driver_sql(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %(t)s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
        {"t": name}).all()
    conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{load}"')
    conn.exec_driver_sql(f'CREATE TABLE "{load}" (LIKE "{name}" INCLUDING DEFAULTS)')
    yield load
    for con, definition in constraints:
        conn.exec_driver_sql(f'ALTER TABLE "{load}" ADD CONSTRAINT "{con}_load" {definition}')
    for index, definition in indexes:
        made = _INDEXDEF.fullmatch(definition)
        if made is None:
            raise RuntimeError(f"unexpected index definition: {definition}")
        conn.exec_driver_sql(f'{made["create"]}"{index}_load"{made["on"]}"{load}"{made["rest"]}')
    conn.exec_driver_sql(f'DROP TABLE "{name}"')
    conn.exec_driver_sql(f'ALTER TABLE "{load}" RENAME TO "{name}"')
    for con, _definition in constraints:
        conn.exec_driver_sql(f'ALTER TABLE "{name}" RENAME CONSTRAINT "{con}_load" TO "{con}"')
    for index, _definition in indexes:
        conn.exec_driver_sql(f'ALTER INDEX "{index}_load" RENAME TO "{index}"')


@contextmanager
def sqlite_indexes_after(conn: Connection, dialect: str, *tables: Table) -> Iterator[None]:
    """SQLite, inside the rebuild's transaction: the tables' secondary indexes dropped before
    the load and made again from their stored SQL after it (``_sorting``), so each is built
    once, sorted; readers keep the old snapshot (WAL) until the transaction commits.
    Constraints' own indexes (UNIQUE, the primary key) stay. Elsewhere: nothing."""
    if dialect != "sqlite":
        yield
        return
    stored = [row for table in tables for row in conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
        " AND sql IS NOT NULL", (table.name,)).all()]
    for name, _sql in stored:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    with _sorting(conn):
        for _name, sql in stored:
            conn.exec_driver_sql(sql)


@contextmanager
def _sorting(conn: Connection) -> Iterator[None]:
    """SQLite, for CREATE INDEX on millions of rows: sorted runs of 8 MiB (the page cache's
    size sets them) merged by helper threads, one per core. A run the size of the bulk load's
    page cache is sorted by one thread with cache misses all the way: 7.1 s for search_terms'
    rank index at 100k templates, 2.8 s this way (measured for the issue 18 note)."""
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    threads = conn.exec_driver_sql("PRAGMA threads").scalar_one()
    conn.exec_driver_sql("PRAGMA cache_size = -8192")
    conn.exec_driver_sql(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA threads = {int(threads)}")
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")


def delete_templates(conn: Connection, dialect: str, templates: Table) -> None:
    """Empty the templates table (and, on SQLite, its FTS index at once)."""
    if dialect != "sqlite":
        conn.execute(delete(templates))
        return
    # Deleting row by row through the FTS trigger leaves a delete marker per trigram (a
    # replacing rebuild took three times as long as a first one): empty the FTS index at
    # once and delete without that trigger, restored from its own stored SQL. All of it
    # inside the rebuild's transaction, so readers see the old index or the new one.
    trigger = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'templates_fts_ad'"
    ).scalar_one()
    conn.exec_driver_sql("INSERT INTO templates_fts(templates_fts) VALUES ('delete-all')")
    conn.exec_driver_sql("DROP TRIGGER templates_fts_ad")
    conn.execute(delete(templates))
    conn.exec_driver_sql(trigger)
