"""The index's side of whole lineage, prefecture views and the filtered change feed.

Tables ``fork_status`` and ``fork_divergence`` (see ``registry/forktree.py``) are caches of git:
written by ``registry/lineage_upkeep.py`` at publish and replaced wholesale at reindex. The
prefecture views read them with a few indexed queries and aggregate in SQL, so a page costs
the same whether the prefecture has 6 forks or 18,000 (bench/prefecture.py).

Used through ``SqlIndex`` (``index.lineage``); private to ``registry.storage``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    tuple_,
)

from registry.forktree import (
    CATEGORIES,
    Category,
    Divergence,
    DivergenceSummary,
    ForkStatus,
    sentence,
)
from registry.readmodels import ChangeEvent
from registry.storage import bulk
from registry.storage.tables import EventRow, ForkDivergenceRow, ForkStatusRow

if TYPE_CHECKING:
    from registry.storage.sql_index import SqlIndex

T_STATUS: Table = ForkStatusRow.__table__  # type: ignore[attr-defined]
T_DIVERGENCE: Table = ForkDivergenceRow.__table__  # type: ignore[attr-defined]
T_EVENTS: Table = EventRow.__table__  # type: ignore[attr-defined]

_MAX_LINEAGE = 5000  # nodes read for one tree (a bound, far above any real lineage)
# What a publish writes here, built once (values at execute time).
_DELETE_STATUS = delete(T_STATUS).where(T_STATUS.c.lg == bindparam("k_lg"),
                                        T_STATUS.c.slug == bindparam("k_slug"))
_INSERT_STATUS = insert(T_STATUS)
_DELETE_DIVERGENCE = delete(T_DIVERGENCE).where(T_DIVERGENCE.c.lg == bindparam("k_lg"),
                                                T_DIVERGENCE.c.slug == bindparam("k_slug"))
_INSERT_DIVERGENCE = insert(T_DIVERGENCE)
_DIRECT_FORKS = (select(T_STATUS).where(T_STATUS.c.upstream_template == bindparam("k_name"))
                 .order_by(T_STATUS.c.lg, T_STATUS.c.slug))
_DETACHED = select(T_EVENTS).where(T_EVENTS.c.kind == "detached").order_by(T_EVENTS.c.id)
_DETACHED_OF = _DETACHED.where(tuple_(T_EVENTS.c.lg, T_EVENTS.c.slug).in_(
    bindparam("k_keys", expanding=True)))
_KEYS_PER_STATEMENT = 400  # (lg, slug) pairs bound at once: far below SQLite's variable limit


def _status_of(m: Any) -> ForkStatus:
    return ForkStatus(**{k: m[k] for k in ForkStatus.__struct_fields__})


def _status_values(s: ForkStatus) -> dict[str, Any]:
    return {k: getattr(s, k) for k in ForkStatus.__struct_fields__}


def _divergence_values(s: ForkStatus, d: Divergence) -> dict[str, Any]:
    return {"lg": s.lg, "slug": s.slug, "category": d.category, "field": d.field,
            "label": d.label, "message": d.message, "message_ja": d.message_ja,
            "prefecture_code": s.prefecture_code, "upstream_template": s.upstream_template or ""}


class LineageIndex:
    """Reads and writes of the lineage tables over one ``SqlIndex``'s engine."""

    def __init__(self, index: SqlIndex) -> None:
        self.index = index

    # -- writes ----------------------------------------------------------------------------

    def put(self, status: ForkStatus, divergences: list[Divergence] | None) -> None:
        """Replace one template's status; and its divergences when given (None keeps them)."""
        here = {"k_lg": status.lg, "k_slug": status.slug}
        with self.index._write() as conn:
            conn.execute(_DELETE_STATUS, here)
            conn.execute(_INSERT_STATUS, _status_values(status))
            if divergences is not None:
                conn.execute(_DELETE_DIVERGENCE, here)
                rows = [_divergence_values(status, x) for x in divergences]
                if rows:
                    conn.execute(_INSERT_DIVERGENCE, rows)

    def replace_all(self, statuses: Iterable[ForkStatus],
                    divergences: Mapping[str, list[Divergence]]) -> None:
        """Replace both tables in one transaction (reindex)."""
        statuses = list(statuses)
        # Rows as the structs' own tuples (100k templates: dicts per row were 0.3 s)
        status_rows = [msgspec.structs.astuple(s) for s in statuses]
        div_rows = [_divergence_values(s, x) for s in statuses for x in divergences.get(s.name, [])]
        with self.index._write() as conn:
            conn.execute(delete(T_DIVERGENCE))
            conn.execute(delete(T_STATUS))
            with bulk.sqlite_indexes_after(conn, self.index.dialect, T_STATUS, T_DIVERGENCE):
                bulk.insert_runs(conn, self.index.dialect, T_STATUS.name,
                                 [(ForkStatus.__struct_fields__, status_rows)])
                self.index._bulk_insert(conn, T_DIVERGENCE, div_rows)
            # Fresh statistics after a bulk load, as SqlIndex.rebuild does: the planners pick
            # the covering indexes by them.
            for table in (T_STATUS, T_DIVERGENCE):
                conn.exec_driver_sql(f"ANALYZE {table.name}")

    # -- reads -----------------------------------------------------------------------------

    def needs_build(self) -> bool:
        """True when templates are indexed but the lineage tables are empty (a database
        migrated from before them): they are then built once from git."""
        from registry.storage.sql_index import T_TEMPLATES

        with self.index._read() as conn:
            has_status = conn.execute(select(T_STATUS.c.lg).limit(1)).first() is not None
            has_templates = conn.execute(select(T_TEMPLATES.c.lg).limit(1)).first() is not None
        return has_templates and not has_status

    def of_municipality(self, lg: str) -> list[ForkStatus]:
        """A municipality's templates."""
        s = T_STATUS
        with self.index._read() as conn:
            rows = conn.execute(select(s).where(s.c.lg == lg).order_by(s.c.slug)).all()
        return [_status_of(r._mapping) for r in rows]

    def direct_forks(self, name: str) -> list[ForkStatus]:
        """The templates whose upstream is ``name``."""
        with self.index._read() as conn:
            rows = conn.execute(_DIRECT_FORKS, {"k_name": name}).all()
        return [_status_of(r._mapping) for r in rows]

    def detached_events(self, names: Sequence[str] | None = None) -> list[ChangeEvent]:
        """The ``detached`` feed events of the templates ``names`` (``lg/slug``; every
        template's when None), oldest first. Read at every publish (the template and its
        forks) and by a rebuild (all of them, however many)."""
        with self.index._read() as conn:
            if names is None:
                rows = conn.execute(_DETACHED).all()
            else:
                keys = [tuple(n.split("/", 1)) for n in names]
                rows = [r for i in range(0, len(keys), _KEYS_PER_STATEMENT)
                        for r in conn.execute(_DETACHED_OF,
                                              {"k_keys": keys[i:i + _KEYS_PER_STATEMENT]})]
                rows.sort(key=lambda r: r.id)
        return [ChangeEvent(**dict(r._mapping)) for r in rows]

    def lineage(self, lg: str, slug: str) -> dict[str, ForkStatus]:
        """Every template of the lineage of ``lg/slug``: its upstreams and everything under them."""
        s = T_STATUS
        out: dict[str, ForkStatus] = {}
        with self.index._read() as conn:
            current: str | None = f"{lg}/{slug}"
            top = current
            while current and current not in out:
                clg, _, cslug = current.partition("/")
                row = conn.execute(select(s).where(s.c.lg == clg, s.c.slug == cslug)).one_or_none()
                if row is None:
                    break
                st = _status_of(row._mapping)
                out[current] = st
                top = current
                current = st.upstream_template
            frontier = [top] if top in out else []
            expanded: set[str] = set()
            while frontier and len(out) < _MAX_LINEAGE:
                expanded.update(frontier)
                rows = conn.execute(select(s).where(s.c.upstream_template.in_(frontier))).all()
                frontier = []
                for r in rows:
                    st = _status_of(r._mapping)
                    out.setdefault(st.name, st)
                    if st.name not in expanded:
                        frontier.append(st.name)
        return out

    def divergences(self, names: Iterable[str]) -> dict[str, list[Divergence]]:
        """The stored divergences of each named fork."""
        keys = [tuple(n.split("/", 1)) for n in names]
        out: dict[str, list[Divergence]] = {f"{lg}/{slug}": [] for lg, slug in keys}
        d = T_DIVERGENCE
        with self.index._read() as conn:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                rows = conn.execute(select(d).where(tuple_(d.c.lg, d.c.slug).in_(chunk))
                                    .order_by(d.c.lg, d.c.slug, d.c.category, d.c.field)).all()
                for r in rows:
                    out[f"{r.lg}/{r.slug}"].append(Divergence(
                        category=r.category, field=r.field, label=r.label, message=r.message,
                        message_ja=r.message_ja))
        return out

    def prefecture_counts(self, code: str) -> dict[str, int]:
        """Headline figures of a prefecture: templates, originals, forks, behind, detached."""
        s = T_STATUS
        fork = s.c.upstream_template.is_not(None)
        with self.index._read() as conn:
            row = conn.execute(select(
                func.count(),
                func.count(func.distinct(s.c.lg)),
                func.sum(cast(fork, Integer)),
                func.sum(cast(and_(fork, s.c.behind > 0, s.c.detached.is_(False)),
                                   type_=s.c.behind.type)),
                func.sum(cast(s.c.detached, Integer)),
            ).where(s.c.prefecture_code == code)).one()
        templates, cities, forks, behind, detached = (int(v or 0) for v in row)
        return {"templates": templates, "municipalities": cities, "forks": forks,
                "originals": templates - forks, "behind": behind, "detached": detached}

    def adoption(self, code: str, limit: int, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """Upstreams used by the prefecture's forks: users, behind, detached; most used first."""
        s = T_STATUS
        is_behind = cast(and_(s.c.behind > 0, s.c.detached.is_(False)), Integer)
        grouped = (select(s.c.upstream_template.label("upstream"),
                          func.count().label("users"),
                          func.sum(is_behind).label("behind"),
                          func.sum(cast(s.c.detached, Integer)).label("detached"),
                          func.max(s.c.behind).label("max_behind"))
                   .where(s.c.prefecture_code == code, s.c.upstream_template.is_not(None))
                   .group_by(s.c.upstream_template))
        sub = grouped.subquery()
        with self.index._read() as conn:
            total = int(conn.execute(select(func.count()).select_from(sub)).scalar() or 0)
            rows = conn.execute(select(sub).order_by(sub.c.users.desc(), sub.c.upstream)
                                .limit(limit).offset(offset)).all()
            names = [tuple(r.upstream.split("/", 1)) for r in rows]
            ups: dict[str, ForkStatus] = {}
            if names:
                for r in conn.execute(select(s).where(tuple_(s.c.lg, s.c.slug).in_(names))).all():
                    st = _status_of(r._mapping)
                    ups[st.name] = st
        out = []
        for r in rows:
            up = ups.get(r.upstream)
            out.append({"template": r.upstream, "title": up.title if up else r.upstream,
                        "municipality_name": up.municipality_name if up else "",
                        "latest_version": up.latest_version if up else None,
                        "users": int(r.users), "behind": int(r.behind or 0),
                        "detached": int(r.detached or 0), "max_behind": int(r.max_behind or 0)})
        return total, out

    def users(self, code: str, upstream: str) -> list[ForkStatus]:
        """The prefecture's forks of ``upstream``."""
        s = T_STATUS
        with self.index._read() as conn:
            rows = conn.execute(select(s).where(s.c.prefecture_code == code,
                                                s.c.upstream_template == upstream)
                                .order_by(s.c.lg, s.c.slug)).all()
        return [_status_of(r._mapping) for r in rows]

    def divergence_summary(self, code: str | None, upstream: str | None,
                           limit: int) -> list[DivergenceSummary]:
        """Differences counted across forks (of a prefecture, of an upstream, or both).

        Reads ``fork_divergence`` alone through its covering indexes (prefecture and upstream
        are copied into each row), then the fork totals of the upstreams shown, then up to 20
        fork names per difference.
        """
        s, d = T_STATUS, T_DIVERGENCE
        where: list[ColumnElement[bool]] = []
        if code is not None:
            where.append(d.c.prefecture_code == code)
        if upstream is not None:
            where.append(d.c.upstream_template == upstream)
        grouped = (select(d.c.upstream_template.label("upstream"), d.c.category, d.c.field,
                          func.min(d.c.label).label("label"), func.count().label("n"))
                   .where(*where)
                   .group_by(d.c.upstream_template, d.c.category, d.c.field)
                   .order_by(func.count().desc(), d.c.upstream_template, d.c.category, d.c.field)
                   .limit(limit))
        with self.index._read() as conn:
            rows = conn.execute(grouped).all()
            totals: dict[str, int] = {}
            if rows:
                ups = sorted({r.upstream for r in rows})
                tq = (select(s.c.upstream_template, func.count())
                      .where(s.c.upstream_template.in_(ups))
                      .group_by(s.c.upstream_template))
                if code is not None:
                    tq = tq.where(s.c.prefecture_code == code)
                totals = {u: int(n) for u, n in conn.execute(tq).all()}
            forks: dict[tuple[str, str, str], list[str]] = {}
            for r in rows:
                names = conn.execute(
                    select(d.c.lg, d.c.slug)
                    .where(*where, d.c.upstream_template == r.upstream,
                           d.c.category == r.category, d.c.field == r.field)
                    .order_by(d.c.lg, d.c.slug).limit(20)).all()
                forks[(r.upstream, r.category, r.field)] = [f"{a}/{b}" for a, b in names]
        out = []
        for r in rows:
            cat: Category = r.category if r.category in CATEGORIES else "changed"
            total = max(totals.get(r.upstream, 0), int(r.n))
            ja, en = sentence(cat, r.label, int(r.n), total)
            out.append(DivergenceSummary(
                upstream_template=r.upstream, category=cat, field=r.field, label=r.label,
                forks=forks[(r.upstream, r.category, r.field)], count=int(r.n),
                total=total, text_ja=ja, text=en))
        return out

    # -- the change feed, filtered ---------------------------------------------------------

    def changes(self, after: int, limit: int, *, templates: list[str] | None = None,
                municipality: str | None = None, kinds: list[str] | None = None,
                newest: bool = False) -> list[ChangeEvent]:
        """Feed events after a cursor, filtered by templates (``lg/slug``), city and kinds.

        Oldest first; ``newest`` gives the last ``limit`` events, newest first (Atom feeds).
        """
        e = T_EVENTS
        where: list[ColumnElement[bool]] = [e.c.id > after]
        if templates is not None:
            keys = [tuple(t.split("/", 1)) for t in templates][:_MAX_LINEAGE]
            if not keys:
                return []
            where.append(tuple_(e.c.lg, e.c.slug).in_(keys))
        if municipality:
            where.append(e.c.lg == municipality)
        if kinds:
            where.append(e.c.kind.in_(kinds))
        order = e.c.id.desc() if newest else e.c.id
        stmt = select(e).where(*where).order_by(order).limit(max(1, min(limit, 1000)))
        with self.index._read() as conn:
            return [ChangeEvent(**dict(r._mapping)) for r in conn.execute(stmt).all()]
