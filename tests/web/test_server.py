"""``yoshiki serve``'s preparation (seed once, or not at all) and its shared worker socket."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from registry.config import Settings
from registry.resources import catalogue_dir
from registry.web.server import prepare, tcp_socket
from registry.wiring import open_service


def test_seeds_an_empty_repository_once(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path)
    expected = len(list(catalogue_dir().glob("*/*/*/template.json")))
    assert prepare(settings) == expected
    assert prepare(settings) == 0  # a second start keeps what is there
    service = open_service(settings)
    assert [e.kind for e in service.index.changes(0, 1000)].count("forked") >= 1
    lineage = service.lineage("132250/staff-lunch-survey")
    assert lineage.upstream_chain == ["132241/staff-lunch-survey@1.0.0"]


def test_empty_starts_without_the_catalogue(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path)
    assert prepare(settings, empty=True) == 0
    assert open_service(settings).store.tip() is None


def test_worker_socket_is_tcp_so_responses_are_not_delayed() -> None:
    # asyncio sets TCP_NODELAY only on connections of an IPPROTO_TCP listening socket.
    sock = tcp_socket("127.0.0.1", 0)
    try:
        assert (sock.family, sock.type, sock.proto) == (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        assert sock.get_inheritable()
    finally:
        sock.close()


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path, run_cli: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = run_cli("serve", "--port", str(port), "--data-dir", tmp_path, "--empty")
    assert r.returncode == 2
    assert r.stderr == f"エラー: 127.0.0.1:{port} で待ち受けできません（Address already in use）。別の --port を指定してください\n"
