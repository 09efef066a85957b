"""The SQL side of search by meaning: writing a template's keys and reading a query's postings.

Keys come from ``registry.search.analyser``; the table is ``search_terms`` (term, template_id,
code, pos) with its primary key as the btree on term. SQLite and PostgreSQL run the same
statements (an ``IN`` lookup on the key), and scoring happens in Python
(``registry.search.ranking``): both backends give the same results by construction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select

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
from registry.storage.tables import SearchTermRow

T_TERMS: Table = SearchTermRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def postings_of(template: Mapping[str, Any]) -> dict[str, Posting]:
    """A template row's keys, each with the best field it occurs in."""
    out: dict[str, Posting] = {}

    def add(text: str | None, kind: str, pos: int = 0) -> None:
        if not text:
            return
        code = CODES[kind]
        for k in keys_of(text):
            have = out.get(k)
            if have is None or have.code // 10 < code // 10:
                out[k] = Posting(code, pos)

    add(template["title"], TITLE)
    add(template.get("title_en"), TITLE_EN)
    for i, tag in enumerate(json.loads(template["tags"])):
        add(tag, TAG, i)
    for i, name in enumerate(json.loads(template.get("field_titles") or "[]")):
        add(name, FIELD, i)
    add(template.get("description"), DESCRIPTION)
    add(template.get("municipality_name"), MUNICIPALITY)
    return out


def rows_of(template_id: int, template: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"term": k, "template_id": template_id, "code": p.code, "pos": p.pos}
            for k, p in postings_of(template).items()]


def replace_terms(conn: Connection, template_id: int, template: Mapping[str, Any]) -> None:
    """Replace one template's keys (in the caller's transaction)."""
    conn.execute(delete(T_TERMS).where(T_TERMS.c.template_id == template_id))
    rows = rows_of(template_id, template)
    if rows:
        conn.execute(insert(T_TERMS), rows)


def insert_all(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Bulk insert of keys (rebuild), in chunks."""
    batch: list[dict[str, Any]] = []
    for r in rows:
        batch.append(r)
        if len(batch) >= 20_000:
            conn.execute(insert(T_TERMS), batch)
            batch = []
    if batch:
        conn.execute(insert(T_TERMS), batch)


def postings(conn: Connection, keys: Iterable[str],
             template_ids: list[int] | None = None) -> dict[int, dict[str, Posting]]:
    """Per template id (of ``template_ids``, else all), the query keys it holds."""
    out: dict[int, dict[str, Posting]] = {}
    wanted = sorted(set(keys))
    for i in range(0, len(wanted), _CHUNK):
        part = wanted[i:i + _CHUNK]
        stmt = select(T_TERMS.c.template_id, T_TERMS.c.term, T_TERMS.c.code, T_TERMS.c.pos).where(
            T_TERMS.c.term.in_(part))
        if template_ids is not None:
            stmt = stmt.where(T_TERMS.c.template_id.in_(template_ids))
        for tid, term, code, pos in conn.execute(stmt):
            out.setdefault(tid, {})[term] = Posting(code, pos)
    return out
