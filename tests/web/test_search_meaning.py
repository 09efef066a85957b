"""Search by meaning on the pages and in the API: the issue's queries and why each matched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.config import Settings
from registry.seeding import seed
from registry.web.app import create_app
from registry.wiring import open_service

CATALOGUE = Path(__file__).resolve().parents[2] / "templates_repo"
ISSUE_QUERIES = {
    "欠席届": "272264/absence-notice", "欠席連絡": "272264/absence-notice",
    "遅刻連絡": "272264/absence-notice", "けっせき": "272264/absence-notice",
    "あんけーと": "132241/staff-lunch-survey", "保育園": "132250/nursery-admission-application",
    "郵便番号": "272272/library-registration",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    settings = Settings.for_data_dir(tmp_path_factory.mktemp("meaning"))
    service = open_service(settings)
    seed(service, CATALOGUE)
    with TestClient(create_app(settings, service=service)) as c:
        yield c


@pytest.mark.parametrize(("q", "expected"), list(ISSUE_QUERIES.items()))
def test_the_issues_queries_find_their_templates_on_page_and_api(
        client: TestClient[Any], q: str, expected: str) -> None:
    items = client.get("/api/v1/templates", params={"q": q, "limit": 20}).json()["items"]
    assert expected in [f"{t['lg']}/{t['slug']}" for t in items]
    assert all(t["match_reason"] for t in items)
    page = client.get("/", params={"q": q})
    assert page.status_code == 200
    assert f'href="/t/{expected}"' in page.text


def test_the_reason_a_result_matched_is_shown(client: TestClient[Any]) -> None:
    items = client.get("/api/v1/templates", params={"q": "郵便番号"}).json()["items"]
    assert items[0]["match_reason"] == "項目『郵便番号』に一致"
    assert items[0]["match_reason_en"] == "matches the field “郵便番号”"
    assert "項目『郵便番号』に一致" in client.get("/", params={"q": "郵便番号"}).text
    [hit] = [t for t in client.get("/api/v1/templates", params={"q": "保育園"}).json()["items"]
             if t["slug"] == "nursery-admission-application"]
    assert hit["match_reason"] in ("タイトルに一致", "タグ『保育所』に一致")
    # without a query there is nothing to explain: the field is null (additive, not removed)
    listing = client.get("/api/v1/templates").json()["items"]
    assert all(t["match_reason"] is None for t in listing)
