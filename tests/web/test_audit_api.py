"""The audit log over HTTP: the admin API, a city's own entries, and /me."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from webapp import Tokens, publish_body


def test_admin_audit_and_own_entries(published: TestClient[Any], tokens: Tokens) -> None:
    client = published
    # 稲城市 tries to publish into 多摩市: refused and audited
    r = client.post("/api/v1/templates/132241/event-survey/versions", json=publish_body("1.1.0"),
                    headers=tokens.inagi)
    assert r.status_code == 403
    r = client.post("/api/v1/templates/132241/event-survey/fork", json={"to": "132250"},
                    headers=tokens.inagi)
    assert r.status_code == 201, r.text

    assert client.get("/api/v1/admin/audit").status_code == 401
    assert client.get("/api/v1/admin/audit", headers=tokens.inagi).status_code == 403
    everything = client.get("/api/v1/admin/audit", headers=tokens.admin).json()
    assert {e["action"] for e in everything} >= {"publish", "fork", "denied"}
    inagi = client.get("/api/v1/admin/audit?municipality=132250", headers=tokens.admin).json()
    assert [e["action"] for e in inagi] == ["fork", "denied"]          # newest first
    assert all(e["actor"].endswith("132250)") for e in inagi)
    assert client.get("/api/v1/admin/audit?since=2999-01-01", headers=tokens.admin).json() == []
    bad = client.get("/api/v1/admin/audit?since=yesterday", headers=tokens.admin)
    assert bad.status_code == 400

    own = client.get("/api/v1/account/audit", headers=tokens.inagi).json()
    assert own == inagi
    tama = client.get("/api/v1/account/audit", headers=tokens.tama).json()
    assert [e["action"] for e in tama] == ["publish"]
