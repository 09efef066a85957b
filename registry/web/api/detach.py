"""``POST /api/v1/templates/{lg}/{slug}/detach``: a fork's city ends its relation to the upstream.

Auth: a token of the fork's municipality (or an admin). Body: ``{}`` or ``{"reason": "…"}``.
Writes ``<lg>/<slug>/detached.json`` in git, audits it, adds a ``detached`` change-feed event;
the template's next version may then leave out ``upstream`` (registry/lineage.py).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from registry.service import DetachResult
from registry.web.auth import PATH_MUNICIPALITY, remote_addr
from registry.web.deps import Actor, Service
from registry.web.dto import problem_responses
from registry.web.limits import template_key

BASE = "/api/v1/templates/{lg:str}/{slug:str}"


class DetachBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Why the fork leaves its upstream (optional, shown on both templates' pages)."""

    reason: str | None = msgspec.field(default=None)


@post(BASE + "/detach", sync_to_thread=True, tags=["lineage"], status_code=HTTP_200_OK,
      opt=PATH_MUNICIPALITY, responses=problem_responses(400, 401, 403, 404, 409))
def detach(request: Request[Any, Any, Any], service: Service, actor: Actor, lg: FromPath[str],
           slug: FromPath[str], data: JSONBody[DetachBody]) -> DetachResult:
    """Detach this fork from its upstream (its next version may leave out ``upstream``)."""
    key = template_key(lg, slug)
    with remote_addr(request):
        return service.detach(key, actor, reason=data.reason)


HANDLERS = [detach]
