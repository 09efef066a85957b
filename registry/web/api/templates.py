"""Search and read templates: ``GET /api/v1/templates``, ``.../{lg}/{slug}``, ``.../history``."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import Parameter

from registry.errors import NotFound, UsageError
from registry.service import HistoryEntry, RegistryService
from registry.web.dto import TemplateDetail, TemplateList
from registry.web.limits import template_key

BASE = "/api/v1/templates"


@get(BASE, sync_to_thread=True, tags=["templates"])
def search_templates(
    service: RegistryService,
    q: str | None = None,
    municipality: str | None = None,
    category: str | None = None,
    tag: str | None = None,
    prefecture: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
) -> TemplateList:
    """Search templates (Japanese text; filters by municipality, category, tag, prefecture)."""
    items, next_cursor = service.search(q or None, municipality=municipality or None,
                                        category=category or None, tag=tag or None,
                                        prefecture=prefecture or None, cursor=cursor or None,
                                        limit=limit)
    return TemplateList(items=items, next_cursor=next_cursor)


@get(BASE + "/{lg:str}/{slug:str}", sync_to_thread=True, tags=["templates"])
def get_template(service: RegistryService, lg: str, slug: str) -> TemplateDetail:
    """A template: summary, versions, upstream chain, forks, releases behind its upstream."""
    key = template_key(lg, slug)
    summary = service.index.get_template(key.lg, key.slug)
    if summary is None:
        raise NotFound(f"template {key} does not exist", detail_ja=f"テンプレート {key} はありません")
    lineage = service.lineage(key)
    behind: int | None = None
    if summary.upstream_template:
        try:
            behind = service.behind(key)
        except (NotFound, UsageError):
            behind = None
    return TemplateDetail(template=summary, versions=service.index.versions(key.lg, key.slug),
                          upstream_chain=lineage.upstream_chain, forks=lineage.forks, behind=behind)


@get(BASE + "/{lg:str}/{slug:str}/history", sync_to_thread=True, tags=["templates"])
def template_history(service: RegistryService, lg: str, slug: str) -> list[HistoryEntry]:
    """The template's versions from git: author, date, event, bump, changelog, deprecation."""
    return service.history(template_key(lg, slug))


HANDLERS = [search_templates, get_template, template_history]
