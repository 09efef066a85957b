"""Forks and pulls: ``POST .../{lg}/{slug}/fork`` and ``POST .../{lg}/{slug}/pull``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from registry.errors import UsageError
from registry.municipalities import check_code
from registry.service import PublishResult, PullResult
from registry.web.auth import ANY_MUNICIPALITY, PATH_MUNICIPALITY, authorize, remote_addr
from registry.web.deps import Actor, Config, Service
from registry.web.dto import ForkBody, PullBody, problem_responses
from registry.web.limits import check_document, template_key, version_key

BASE = "/api/v1/templates/{lg:str}/{slug:str}"


def _location(result: PublishResult) -> dict[str, str]:
    return {"Location": f"/api/v1/templates/{result.template}/versions/{result.version}"}


@post(BASE + "/fork", sync_to_thread=True, tags=["lineage"], status_code=HTTP_201_CREATED,
      opt=ANY_MUNICIPALITY, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def fork(request: Request[Any, Any, Any], service: Service, actor: Actor, lg: FromPath[str],
         slug: FromPath[str], data: JSONBody[ForkBody]) -> Response[PublishResult]:
    """Fork a version (default: the latest) into municipality ``to`` (201 + Location)."""
    source = template_key(lg, slug)
    check_code(data.to)
    target = template_key(data.to, data.slug or source.slug)
    if data.version is not None:
        version_key(lg, slug, data.version)
    authorize(actor, target.lg, request, service)  # the target is in the body: checked here
    with remote_addr(request):
        result = service.fork(source, data.version, to_lg=target.lg, to_slug=target.slug,
                              actor=actor, dry_run=data.dry_run)
    if data.dry_run:
        return Response(result, status_code=HTTP_200_OK)
    return Response(result, status_code=HTTP_201_CREATED, headers=_location(result))


@post(BASE + "/pull", sync_to_thread=True, tags=["lineage"], status_code=HTTP_201_CREATED,
      opt=PATH_MUNICIPALITY, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def pull(request: Request[Any, Any, Any], service: Service, settings: Config, actor: Actor,
         lg: FromPath[str], slug: FromPath[str], data: JSONBody[PullBody]) -> Response[PullResult]:
    """Merge the newest upstream version into this fork and publish it (201), or 409 conflicts.

    200 when the fork is up to date or for a dry run.
    """
    key = template_key(lg, slug)
    resolutions: dict[str, Any] = {}
    for pointer, choice in data.resolutions.items():
        if choice in ("ours", "theirs"):
            resolutions[pointer] = choice
        elif isinstance(choice, dict) and set(choice) == {"value"}:
            check_document(choice["value"], settings, "resolution")
            resolutions[pointer] = {"value": choice["value"]}
        else:
            raise UsageError(
                f"the resolution of {pointer} must be \"ours\", \"theirs\" or {{\"value\": ...}}",
                detail_ja=f"{pointer} の解決方法は \"ours\"、\"theirs\"、{{\"value\": ...}} のいずれかです")
    if data.schema is not None:
        check_document(data.schema, settings, "schema")
    with remote_addr(request):
        result = service.pull(key, actor=actor, resolutions=_values(resolutions),
                              schema=data.schema, dry_run=data.dry_run)
    if result.published is None or data.dry_run:
        return Response(result, status_code=HTTP_200_OK)
    return Response(result, status_code=HTTP_201_CREATED, headers=_location(result.published))


def _values(resolutions: dict[str, Any]) -> dict[str, Any]:
    """The merge's resolutions: "ours", "theirs" or ``Value(x)``."""
    from registry.merge import Value

    return {p: (Value(c["value"]) if isinstance(c, dict) else c) for p, c in resolutions.items()}


HANDLERS = [fork, pull]
