"""Resources bounded (issue 16 point 8): the document cache by bytes, git objects packed in the
background while writers go on."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

from litestar.testing import TestClient

from registry.config import Settings
from registry.layout import VersionKey
from registry.storage.maintenance import RepackScheduler, loose_objects, repack
from registry.web.api.versions import _cache_of
from registry.web.app import create_app
from registry.web.doc_cache import ByteBoundedCache
from registry.wiring import open_service
from tests.storage.conftest import TAMA, fsck_ok, version_files


def test_byte_bounded_cache_evicts_least_recently_used() -> None:
    cache: ByteBoundedCache[bytes] = ByteBoundedCache(10, len)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recent
    cache.put("c", b"1234")           # 12 > 10: b (least recent) goes
    assert (cache.get("b"), cache.get("a"), cache.get("c"), cache.bytes) == (None, b"1234", b"1234", 8)
    cache.put("huge", b"x" * 11)      # larger than the bound: served, never kept
    assert cache.get("huge") is None
    assert cache.bytes == 8
    cache.put("a", b"12")             # replacing an entry re-counts it
    assert cache.bytes == 6


def test_version_documents_stay_within_the_configured_bytes(tmp_path: Path) -> None:
    settings = replace(Settings.for_data_dir(tmp_path / "data"), doc_cache_bytes=40_000)
    service = open_service(settings)
    comment = "x" * 9_000  # each document and its schema carry it: ~20 KB an entry
    for i in range(6):
        key = VersionKey("132241", f"big-{i}", "1.0.0")
        files = version_files(key)
        schema = json.loads(files["schema.json"])
        schema["$comment"] = comment
        files["schema.json"] = json.dumps(schema, ensure_ascii=False).encode()
        service.publish(files, actor=TAMA, key=key)
    with TestClient(create_app(settings, service=service)) as client:
        for i in range(6):
            r = client.get(f"/api/v1/templates/132241/big-{i}/versions/1.0.0")
            assert r.status_code == 200
            assert r.json()["schema"]["$comment"] == comment
        cache = _cache_of(service)
        assert 0 < cache.bytes <= 40_000
        assert len(cache) < 6


def test_repack_in_the_background_does_not_stop_writers(tmp_path: Path) -> None:
    service = open_service(replace(Settings.for_data_dir(tmp_path / "data"), repack_every=3))
    for i in range(5):
        key = VersionKey("132241", f"form-{i}", "1.0.0")
        service.publish(version_files(key), actor=TAMA, key=key)
    service.store.repacker.join(60)
    assert service.store.repacker.runs >= 1  # after the third write
    repo = service.settings.repo_path
    before = loose_objects(repo)
    # Writers keep publishing while a repack runs in another thread.
    done = threading.Event()
    repacks: list[bool] = []

    def keep_repacking() -> None:
        while not done.is_set():
            repacks.append(repack(repo))

    t = threading.Thread(target=keep_repacking)
    t.start()
    try:
        for i in range(5, 15):
            key = VersionKey("132241", f"form-{i}", "1.0.0")
            service.publish(version_files(key), actor=TAMA, key=key)
    finally:
        done.set()
        t.join()
    assert any(repacks)
    assert len(service.index.search(limit=100)[0]) == 15
    service.store.repacker.join(60)  # the store's own background repack holds the flock meanwhile
    assert repack(repo)
    assert loose_objects(repo) < before + 10 * 6  # packed, not piling up
    assert list((repo / "objects" / "pack").glob("*.pack"))
    fsck_ok(service.store)


def test_scheduler_counts_writes() -> None:
    s = RepackScheduler(Path("/nonexistent"), every=0)
    s.wrote()
    assert s.writes == 0  # disabled
