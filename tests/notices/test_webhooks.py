"""Webhooks on real parts: the outbox in SQLite, a receiver on 127.0.0.1, the delivery round.

The receiver on 127.0.0.1 is allowed by test configuration (``YOSHIKI_WEBHOOK_ALLOW``); the
private-range target 10.0.0.1 is refused before any connection (socket.create_connection is
watched and must not be called for it).
"""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from receiver import Receiver

from registry.config import Settings
from registry.errors import NotFound, UsageError
from registry.layout import TemplateKey
from registry.notices.webhooks import WebhookPolicy, deliver
from registry.notices.worker import run_once
from registry.readmodels import Author, ChangeEvent
from registry.service import RegistryService
from registry.wiring import open_service

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from test_lineage_tree import BASE_PROPS, HACHIOJI, INAGI, ROOT, SLUG, build, publish

INAGI_STAFF = Author(name="総務課", municipality=INAGI, municipality_name="稲城市")
ALLOW = {"YOSHIKI_WEBHOOK_ALLOW": "127.0.0.1/32", "YOSHIKI_WEBHOOK_BACKOFF": "0.5",
         "YOSHIKI_WEBHOOK_TIMEOUT": "3"}


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RegistryService]:
    for k, v in ALLOW.items():
        monkeypatch.setenv(k, v)
    svc = open_service(Settings.for_data_dir(tmp_path / "data"))
    build(svc)
    yield svc
    svc.index.close()  # type: ignore[attr-defined]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def rounds(service: RegistryService, until: Any, seconds: float = 20) -> None:
    policy = WebhookPolicy.from_env()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run_once(service.index, "http://registry.invalid", policy)
        if until():
            return
        time.sleep(0.2)
    raise AssertionError("the deliveries did not finish in time")


def test_signed_cloudevents_for_the_city_and_its_upstreams(service: RegistryService,
                                                           receiver: Receiver) -> None:
    hook = service.create_webhook(INAGI, receiver.url, INAGI_STAFF)
    assert hook.secret
    assert service.webhooks(INAGI)[0].secret is None
    publish(service, ROOT, "1.3.0", {**BASE_PROPS, "note": {"type": "string", "title": "連絡事項"}})
    kinds = {**BASE_PROPS["kind"], "enum": ["住民票", "税", "子育て", "介護"]}
    publish(service, TemplateKey(HACHIOJI, SLUG), "1.2.0",
            {**BASE_PROPS, "kind": kinds, "z": {"type": "string", "title": "Z"}},
            {"template": str(ROOT), "version": "1.0.0"})   # 八王子市: not watched by 稲城市
    service.pull(TemplateKey(INAGI, SLUG), actor=INAGI_STAFF)
    rounds(service, lambda: len(receiver.requests) >= 2)
    time.sleep(0.5)
    run_once(service.index, "http://registry.invalid", WebhookPolicy.from_env())
    events = receiver.events(hook.secret)
    assert [(e["type"], e["subject"]) for e in events] == [
        ("jp.yoshiki.template.published", f"{ROOT}@1.3.0"),
        ("jp.yoshiki.template.pulled", f"{INAGI}/{SLUG}@1.2.0")]
    assert events[0]["specversion"] == "1.0"
    assert events[0]["source"] == f"http://registry.invalid/t/{ROOT}"
    log = service.webhook_deliveries(INAGI, hook.id)
    assert [(d.status, d.attempts, d.last_status) for d in log] == [("delivered", 1, 200)] * 2
    with pytest.raises(NotFound):
        service.webhook_deliveries(HACHIOJI, hook.id)  # another city's log


def test_retries_after_a_500_with_back_off(service: RegistryService, receiver: Receiver) -> None:
    hook = service.create_webhook(INAGI, receiver.url, INAGI_STAFF)
    receiver.answers = [500, 500]
    publish(service, ROOT, "1.3.0", BASE_PROPS | {"x": {"type": "string", "title": "X"}})
    run_once(service.index, "http://registry.invalid", WebhookPolicy.from_env())
    first = service.webhook_deliveries(INAGI, hook.id)[0]
    assert (first.status, first.attempts, first.last_status) == ("pending", 1, 500)
    assert first.last_error == "HTTP 500 (non-2xx answer)"
    rounds(service, lambda: service.webhook_deliveries(INAGI, hook.id)[0].status == "delivered")
    done = service.webhook_deliveries(INAGI, hook.id)[0]
    assert (done.attempts, done.last_status) == (3, 200)
    ids = {e["id"] for e in receiver.events(hook.secret)}
    assert len(receiver.requests) == 3
    assert len(ids) == 1


def test_private_targets_refused_before_connecting(service: RegistryService, receiver: Receiver,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="private"):
        service.create_webhook(INAGI, "http://10.0.0.1/hook", INAGI_STAFF)
    with pytest.raises(UsageError):
        service.create_webhook(INAGI, "file:///etc/passwd", INAGI_STAFF)
    # At delivery time the address is checked again: without the allowance, nothing is sent.
    connects: list[Any] = []
    real = socket.create_connection
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a) or real(*a, **k))
    event = ChangeEvent(id=1, kind="published", lg=INAGI, slug=SLUG, version="1.0.0", at="x", actor="y")
    strict = WebhookPolicy()
    for url in ("http://10.0.0.1/hook", receiver.url, "http://[::1]:9/", "http://169.254.169.254/"):
        got = deliver(url, "s", event, 1, "http://registry.invalid", strict)
        assert not got.delivered
        assert "private, loopback or link-local" in (got.error or "")
    assert connects == []
    assert receiver.requests == []
    # no redirect is followed
    receiver.answers = [302]
    got = deliver(receiver.url, "s", event, 1, "http://registry.invalid", WebhookPolicy.from_env())
    assert (got.delivered, got.status, got.error) == (False, 302, "HTTP 302 (redirect not followed)")


def test_webhook_api(service: RegistryService, receiver: Receiver) -> None:
    from litestar.testing import TestClient

    from registry.web.app import create_app

    token = service.index.create_token(INAGI, "総務課")
    other = service.index.create_token(HACHIOJI, "情報課")
    auth = {"Authorization": f"Bearer {token}"}
    app = create_app(service.settings, service=service)
    with TestClient(app) as client:
        base = f"/api/v1/municipalities/{INAGI}/webhooks"
        assert client.post(base, json={"url": receiver.url}).status_code == 401
        assert client.post(base, json={"url": receiver.url},
                           headers={"Authorization": f"Bearer {other}"}).status_code == 403
        r = client.post(base, json={"url": "http://10.0.0.1/"}, headers=auth)
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("application/problem+json")
        r = client.post(base, json={"url": receiver.url}, headers=auth)
        assert r.status_code == 201
        hook = r.json()
        assert len(hook["secret"]) > 30
        listed = client.get(base, headers=auth).json()
        assert [h["url"] for h in listed] == [receiver.url]
        assert listed[0]["secret"] is None
        publish(service, ROOT, "1.3.0", BASE_PROPS | {"y": {"type": "string", "title": "Y"}})
        # the worker started by the app delivers it
        deadline = time.monotonic() + 20
        log: list[Any] = []
        while time.monotonic() < deadline:
            log = client.get(f"{base}/{hook['id']}/deliveries", headers=auth).json()
            if log and log[0]["status"] == "delivered":
                break
            time.sleep(0.3)
        assert next((d["status"], d["event_id"]) for d in log)[0] == "delivered"
        # the account page shows the delivery log and the city's own writes and refusals
        assert client.post(f"/api/v1/templates/{HACHIOJI}/{SLUG}/versions", json={},
                           headers=auth).status_code == 403
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        r = client.post("/login", data={"csrf_token": csrf.group(1), "token": token},
                        follow_redirects=False)
        assert r.status_code == 303
        me = client.get("/me").text
        assert receiver.url in me
        assert "配信済み" in me
        audit = me.split('id="audit-h"')[1]
        assert "webhook-create" in audit
        assert "拒否" in audit
        assert client.delete(f"{base}/{hook['id']}", headers=auth).status_code == 204
        assert client.get(base, headers=auth).json() == []
        assert client.delete(f"{base}/{hook['id']}", headers=auth).status_code == 404
