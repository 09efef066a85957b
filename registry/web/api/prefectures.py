"""Whole lineage, prefecture views and Atom feeds (all public, read-only).

- ``GET /api/v1/templates/{lg}/{slug}/lineage``: the full tree of forks around a template;
- ``GET /api/v1/templates/{lg}/{slug}/users``: 「このテンプレートを使っている自治体」 — the tree
  and the differences counted across its forks;
- ``GET /api/v1/prefectures/{code}/adoption[?template=LG/SLUG]``: upstreams the prefecture's
  cities use, who is behind, who detached (``code``: 13, 130001 or 東京都);
- ``GET /api/v1/prefectures/{code}/divergence[?template=LG/SLUG]``: what the forks changed;
- ``GET /api/v1/templates/{lg}/{slug}/feed.atom``, ``GET /api/v1/municipalities/{lg}/feed.atom``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.forktree import Adoption, ForkStatus, LineageTree, PrefectureDivergence, TemplateUsers
from registry.municipalities import check_code, name_of
from registry.notices import atom
from registry.service import now_iso
from registry.web.deps import Config, Service
from registry.web.dto import problem_responses
from registry.web.limits import template_key

TEMPLATE = "/api/v1/templates/{lg:str}/{slug:str}"
PREFECTURE = "/api/v1/prefectures/{code:str}"


def _template_param(template: str | None) -> str | None:
    return str(template_key(*template.split("/", 1))) if template and "/" in template else template


@get(TEMPLATE + "/lineage", sync_to_thread=True, tags=["lineage"],
     responses=problem_responses(400, 404))
def lineage_tree(service: Service, lg: FromPath[str], slug: FromPath[str]) -> LineageTree:
    """Every fork under the template's furthest upstream: city, version, upstream version, behind."""
    return service.lineage_tree(template_key(lg, slug))


@get(TEMPLATE + "/users", sync_to_thread=True, tags=["lineage"],
     responses=problem_responses(400, 404))
def template_users(service: Service, lg: FromPath[str], slug: FromPath[str]) -> TemplateUsers:
    """The cities that use the template (whole lineage) and what their forks changed, counted."""
    return service.template_users(template_key(lg, slug))


@get(PREFECTURE + "/adoption", sync_to_thread=True, tags=["prefectures"],
     responses=problem_responses(400, 404))
def adoption(service: Service, code: FromPath[str], template: FromQuery[str | None] = None,
             limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
             offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0) -> Adoption:
    """Templates used in the prefecture: users, versions, behind, detached (most used first)."""
    return service.adoption(code, template=_template_param(template), limit=limit, offset=offset)


@get(PREFECTURE + "/divergence", sync_to_thread=True, tags=["prefectures"],
     responses=problem_responses(400, 404))
def divergence(service: Service, code: FromPath[str], template: FromQuery[str | None] = None,
               limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50) -> PrefectureDivergence:
    """What the prefecture's forks changed from their upstreams, counted across forks."""
    return service.divergence(code, template=_template_param(template), limit=limit)


def _atom(request: Request[Any, Any, Any], settings: Any, feed_id: str, title: str,
          events: list[Any]) -> Response[bytes]:
    base = settings.base_url.rstrip("/")
    body = atom.feed(feed_id=feed_id, title=title, self_url=f"{base}{request.url.path}",
                     base_url=base, events=events, updated=now_iso())
    return Response(body, media_type=atom.MEDIA_TYPE)


@get(TEMPLATE + "/feed.atom", sync_to_thread=True, tags=["changes"],
     responses=problem_responses(400, 404))
def template_atom(request: Request[Any, Any, Any], service: Service, settings: Config,
                  lg: FromPath[str], slug: FromPath[str]) -> Response[bytes]:
    """Atom feed of a template and its upstreams (newest 50 events)."""
    key = template_key(lg, slug)
    events = service.feed_events(template=key)
    return _atom(request, settings, f"tag:yoshiki.invalid,2026:template/{key}",
                 f"{name_of(key.lg)} {key.slug} の更新 / changes", events)


@get("/api/v1/municipalities/{lg:str}/feed.atom", sync_to_thread=True, tags=["changes"],
     responses=problem_responses(400, 404))
def municipality_atom(request: Request[Any, Any, Any], service: Service, settings: Config,
                      lg: FromPath[str]) -> Response[bytes]:
    """Atom feed of a city's templates and of the upstreams its forks follow."""
    check_code(lg)
    events = service.feed_events(municipality=lg)
    return _atom(request, settings, f"tag:yoshiki.invalid,2026:municipality/{lg}",
                 f"{name_of(lg)} のテンプレートの更新 / changes", events)


@get("/api/v1/municipalities/{lg:str}/behind", sync_to_thread=True, tags=["lineage"],
     responses=problem_responses(400, 404))
def behind(service: Service, lg: FromPath[str]) -> list[ForkStatus]:
    """The city's forks with upstream releases waiting (``yoshiki watch``), public."""
    check_code(lg)
    return service.behind_forks(lg)


HANDLERS = [behind, lineage_tree, template_users, adoption, divergence, template_atom, municipality_atom]
