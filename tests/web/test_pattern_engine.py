"""``pattern`` as ECMA-262 (and the resident's browser) reads it, in publish and the preview page.

fancy-regex, jsonschema-rs's default engine, accepts "1" for ``^\\d+-?\\d+$``; the project's
validator (registry/syntax/validators.py) must not.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient
from webapp import Tokens, publish_body

SURVEY = "/api/v1/templates/132241/event-survey"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _with_code_field(valid_code: str) -> dict[str, Any]:
    body = publish_body("1.0.0")
    body["schema"]["properties"]["code"] = {"type": "string", "title": "整理番号", "maxLength": 10,
                                            "pattern": r"^\d+-?\d+$"}
    body["examples"]["valid"]["with-code.json"] = {"count": 1, "code": valid_code}
    return body


def test_publish_rejects_a_valid_example_that_ecma_262_rejects(client: TestClient[Any],
                                                              tokens: Tokens) -> None:
    r = client.post(SURVEY + "/versions", json=_with_code_field("1"), headers=tokens.tama)
    assert r.status_code == 422, r.text
    issues = r.json()["issues"]
    assert any(i["pointer"] == "/code" or "with-code.json" in (i.get("file") or "") for i in issues), issues
    assert client.get(SURVEY).status_code == 404  # nothing was published


def test_preview_rejects_what_the_browser_rejects(client: TestClient[Any], tokens: Tokens) -> None:
    r = client.post(SURVEY + "/versions", json=_with_code_field("12-3"), headers=tokens.tama)
    assert r.status_code == 201, r.text
    url = "/t/132241/event-survey/1.0.0/preview"
    page = client.get(url)
    assert page.status_code == 200
    found = CSRF.search(page.text)
    assert found
    for code, status in (("1", 422), ("1-2", 200), ("12", 200)):
        r = client.post(url, data={"csrf_token": found.group(1), "count": "1", "code": code})
        assert r.status_code == status, (code, re.findall(r'field-error[^>]*>([^<]*)', r.text))
        if status == 422:
            assert 'id="f-code-error"' in r.text
