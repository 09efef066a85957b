"""Bearer tokens → the acting account; the request's address into every audit entry.

Reads are public. A write names its municipality in the path (or the body, for a fork's
target): it needs a token of that municipality or an admin token — no token or an unknown or
revoked one is 401, another municipality's token is 403. Tokens are stored hashed (SqlIndex).
One guard (``account_guard``, installed by ``create_app``) checks every route whose ``opt``
asks for an account, before the body is read; handlers take the account as ``actor: Actor``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.connection import ASGIConnection

from registry.errors import Forbidden, Unauthenticated
from registry.municipalities import name_of
from registry.readmodels import Author, author_of

if TYPE_CHECKING:
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Guard

    from registry.service import RegistryService

REMOTE_ADDR: contextvars.ContextVar[str | None] = contextvars.ContextVar("yoshiki_remote_addr",
                                                                          default=None)


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = connection.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(connection: ASGIConnection[Any, Any, Any, Any], service: RegistryService) -> Author:
    """The account behind the request's token; Unauthenticated (401) without a live one."""
    return service.account(bearer_token(connection))


def authorize(actor: Author, lg: str, connection: ASGIConnection[Any, Any, Any, Any] | None = None,
              service: RegistryService | None = None) -> None:
    """Forbidden (403) unless ``actor`` may write templates of municipality ``lg``.

    A refused attempt by a valid token is audited (action ``denied``): a city's token used
    against another city is worth knowing about. Requests without a valid token are not, so
    anonymous traffic cannot grow the audit log.
    """
    if actor.admin or actor.municipality == lg:
        return
    if connection is not None and service is not None:
        method = connection.method if isinstance(connection, Request) else "WEBSOCKET"
        service.record_denied(actor, f"{method} {connection.url.path}",
                              f"municipality {lg}",
                              connection.client.host if connection.client else None)
    raise Forbidden(f"{actor.display} may not write templates of municipality {lg} ({name_of(lg)})",
                    detail_ja=f"{actor.display} は {name_of(lg)}（{lg}）のテンプレートを書き込めません")


ACCOUNT = "account"
"""The ``opt`` key of a route that acts as an account (see ``account_guard``)."""
ANY_MUNICIPALITY = {ACCOUNT: "any"}
"""``opt`` of a route any live token may call (it authorises further itself, e.g. a fork's target)."""
PATH_MUNICIPALITY = {ACCOUNT: "path"}
"""``opt`` of a write route on the templates of the municipality named by ``{lg}`` in its path."""


def account_guard(service: RegistryService) -> Guard:
    """The one guard of every route with an ``account`` opt: 401, then 403, before the body is read.

    Litestar runs guards before it parses the request body, so an unauthenticated write answers
    401 and another municipality's token 403 whatever the body (never 400, 413 or 422 first).
    The account is left in ``connection.state`` for the ``actor`` dependency.
    """

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        need = handler.opt.get(ACCOUNT)
        if need is None:
            return
        with remote_addr(connection):
            actor = authenticate(connection, service)
            if need == "path":
                authorize(actor, str(connection.path_params["lg"]), connection, service)
        connection.state[ACCOUNT] = actor

    return guard


def provide_actor(request: Request[Any, Any, Any]) -> Author:
    """The acting account the guard authenticated (``actor: Actor`` in a handler)."""
    actor = request.state.get(ACCOUNT)
    if not isinstance(actor, Author):  # a route without the opt asked for an account
        raise Unauthenticated("this request needs an account: send Authorization: Bearer <token>",
                              detail_ja="認証が必要です。Authorization: Bearer <トークン> を付けてください")
    return actor


@contextmanager
def remote_addr(connection: ASGIConnection[Any, Any, Any, Any]) -> Iterator[None]:
    """Within this block, audit entries record the request's client address."""
    token = REMOTE_ADDR.set(connection.client.host if connection.client else None)
    try:
        yield
    finally:
        REMOTE_ADDR.reset(token)


class _AuditingIndex:
    """Delegates to the index; ``audit`` fills in the current request's address."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def audit(self, actor: str, action: str, target: str, detail: str | None = None,
              remote_addr: str | None = None, **keyed: Any) -> None:
        """Append one audit entry, from where the request came."""
        self._inner.audit(actor, action, target, detail, remote_addr or REMOTE_ADDR.get(), **keyed)


def install_request_audit(service: RegistryService) -> None:
    """Make the service's audit entries carry the request's address (idempotent)."""
    if not isinstance(service.index, _AuditingIndex):
        service.index = _AuditingIndex(service.index)

__all__ = [
    "ACCOUNT",
    "ANY_MUNICIPALITY",
    "PATH_MUNICIPALITY",
    "account_guard",
    "authenticate",
    "author_of",
    "authorize",
    "bearer_token",
    "install_request_audit",
    "provide_actor",
    "remote_addr",
]
