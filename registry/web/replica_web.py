"""What a read replica answers itself, and what it hands to its primary.

A replica (registry/replica.py) serves every read from its own repository and index. What only
the primary can answer goes there:

- **API routes that act as an account** — every write (publish, fork, pull, deprecate, detach,
  webhooks) and the account's own reads (whoami, audit log, webhook deliveries) — are
  **forwarded**: method, path, query, body and headers (``Authorization`` included) go to the
  primary as they came, and its answer comes back as it was. The replica holds no token (the
  token table is not in git), so the primary checks every token, authorises and audits; the
  replica never decides who may write. A CLI user therefore needs to know nothing of nodes. After
  a forwarded write succeeds, the replica syncs before it answers, so the writer reads what it
  wrote from the same replica. A primary that cannot be reached is a 503 problem
  ``primary-unavailable`` naming the primary (Japanese and English).
- **Staff pages** — sign-in (``/login``, ``/logout``, ``/me``), the editor (``/new``,
  ``/t/…/edit``) and the page forms that write (``/t/…/fork``, ``/pull``, ``/import``) — are
  redirected (303) to the same page on the primary: a session lives in the primary's index, and
  forms post to the node that signed them. Every page of a replica shows a banner saying so.

Everything else — the catalogue, search, versions, diffs, feeds, paper forms, ``/git`` — is
answered by the replica itself.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import httpx
import msgspec
from litestar.utils import normalize_path

from registry.web.auth import ACCOUNT
from registry.web.problems import PROBLEM_JSON, TYPE_BASE

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import ASGIApp, Receive, Send

    from registry.config import Settings
    from registry.replica import Follower

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length"})
STAFF_PAGES = re.compile(r"^/(?:login|logout|me|new)$|^/t/[^/]+/[^/]+/(?:edit(?:/.*)?|fork|pull|import)$")
FORWARD_TIMEOUT = 120.0
SYNC_WAIT = 30.0


def staff_redirect(settings: Settings, method: str, path: str, query: str) -> str:
    """Where on the primary a staff page of this replica continues."""
    assert settings.primary_url
    if method == "GET":
        return settings.primary_url + path + (f"?{query}" if query else "")
    if path == "/logout":
        return settings.primary_url + "/"
    parts = path.split("/")
    if path.startswith("/t/") and len(parts) >= 4:
        return settings.primary_url + "/".join(parts[:4])
    return settings.primary_url + path


def _raw_path(scope: Any) -> str:
    """The path as the client sent it (percent-encoded), without the query some servers leave on."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    return raw.split(b"?", 1)[0].decode("latin-1")


async def _send_problem(send: Send, status: int, code: str, title: str, detail: str,
                        detail_ja: str, instance: str, **extra: Any) -> None:
    body = msgspec.json.encode({"type": TYPE_BASE + code, "title": title, "status": status,
                                "code": code, "detail": detail, "detail_ja": detail_ja,
                                "instance": instance, **extra})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def follow_primary(app: Litestar, inner: ASGIApp, settings: Settings, follower: Follower) -> ASGIApp:
    """``inner`` (the app's ASGI handler) with a replica's forwarding and redirects in front."""
    assert settings.primary_url
    primary = settings.primary_url
    clients: dict[int, httpx.AsyncClient] = {}

    def client() -> httpx.AsyncClient:
        loop = id(asyncio.get_running_loop())
        if loop not in clients:
            clients[loop] = httpx.AsyncClient(timeout=FORWARD_TIMEOUT, follow_redirects=False,
                                              trust_env=False)
        return clients[loop]

    def needs_primary(path: str, method: str) -> bool:
        try:
            _, handler, *_ = app.asgi_router.handle_routing(path=normalize_path(path), method=method)
        except Exception:  # no such route (404) or method (405): answered here, as the primary would
            return False
        opt = getattr(handler, "opt", None) or {}
        return opt.get(ACCOUNT) is not None

    async def forward(scope: Any, receive: Receive, send: Send) -> None:
        method = scope["method"]
        path = scope["path"]
        query = scope.get("query_string", b"")
        url = primary + _raw_path(scope) + ("?" + query.decode("latin-1") if query else "")
        body = await _read_body(receive, settings.max_body_bytes)
        if body is None:
            await _send_problem(send, 413, "too-large", "大きすぎます / Limit exceeded",
                                f"the request body is larger than {settings.max_body_bytes} bytes",
                                f"リクエスト本文が大きすぎます（{settings.max_body_bytes} バイトまで）",
                                path, limit="max_body_bytes", max=settings.max_body_bytes)
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])
                   if k.decode("latin-1").lower() not in HOP_BY_HOP]
        client_host = (scope.get("client") or ("", 0))[0]
        if client_host:
            headers.append(("x-forwarded-for", client_host))
        headers.append(("via", "1.1 yoshiki-replica"))
        try:
            request = client().build_request(method, url, headers=headers, content=body)
            response = await client().send(request, stream=True)
            try:
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            await _send_problem(
                send, 503, "primary-unavailable", "主ノードに接続できません / Primary unavailable",
                f"this node is a read-only replica; writes and accounts are served by the primary "
                f"{primary}, which could not be reached ({type(exc).__name__}). Try again, or use "
                f"{primary} directly.",
                f"このノードは読み取り専用のレプリカです。書き込みとアカウントは主ノード {primary} が"
                f"受け付けますが、接続できませんでした（{type(exc).__name__}）。しばらくしてから再度"
                f"お試しいただくか、{primary} を直接お使いください。", path, primary=primary)
            return
        answered = time.monotonic()
        if method in UNSAFE_METHODS and 200 <= response.status_code < 300:
            # Read-your-writes: what the primary just committed is fetched before we answer.
            await anyio.to_thread.run_sync(lambda: follower.sync_since(answered, SYNC_WAIT))
        out = [(k, v) for k, v in response.headers.raw
               if k.decode("latin-1").lower() not in HOP_BY_HOP]
        out.append((b"content-length", str(len(raw)).encode()))
        out.append((b"x-yoshiki-served-by", b"primary"))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": raw, "more_body": False})

    async def redirect(scope: Any, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        location = staff_redirect(settings, scope["method"], _raw_path(scope), query)
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode("latin-1")),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def handler(scope: Any, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":  # websocket, lifespan
            await inner(scope, receive, send)
            return
        path, method = scope["path"], scope.get("method", "GET")
        if path.startswith("/api/") and needs_primary(path, method):
            await forward(scope, receive, send)
        elif STAFF_PAGES.match(path):
            await redirect(scope, send)
        else:
            await inner(scope, receive, send)

    return handler


__all__ = ["STAFF_PAGES", "follow_primary", "staff_redirect"]
