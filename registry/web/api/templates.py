"""Search and read templates: ``GET /api/v1/templates``, ``.../{lg}/{slug}``, ``.../history``."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.service import HistoryEntry
from registry.web.deps import Service
from registry.web.dto import TemplateDetail, TemplateList, problem_responses
from registry.web.limits import template_key

BASE = "/api/v1/templates"


@get(BASE, sync_to_thread=True, tags=["templates"],
     responses=problem_responses(400))
def search_templates(
    service: Service,
    q: FromQuery[str | None] = None,
    municipality: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
    tag: FromQuery[str | None] = None,
    prefecture: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> TemplateList:
    """Search templates (Japanese text; filters by municipality, category, tag, prefecture)."""
    items, next_cursor = service.search(q or None, municipality=municipality or None,
                                        category=category or None, tag=tag or None,
                                        prefecture=prefecture or None, cursor=cursor or None,
                                        limit=limit)
    return TemplateList(items=items, next_cursor=next_cursor)


@get(BASE + "/{lg:str}/{slug:str}", sync_to_thread=True, tags=["templates"],
     responses=problem_responses(400, 404))
def get_template(service: Service, lg: FromPath[str], slug: FromPath[str]) -> TemplateDetail:
    """A template: summary, versions, upstream chain, forks, releases behind its upstream."""
    return service.template_detail(template_key(lg, slug))


@get(BASE + "/{lg:str}/{slug:str}/history", sync_to_thread=True, tags=["templates"],
     responses=problem_responses(400, 404))
def template_history(service: Service, lg: FromPath[str], slug: FromPath[str]) -> list[HistoryEntry]:
    """The template's versions from git: author, date, event, bump, changelog, deprecation."""
    return service.history(template_key(lg, slug))


HANDLERS = [search_templates, get_template, template_history]
