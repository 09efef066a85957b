"""The paper form over HTTP: the print page, print.pdf (GET/HEAD, ETag, ?data=), counter entry."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from registry.config import Settings
from registry.paper.data import MAX_QUERY_DATA
from registry.seeding import seed
from registry.web.app import create_app
from registry.wiring import open_service

CATALOGUE = Path(__file__).resolve().parents[2] / "templates_repo"
MIZUHO = "/t/133035/event-application/1.0.0"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    """The app over a registry seeded with the catalogue (one per module)."""
    settings = Settings.for_data_dir(tmp_path_factory.mktemp("paper"))
    service = open_service(settings)
    seed(service, CATALOGUE)
    return create_app(settings, service=service)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Any]]:
    """A fresh browser."""
    with TestClient(app) as c:
        yield c


def _text(body: bytes, tmp_path: Path) -> str:
    path = tmp_path / "p.pdf"
    path.write_bytes(body)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return "".join(out.split())


def test_print_page_is_ready_for_the_counter(client: TestClient[Any]) -> None:
    r = client.get(MIZUHO + "/print")
    assert r.status_code == 200
    assert f'href="{MIZUHO}/print.pdf"' in r.text
    assert "瑞穂町長　あて" in r.text
    assert "受付方法" not in r.text
    assert "上記に同意します" in r.text
    assert "受付印" in r.text
    assert "処理欄" in r.text
    assert "令和　　　年" in r.text
    sheet = re.sub(r"<[^>]+>", " ", r.text.split('<article class="sheet')[1])
    assert not re.search(r"nfkc|\btrue\b|\bfalse\b", sheet)
    assert "counter(page)" in r.text


def test_print_pdf_is_immutable_with_a_strong_etag(client: TestClient[Any], tmp_path: Path) -> None:
    r = client.get(MIZUHO + "/print.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    etag = r.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert "immutable" in r.headers["cache-control"]
    again = client.get(MIZUHO + "/print.pdf")
    assert again.content == r.content
    assert again.headers["etag"] == etag
    assert client.get(MIZUHO + "/print.pdf", headers={"If-None-Match": etag}).status_code == 304
    h = client.head(MIZUHO + "/print.pdf")
    assert h.status_code == 200
    assert h.headers["etag"] == etag
    assert h.content == b""
    text = _text(r.content, tmp_path)
    assert "イベント・講座参加申込" in text
    assert "受付方法" not in text


def test_print_pdf_filled_from_data(client: TestClient[Any], tmp_path: Path) -> None:
    example = json.loads(sorted((CATALOGUE / "133035/event-application/1.0.0/examples/valid")
                                .glob("*.json"))[0].read_text(encoding="utf-8"))
    url = MIZUHO + "/print.pdf?data=" + quote(json.dumps(example, ensure_ascii=False))
    r = client.get(url)
    assert r.status_code == 200
    assert "no-store" in r.headers["cache-control"]
    text = _text(r.content, tmp_path)
    assert "".join(example["name"].split()) in text
    assert "☑上記に同意します" in text
    page = client.get(MIZUHO + "/print?data=" + quote(json.dumps(example, ensure_ascii=False)))
    assert page.status_code == 200
    assert example["event"] in page.text
    assert "print.pdf?data=" in page.text


def test_print_pdf_bad_data_is_a_problem(client: TestClient[Any]) -> None:
    r = client.get(MIZUHO + "/print.pdf?data=" + quote("{not json"))
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "JSON" in r.json()["detail"]
    r = client.get(MIZUHO + "/print.pdf?data=" + quote("[1, 2]"))
    assert r.status_code == 400
    r = client.get(MIZUHO + "/print.pdf?data=" + quote(json.dumps({"event": "x" * MAX_QUERY_DATA})))
    assert r.status_code == 413
    assert client.get("/t/133035/event-application/9.9.9/print.pdf").status_code == 404
    r = client.get("/t/133035/event-application/x/print.pdf")  # no such version can exist
    assert r.status_code == 404
    assert "'x'" in r.json()["detail"]


def test_preview_leaves_staff_only_fields_to_the_counter(client: TestClient[Any]) -> None:
    r = client.get(MIZUHO + "/preview")
    assert r.status_code == 200
    assert "受付方法" not in r.text
    assert "上記に同意します" in r.text
    assert "preview?counter=1" in r.text
    r = client.get(MIZUHO + "/preview?counter=1")
    assert "受付方法" in r.text
    assert 'name="received_by"' in r.text
