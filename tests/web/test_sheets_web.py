"""Spreadsheets over HTTP: form.xlsx / entry.xlsx with strong ETags, and a workbook upload → new version."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from litestar.testing import TestClient

from registry.config import Settings
from registry.seeding import seed
from registry.web.app import create_app
from registry.wiring import open_service

CATALOGUE = Path(__file__).resolve().parents[2] / "templates_repo"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
V = "/api/v1/templates/272264/absence-notice/versions/1.0.1"


@pytest.fixture(scope="module")
def app_and_token(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    settings = Settings.for_data_dir(tmp_path_factory.mktemp("sheets"))
    service = open_service(settings)
    seed(service, CATALOGUE)
    return create_app(settings, service=service), service.index.create_token("272264", "学務課")


@pytest.fixture
def client(app_and_token: tuple[Any, str]) -> Iterator[TestClient[Any]]:
    with TestClient(app_and_token[0]) as c:
        yield c


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found
    return found.group(1)


@pytest.mark.parametrize("name", ["form.xlsx", "entry.xlsx"])
def test_workbooks_have_strong_etags(client: TestClient[Any], name: str) -> None:
    r = client.get(f"{V}/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    etag = r.headers["etag"]
    assert etag.startswith('"')
    again = client.get(f"{V}/{name}")
    assert again.content == r.content
    assert client.get(f"{V}/{name}", headers={"If-None-Match": etag}).status_code == 304
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert ("項目" if name == "form.xlsx" else "入力") in book.sheetnames


def test_unknown_version_is_a_problem(client: TestClient[Any]) -> None:
    r = client.get("/api/v1/templates/272264/absence-notice/versions/9.9.9/form.xlsx")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_upload_a_workbook_dry_run_then_publish(client: TestClient[Any], app_and_token: tuple[Any, str]) -> None:
    page = client.get("/login")
    client.post("/login", data={"csrf_token": _csrf(page.text), "token": app_and_token[1]})
    tpl = client.get("/t/272264/absence-notice")
    assert "form.xlsx" in tpl.text
    assert 'action="/t/272264/absence-notice/import"' in tpl.text
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{V}/form.xlsx").content))
    book["選択肢"].append(["reason", "covid", "新型コロナ"])
    raw = io.BytesIO()
    book.save(raw)
    r = client.post("/t/272264/absence-notice/import", data={"csrf_token": _csrf(tpl.text), "version": "1.1.0"},
                    files={"workbook": ("form.xlsx", raw.getvalue(),
                                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert r.status_code == 200, r.text
    assert "まだ何も公開していません" in r.text
    assert client.get("/api/v1/templates/272264/absence-notice/versions/1.1.0").status_code == 404
    payload = re.search(r'name="payload" value="([^"]*)"', r.text)
    assert payload
    import html

    done = client.post("/t/272264/absence-notice/import",
                       data={"csrf_token": _csrf(r.text), "version": "1.1.0", "confirm": "1",
                             "payload": html.unescape(payload.group(1))}, follow_redirects=False)
    assert done.status_code == 303
    schema = client.get("/api/v1/templates/272264/absence-notice/versions/1.1.0/schema.json").json()
    assert "covid" in schema["properties"]["reason"]["enum"]


def test_upload_needs_csrf_and_the_right_municipality(client: TestClient[Any]) -> None:
    r = client.post("/t/272264/absence-notice/import", data={"csrf_token": "x" * 40, "version": "1.2.0"})
    assert r.status_code == 403
