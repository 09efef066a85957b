"""Bearer tokens → the acting account; the request's address into every audit entry.

Reads are public. A write names its municipality in the path (or the body, for a fork's
target): it needs a token of that municipality or an admin token — no token or an unknown or
revoked one is 401, another municipality's token is 403. Tokens are stored hashed (SqlIndex).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from registry.errors import Forbidden, Unauthenticated
from registry.municipalities import name_of
from registry.storage.ports import Author

if TYPE_CHECKING:
    from litestar import Request

    from registry.service import RegistryService
    from registry.storage.records import TokenInfo

REMOTE_ADDR: contextvars.ContextVar[str | None] = contextvars.ContextVar("yoshiki_remote_addr",
                                                                          default=None)


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def author_of(info: TokenInfo) -> Author:
    """The git author a token writes as: its name and its municipality."""
    lg = info.municipality
    return Author(name=info.name, email=f"{lg or 'admin'}@tokens.yoshiki.invalid",
                  municipality=lg, municipality_name=name_of(lg) if lg else "", admin=info.admin)


def authenticate(request: Request[Any, Any, Any], service: RegistryService) -> Author:
    """The account behind the request's token; Unauthenticated (401) without a live one."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated(
            "this request writes to the registry: send Authorization: Bearer <token>",
            detail_ja="書き込みには認証が必要です。Authorization: Bearer <トークン> を付けてください")
    info = service.index.verify_token(token)
    if info is None:
        raise Unauthenticated("the token is unknown or revoked",
                              detail_ja="トークンが無効です（存在しないか失効しています）")
    return author_of(info)


def authorize(actor: Author, lg: str, request: Request[Any, Any, Any] | None = None,
              service: RegistryService | None = None) -> None:
    """Forbidden (403) unless ``actor`` may write templates of municipality ``lg``.

    A refused attempt by a valid token is audited (action ``denied``): a city's token used
    against another city is worth knowing about. Requests without a valid token are not, so
    anonymous traffic cannot grow the audit log.
    """
    if actor.admin or actor.municipality == lg:
        return
    if request is not None and service is not None:
        service.index.audit(actor.display, "denied", f"{request.method} {request.url.path}",
                            f"municipality {lg}",
                            request.client.host if request.client else None)
    raise Forbidden(f"{actor.display} may not write templates of municipality {lg} ({name_of(lg)})",
                    detail_ja=f"{actor.display} は {name_of(lg)}（{lg}）のテンプレートを書き込めません")


@contextmanager
def remote_addr(request: Request[Any, Any, Any]) -> Iterator[None]:
    """Within this block, audit entries record the request's client address."""
    token = REMOTE_ADDR.set(request.client.host if request.client else None)
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
