"""``HEAD`` wherever ``GET`` is served: the request is answered as a GET without its body.

Litestar routes by method before any middleware runs, so a ``@get`` handler answers HEAD with
405. ``answer_head`` wraps the application's ASGI handler instead: a HEAD request is routed as
GET, its headers (Content-Length, ETag, Cache-Control…) are sent as they are, and the body is
dropped (RFC 9110 §9.3.2).
"""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send


def answer_head(app: ASGIApp) -> ASGIApp:
    """An ASGI handler that answers HEAD as GET without the body."""

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        kind: Any = scope.get("type")
        if kind != "http" or scope.get("method") != "HEAD":
            await app(scope, receive, send)
            return
        as_get: Any = dict(scope)
        as_get["method"] = "GET"

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await app(as_get, receive, send_headers_only)

    return handler


__all__ = ["answer_head"]
