"""What every request and response goes through before any handler: headers, origins, grammar.

- ``add_security_headers`` (a ``before_send`` hook): CSP without inline scripts, nosniff,
  ``frame-ancestors 'none'`` + ``X-Frame-Options: DENY`` and ``Referrer-Policy`` on every
  response — pages, API, static files, errors and unmatched routes alike.
- ``check_request`` (an app-wide guard, so it runs before any body is read): a NUL or another
  C0 control character in the query string or path is a 400; an unsafe method on a page from
  another site (``Sec-Fetch-Site: cross-site``, or an ``Origin`` other than the server's own) is
  a 403; a page's path parameters (LG code, slug, version) must pass the same grammar as the
  API's (``registry.web.limits``) or the page is a 404 — a malformed name never reaches git.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException

from registry.errors import NotFound, UsageError
from registry.web import limits

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Message, Scope

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
"""Scripts only from the registry itself (no inline script); inline styles are allowed because
Swagger UI sets style attributes."""

HEADERS: dict[str, str] = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CROSS_SITE = "CROSS_SITE"
"""The detail of the 403 a page answers to a cross-site form (pages render it in words)."""
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send``: the security headers on every HTTP response (kept when a handler set one)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in HEADERS.items():
        if name not in headers:
            headers[name] = value


def is_page(path: str) -> bool:
    """True for the HTML pages (everything but the API, the health check, the OpenAPI UI and git)."""
    return not path.startswith(("/api/", "/healthz", "/schema", "/static/", "/git/"))


def _refuse_controls(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    raw = connection.scope.get("query_string", b"")
    if _CONTROL.search(unquote_to_bytes(raw)) or _CONTROL.search(connection.scope["path"].encode()):
        raise UsageError(
            "the request's address contains a control character (such as NUL); remove it",
            detail_ja="アドレスに制御文字（NUL など）が含まれています。取り除いてください")


def same_site(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """False when the browser says the request comes from another site (or its Origin is not ours)."""
    headers = connection.headers
    if headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return False
    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser, or an old one: the CSRF token still guards the form
    if origin.strip().lower() == "null":
        return False
    host = (headers.get("x-forwarded-host") or headers.get("host") or "").split(",")[0].strip().lower()
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    return bool(parts.netloc) and parts.netloc.lower() == host


def _page_names(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    params = connection.path_params
    lg, slug, version = params.get("lg"), params.get("slug"), params.get("version")
    try:
        if lg is not None and slug is not None and version is not None:
            limits.version_key(str(lg), str(slug), str(version))
        elif lg is not None and slug is not None:
            limits.template_key(str(lg), str(slug))
        elif lg is not None:
            from registry.municipalities import check_code

            check_code(str(lg))
        for name in ("from", "to"):
            given = connection.query_params.get(name)
            if given and lg is not None and slug is not None:
                limits.version_key(str(lg), str(slug), given)
    except UsageError as exc:
        # A name outside the grammar cannot exist: the page is not found.
        raise NotFound(exc.detail, detail_ja=exc.detail_ja) from None


def check_request(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """App-wide guard: controls in the address (400), cross-site page writes (403), page names (404)."""
    _refuse_controls(connection)
    cursor = connection.query_params.get("cursor")
    if cursor and connection.scope["path"] == "/api/v1/templates":
        limits.check_cursor(cursor)
    path = connection.scope["path"]
    if not is_page(path):
        return
    if connection.scope.get("method", "GET") in UNSAFE_METHODS and not same_site(connection):
        raise HTTPException(status_code=403, detail=CROSS_SITE)
    _page_names(connection)


__all__ = ["CROSS_SITE", "CSP", "HEADERS", "add_security_headers", "check_request", "is_page",
           "same_site"]
