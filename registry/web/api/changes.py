"""``GET /api/v1/changes?after=CURSOR&limit=``: the append-only change feed, oldest first."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import FromQuery, QueryParameter

from registry.errors import UsageError
from registry.web.deps import Service
from registry.web.dto import ChangeFeed, problem_responses


@get("/api/v1/changes", sync_to_thread=True, tags=["changes"],
     responses=problem_responses(400))
def change_feed(service: Service, after: FromQuery[str | None] = None,
                limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
                template: FromQuery[str | None] = None, upstream: FromQuery[str | None] = None,
                municipality: FromQuery[str | None] = None,
                kind: FromQuery[str | None] = None) -> ChangeFeed:
    """Events after a cursor, oldest first; poll with ``next_cursor``.

    Filters (all must hold): ``template=LG/SLUG``, ``upstream=LG/SLUG`` (events of every fork
    under it, forks of forks included), ``municipality=LG``, ``kind=published,pulled,...``.
    """
    start = 0
    if after:
        if not (after.isascii() and after.isdigit() and len(after) <= 18):
            raise UsageError(f"invalid change cursor {after!r}; use the next_cursor of a previous page",
                             detail_ja=f"変更フィードのカーソル {after!r} が正しくありません。前のページの next_cursor を使ってください")
        start = int(after)
    events = service.changes(start, limit, template=template or None, upstream=upstream or None,
                             municipality=municipality or None, kind=kind or None)
    return ChangeFeed(events=events, next_cursor=str(events[-1].id if events else start))


HANDLERS = [change_feed]
