"""``/git``: the repository over git's smart HTTP protocol, read-only and public like the catalogue.

``git clone http://host:port/git`` works against a primary or a replica, and replicas follow
their primary with ``git fetch <primary>/git`` (registry/replica.py). Two requests exist, both
answered by ``git http-backend`` run as a CGI program:

- ``GET /git/info/refs?service=git-upload-pack`` — the ref advertisement;
- ``POST /git/git-upload-pack`` — the pack negotiation (``application/x-git-upload-pack-request``).

Everything else is refused before git runs: ``git-receive-pack`` (a push, in either request) is a
403 problem — the registry is written through its API only, where every publish is checked;
the dumb protocol (``info/refs`` without ``service``, ``HEAD``, ``objects/…``) is a 404 problem.
The request body is read into memory up to ``MAX_BODY_BYTES`` first (a 413 problem beyond; the
client's gzip is inflated by git), then handed to git; the response (a pack can be large) is
streamed as git writes it. What git refuses (junk, a bad gzip stream) is a 4xx, never a 500:
git's ``Status: 5xx`` for a request it could not parse is answered as 400. At most
``MAX_PROCESSES`` git programs run at once per worker; more requests wait their turn.
``GET /git/tip?after=<commit>&wait=<seconds>`` is a long poll for replicas (JSON ``{"tip"}``):
it answers as soon as ``main`` is not ``after``, reading the ref files, no git process.
Only objects reachable from the branch are served (upload-pack's default), so the unreferenced
objects a lost write race leaves behind never leave the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import asgi
from litestar.exceptions import HTTPException

from registry.errors import Forbidden, LimitExceeded, NotFound, UsageError

if TYPE_CHECKING:
    from litestar.types import Receive, Send

    from registry.config import Settings

MAX_BODY_BYTES = 8 * 1024 * 1024
"""A negotiation is want/have lines (~50 bytes each); 8 MiB is ~160k of them."""
MAX_PROCESSES = 8
MAX_HEADER_BYTES = 64 * 1024
SERVICE = "git-upload-pack"
_PROTOCOL = re.compile(r"^[A-Za-z0-9=.:,_-]{1,64}$")
_PASSED_HEADERS = ("content-type", "cache-control", "expires", "pragma")
log = logging.getLogger("yoshiki.git")
_slots: dict[int, asyncio.Semaphore] = {}


def _refuse_push() -> Forbidden:
    return Forbidden(
        "the registry's git repository is read-only: publish through the API (yoshiki publish)",
        detail_ja="レジストリの git リポジトリは読み取り専用です。公開は API（yoshiki publish）で行ってください")


WAIT_MAX_SECONDS = 25.0
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


def read_tip(repo: Path) -> str | None:
    """``refs/heads/main`` read from the files (no process): the loose ref, else packed-refs."""
    try:
        loose = (repo / "refs" / "heads" / "main").read_text().strip()
    except OSError:
        loose = ""
    if _HEX40.match(loose):
        return loose
    try:
        packed = (repo / "packed-refs").read_text()
    except OSError:
        return None
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name.strip() == "refs/heads/main" and _HEX40.match(sha):
            return sha
    return None


async def _wait_for_tip(repo: Path, query: str, send: Send) -> None:
    """``GET /git/tip?after=<commit>&wait=<s>``: the tip as soon as it is not ``after`` (long poll).

    Replicas wait here instead of fetching on a timer: the answer comes within ~20 ms of a
    publish, and a replica with nothing to fetch costs the primary no git process at all.
    """
    from urllib.parse import parse_qs

    params = parse_qs(query, max_num_fields=4)
    after = (params.get("after") or [""])[0]
    try:
        wait = min(max(float((params.get("wait") or ["0"])[0]), 0.0), WAIT_MAX_SECONDS)
    except ValueError:
        wait = -1.0
    if (after and not _HEX40.match(after)) or not wait >= 0:
        raise UsageError("tip takes after=<40 hex digits> and wait=<seconds, at most 25>",
                         detail_ja="tip には after=<16進40桁> と wait=<秒、25 まで> を指定してください")
    deadline = asyncio.get_running_loop().time() + wait
    tip = read_tip(repo)
    while tip == (after or None) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
        tip = read_tip(repo)
    body = json.dumps({"tip": tip}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"cache-control", b"no-store"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _route(method: str, path: str, query: str) -> str:
    """The CGI PATH_INFO for an allowed request, or the problem to answer."""
    if "git-receive-pack" in path or "git-receive-pack" in query:
        raise _refuse_push()
    if path == "/info/refs" and method == "GET":
        if query != f"service={SERVICE}":
            raise NotFound("only git's smart HTTP protocol is served: /git/info/refs?service=git-upload-pack",
                           detail_ja="git のスマート HTTP プロトコルのみ提供しています（/git/info/refs?service=git-upload-pack）")
        return path
    if path == f"/{SERVICE}":
        if method != "POST":
            raise UsageError(f"/git/{SERVICE} takes POST", detail_ja=f"/git/{SERVICE} は POST で送ってください")
        return path
    raise NotFound(f"no such git resource: /git{path[:80]} (clone http://<registry>/git)",
                   detail_ja=f"git のリソース /git{path[:80]} はありません（http://<レジストリ>/git を clone してください）")


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            raise UsageError("the client went away before the request body ended",
                             detail_ja="リクエスト本文の途中で接続が切れました")
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            raise LimitExceeded(f"a git request body is at most {limit} bytes",
                                detail_ja=f"git のリクエスト本文は {limit} バイトまでです",
                                extra={"limit": "git_body_bytes", "max": limit})
        chunks.append(body)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _environment(settings: Settings, scope: Any, path_info: str, query: str) -> dict[str, str]:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"),
           "GIT_PROJECT_ROOT": str(settings.repo_path), "GIT_HTTP_EXPORT_ALL": "1",
           "GIT_CONFIG_NOSYSTEM": "1", "PATH_INFO": path_info, "QUERY_STRING": query,
           "REQUEST_METHOD": scope["method"], "CONTENT_TYPE": headers.get("content-type", ""),
           "REMOTE_ADDR": (scope.get("client") or ("", 0))[0] or ""}
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        env["HTTP_CONTENT_ENCODING"] = encoding
    elif encoding and encoding != "identity":
        raise UsageError(f"content encoding {encoding[:40]!r} is not supported (gzip is)",
                         detail_ja=f"Content-Encoding {encoding[:40]!r} には対応していません（gzip は可）")
    protocol = headers.get("git-protocol", "").strip()
    if protocol and _PROTOCOL.match(protocol):  # protocol v2 (git ≥ 2.26 asks for it)
        env["GIT_PROTOCOL"] = env["HTTP_GIT_PROTOCOL"] = protocol
    return env


def _parse_headers(raw: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    status = 200
    headers: list[tuple[bytes, bytes]] = []
    for line in raw.replace(b"\r\n", b"\n").split(b"\n"):
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        key, value = name.strip().lower(), value.strip()
        if key == b"status":
            digits = value.split(b" ", 1)[0]
            status = int(digits) if digits.isdigit() and 100 <= int(digits) <= 599 else 502
        elif key.decode("latin-1") in _PASSED_HEADERS:
            headers.append((key, value))
    return status, headers


def handler(settings: Settings) -> Any:
    """The ``/git`` mount of an app over ``settings`` (its repository)."""

    @asgi("/git", is_mount=True, copy_scope=True)
    async def git_http(scope: Any, receive: Receive, send: Send) -> None:
        """Smart HTTP, read-only (see the module docstring)."""
        path = scope["path"].rstrip("/") or "/"
        query = scope.get("query_string", b"").decode("latin-1")
        if path == "/tip" and scope["method"] == "GET":
            await _wait_for_tip(Path(settings.repo_path), query, send)
            return
        path_info = _route(scope["method"], path, query)
        body = await _read_body(receive, MAX_BODY_BYTES) if scope["method"] == "POST" else b""
        env = _environment(settings, scope, path_info, query)
        slots = _slots.setdefault(id(asyncio.get_running_loop()), asyncio.Semaphore(MAX_PROCESSES))
        async with slots:
            await _run(env, body, send)

    return git_http


async def _drain(stream: asyncio.StreamReader) -> bytes:
    kept = b""
    while chunk := await stream.read(64 * 1024):
        if len(kept) < 64 * 1024:
            kept += chunk
    return kept


async def _run(env: dict[str, str], body: bytes, send: Send) -> None:
    proc = await asyncio.create_subprocess_exec(
        "git", "http-backend", env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None

    async def feed() -> None:
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if body:
                proc.stdin.write(body)
                await proc.stdin.drain()
            proc.stdin.close()

    feeder = asyncio.create_task(feed())
    errors = asyncio.create_task(_drain(proc.stderr))
    started = False
    try:
        head = b""
        while b"\r\n\r\n" not in head and b"\n\n" not in head:
            chunk = await proc.stdout.read(16 * 1024)
            if not chunk:
                break
            head += chunk
            if len(head) > MAX_HEADER_BYTES:
                break
        sep = b"\r\n\r\n" if b"\r\n\r\n" in head else b"\n\n"
        raw, found, rest = head.partition(sep)
        if not found:
            await proc.wait()
            stderr = await errors
            log.warning("git http-backend gave no answer: %s", stderr.decode(errors="replace")[:500])
            raise UsageError("git could not read this request", detail_ja="git がこのリクエストを読めませんでした")
        status, headers = _parse_headers(raw)
        if status >= 500:
            # Our routes and environment are fixed: git fails on what the client sent.
            await proc.wait()
            stderr = await errors
            log.warning("git http-backend answered %s: %s", status, stderr.decode(errors="replace")[:500])
            raise UsageError("git could not read this request", detail_ja="git がこのリクエストを読めませんでした")
        if status >= 400:  # git's own refusal (e.g. 415 for another Content-Type): as a problem
            await proc.wait()
            stderr = await errors
            raise HTTPException(status_code=status, detail=(
                rest + stderr).decode(errors="replace").strip()[:200] or "git refused this request")
        await send({"type": "http.response.start", "status": status, "headers": headers})
        started = True
        if rest:
            await send({"type": "http.response.body", "body": rest, "more_body": True})
        while True:
            chunk = await proc.stdout.read(64 * 1024)
            if not chunk:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 10)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()
        feeder.cancel()
        errors.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await feeder
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await errors
        if started and proc.returncode not in (0, -9):
            log.info("git http-backend exited with %s", proc.returncode)


__all__ = ["MAX_BODY_BYTES", "handler"]
