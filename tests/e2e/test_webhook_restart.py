"""Webhooks across a registry restart: the server is killed while a delivery is in flight.

``yoshiki serve`` in a subprocess, a receiver on 127.0.0.1 (allowed by ``YOSHIKI_WEBHOOK_ALLOW``).
After SIGKILL and a plain restart, every event reaches the receiver, each with its idempotency
key, and the delivery log holds exactly one delivered row per event.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from served import start, stop

from registry.config import Settings
from registry.layout import VersionKey
from registry.wiring import open_service

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "notices"))
from receiver import Receiver
from test_lineage_tree import BASE_PROPS, INAGI, ROOT, SLUG, TOKYO, build, files

ENV = {"YOSHIKI_WEBHOOK_ALLOW": "127.0.0.1/32", "YOSHIKI_WEBHOOK_TIMEOUT": "3",
       "YOSHIKI_WEBHOOK_POLL": "0.2", "YOSHIKI_WEBHOOK_BACKOFF": "0.5"}


def publish_body(version: str, props: dict[str, Any]) -> dict[str, Any]:
    f = files(VersionKey(ROOT.lg, ROOT.slug, version), props)
    return {"version": version, "template": json.loads(f["template.json"]),
            "schema": json.loads(f["schema.json"]),
            "examples": {"valid": {"a.json": {"name": "多摩 太郎"}}, "invalid": {"empty.json": {}}}}


@pytest.mark.slow
def test_one_delivery_per_event_after_a_restart_mid_delivery(tmp_path: Path) -> None:
    service = open_service(Settings.for_data_dir(tmp_path / "registry-data"))
    build(service)
    inagi = service.index.create_token(INAGI, "総務課")
    tokyo = service.index.create_token(TOKYO, "デジタル推進課")
    service.index.close()  # type: ignore[attr-defined]
    receiver = Receiver()
    receiver.hold = 2.0      # the first delivery is still in flight when the registry is killed
    reg = start(tmp_path, empty=True, extra_env=ENV)
    try:
        auth = {"Authorization": f"Bearer {inagi}"}
        base = f"{reg.url}/api/v1/municipalities/{INAGI}/webhooks"
        r = httpx.post(base, json={"url": receiver.url}, headers=auth)
        assert r.status_code == 201, r.text
        hook = r.json()
        r = httpx.post(f"{reg.url}/api/v1/templates/{ROOT}/versions",
                       json=publish_body("1.3.0", {**BASE_PROPS, "note": {"type": "string", "title": "連絡事項"}}),
                       headers={"Authorization": f"Bearer {tokyo}"}, timeout=30)
        assert r.status_code == 201, r.text
        r = httpx.post(f"{reg.url}/api/v1/templates/{INAGI}/{SLUG}/pull", json={}, headers=auth, timeout=30)
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.requests, "no delivery started"
        reg.process.kill()          # mid-delivery: the receiver has not answered yet
        reg.process.wait()
        reg.log.close()
        reg = start(tmp_path, empty=True, extra_env=ENV)   # a new port
        base = f"{reg.url}/api/v1/municipalities/{INAGI}/webhooks"
        log: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            log = httpx.get(f"{base}/{hook['id']}/deliveries", headers=auth).json()
            if len(log) == 2 and all(d["status"] == "delivered" for d in log):
                break
            time.sleep(0.3)
        assert sorted((d["status"], d["event_id"]) for d in log) == sorted(
            ("delivered", d["event_id"]) for d in log)
        assert len(log) == 2
        assert len({d["event_id"] for d in log}) == 2
        events = receiver.events(hook["secret"])
        keys = [e["id"] for e in events]
        # at-least-once: the interrupted one may arrive twice, with the same idempotency key
        assert set(keys) == {str(d["event_id"]) for d in log}
        assert len(keys) in (2, 3)
        assert sorted(e["type"] for e in {e["id"]: e for e in events}.values()) == [
            "jp.yoshiki.template.published", "jp.yoshiki.template.pulled"]
    finally:
        stop(reg)
        receiver.close()
