"""Run the registry with uvicorn (``yoshiki serve``): seed an empty repository, then serve.

One worker serves the app object built here. Several workers each build their own app from
the environment (``registry.web.app:create_app`` as a factory), so the data folder and the
database URL are handed over through ``YOSHIKI_DATA_DIR`` / ``YOSHIKI_DATABASE_URL``; the
repository is seeded and the index migrated once, in this process, before they start.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable

from registry.config import Settings
from registry.errors import UsageError


def prepare(settings: Settings, *, empty: bool = False) -> int:
    """Migrate the index; seed an empty repository from the packaged catalogue. Returns seeded."""
    from registry.resources import catalogue_dir
    from registry.seeding import seed
    from registry.wiring import open_service

    service = open_service(settings)
    service.recover()  # before any worker: stale locks, temporary files, index catch-up
    if settings.is_replica:  # a replica is never seeded: it fetches the primary's catalogue
        from registry.replica import Follower

        Follower(service, settings).sync()
        return 0
    if empty or not service.is_empty():
        return 0
    return len(seed(service, catalogue_dir()))


def run(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
        log_level: str = "info", announce: Callable[[str], None] | None = None) -> None:
    """Bind, announce, serve until interrupted (blocks). A port in use is a UsageError."""
    import uvicorn

    from registry.web.http11 import PROTOCOL  # raw UTF-8 in a request line is not a 400

    try:
        sock = tcp_socket(host, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port",
                         detail_ja=f"{host}:{port} で待ち受けできません（{exc.strerror or exc}）。別の --port を指定してください") from None
    if announce is not None:
        announce(f"http://{host}:{port}")
    if workers <= 1:
        from registry.web.app import create_app

        config = uvicorn.Config(create_app(settings), host=host, port=port, log_level=log_level,
                                access_log=False, http=PROTOCOL)
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    os.environ["YOSHIKI_DATA_DIR"] = str(settings.data_dir)
    os.environ["YOSHIKI_DATABASE_URL"] = settings.database_url
    os.environ["YOSHIKI_REPO_PATH"] = str(settings.repo_path)
    if settings.primary_url:
        os.environ["YOSHIKI_PRIMARY_URL"] = settings.primary_url
        os.environ["YOSHIKI_REPLICA_POLL_SECONDS"] = str(settings.replica_poll_seconds)
    config = uvicorn.Config("registry.web.app:create_app", factory=True, host=host, port=port,
                            workers=workers, log_level=log_level, access_log=False, http=PROTOCOL)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()


def tcp_socket(host: str, port: int) -> socket.socket:
    """The listening socket (shared by the workers), created with ``IPPROTO_TCP``.

    uvicorn's own (``socket.socket(family)``) has protocol 0, and asyncio sets TCP_NODELAY only
    on connections of a socket whose protocol is IPPROTO_TCP: without it every response waits
    for the client's delayed ACK (Nagle), ~40 ms per request with several workers.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
