"""The app through Litestar's test client over a real data folder (bare git repo + SQLite)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.config import Settings
from registry.service import RegistryService
from registry.web.app import create_app
from registry.wiring import open_service

FORMS = Path(__file__).resolve().parent.parent / "data" / "web"
SURVEY = FORMS / "132241" / "event-survey"


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The hidden CSRF token of a page's form."""
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: TestClient[Any], token: str) -> None:
    """Log in through the login page."""
    page = client.get("/login")
    r = client.post("/login", data={"csrf_token": csrf_of(page.text), "token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/me"


def publish_body(version: str, folder: Path = SURVEY) -> dict[str, Any]:
    """The publish request body for a version folder of the sample form."""
    root = folder / version
    examples: dict[str, dict[str, Any]] = {"valid": {}, "invalid": {}}
    for kind in examples:
        for f in sorted((root / "examples" / kind).glob("*.json")):
            examples[kind][f.name] = json.loads(f.read_text(encoding="utf-8"))
    return {"version": version,
            "template": json.loads((root / "template.json").read_text(encoding="utf-8")),
            "schema": json.loads((root / "schema.json").read_text(encoding="utf-8")),
            "examples": examples}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings over a fresh data folder (small body limit for the 413 test is set per test)."""
    return Settings.for_data_dir(tmp_path / "data")


@pytest.fixture
def service(settings: Settings) -> RegistryService:
    """The service the app serves."""
    return open_service(settings)


@pytest.fixture
def client(settings: Settings, service: RegistryService) -> Iterator[TestClient[Any]]:
    """A test client of the app."""
    with TestClient(create_app(settings, service=service)) as c:
        yield c


class Tokens:
    """Bearer headers of 多摩市, 稲城市 and an admin."""

    def __init__(self, service: RegistryService) -> None:
        self.tama = {"Authorization": "Bearer " + service.index.create_token("132241", "情報政策課")}
        self.inagi = {"Authorization": "Bearer " + service.index.create_token("132250", "総務課")}
        self.admin = {"Authorization": "Bearer " + service.index.create_token("", "管理者", admin=True)}


@pytest.fixture
def tokens(service: RegistryService) -> Tokens:
    """Tokens of two cities and an admin."""
    return Tokens(service)


@pytest.fixture
def published(client: TestClient[Any], tokens: Tokens) -> TestClient[Any]:
    """多摩市 has published event-survey 1.0.0."""
    r = client.post("/api/v1/templates/132241/event-survey/versions", json=publish_body("1.0.0"),
                    headers=tokens.tama)
    assert r.status_code == 201, r.text
    return client
