"""Publishing through the API runs the same validation: a misspelt keyword is a 422."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from webapp import Tokens, publish_body

from registry.service import RegistryService


def test_publish_refuses_a_misspelt_keyword(client: TestClient[Any], tokens: Tokens,
                                             service: RegistryService) -> None:
    body = publish_body("1.0.0")
    first = next(iter(body["schema"]["properties"]))
    body["schema"]["properties"][first]["requried"] = True
    r = client.post("/api/v1/templates/132241/event-survey/versions", json=body, headers=tokens.tama)
    assert r.status_code == 422, r.text
    issues = r.json()["issues"]
    assert [(i["rule"], i["pointer"]) for i in issues] == [
        ("schema.unknown-keyword", f"/properties/{first}/requried")]
    assert "requried は required の誤りですか" in issues[0]["message_ja"]
    assert service.store.tip() is None
