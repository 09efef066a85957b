"""Webhooks of a city: ``/api/v1/municipalities/{lg}/webhooks`` (auth as the city).

- ``POST`` ``{"url": "https://..."}`` → 201 with ``secret`` (shown once; it signs every
  delivery: ``X-Yoshiki-Signature: sha256=<hex HMAC-SHA256(secret, body)>``);
- ``GET`` → the city's webhooks; ``DELETE .../{id}`` → 204;
- ``GET .../{id}/deliveries`` → the delivery log (status, attempts, last HTTP status or error).

A webhook receives the events of the city's templates and of the upstreams its forks follow,
as CloudEvents (registry/notices/webhooks.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from registry.municipalities import check_code
from registry.notices.models import Delivery, Webhook
from registry.web.auth import PATH_MUNICIPALITY, remote_addr
from registry.web.deps import Actor, Service
from registry.web.dto import problem_responses

BASE = "/api/v1/municipalities/{lg:str}/webhooks"


class WebhookBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where to send the notices."""

    url: str


@post(BASE, sync_to_thread=True, tags=["webhooks"], status_code=HTTP_201_CREATED,
      opt=PATH_MUNICIPALITY, responses=problem_responses(400, 401, 403))
def create_webhook(request: Request[Any, Any, Any], service: Service, actor: Actor,
                   lg: FromPath[str], data: JSONBody[WebhookBody]) -> Webhook:
    """Register a webhook (refused: non-http(s), private or loopback targets unless allowed)."""
    check_code(lg)
    with remote_addr(request):
        hook: Webhook = service.create_webhook(lg, data.url, actor)
    return hook


@get(BASE, sync_to_thread=True, tags=["webhooks"], opt=PATH_MUNICIPALITY,
     responses=problem_responses(401, 403))
def list_webhooks(service: Service, actor: Actor, lg: FromPath[str]) -> list[Webhook]:
    """The city's webhooks (never the secrets)."""
    return service.webhooks(lg)


@delete(BASE + "/{hook_id:int}", sync_to_thread=True, tags=["webhooks"], opt=PATH_MUNICIPALITY,
        status_code=HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404))
def delete_webhook(request: Request[Any, Any, Any], service: Service, actor: Actor,
                   lg: FromPath[str], hook_id: FromPath[int]) -> None:
    """Remove a webhook; its pending deliveries are cancelled."""
    with remote_addr(request):
        service.delete_webhook(lg, hook_id, actor)


@get(BASE + "/{hook_id:int}/deliveries", sync_to_thread=True, tags=["webhooks"],
     opt=PATH_MUNICIPALITY, responses=problem_responses(401, 403, 404))
def deliveries(service: Service, actor: Actor, lg: FromPath[str], hook_id: FromPath[int],
               limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100) -> list[Delivery]:
    """The delivery log, newest first."""
    return service.webhook_deliveries(lg, hook_id, limit)


HANDLERS = [create_webhook, list_webhooks, delete_webhook, deliveries]
