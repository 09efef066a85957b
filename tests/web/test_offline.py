"""Offline-first: no served page (every page route, the OpenAPI UIs) references another host.

LGWAN-connected municipal networks reach no CDN: a script, style, font or image from elsewhere
leaves the page broken there. Every GET route of the app that renders HTML is fetched (path
parameters filled from the seeded catalogue, logged in so the staff-only parts render too);
every ``src``/``href``/``action`` and every CSS ``url()``/``@import`` — in the page and in the
stylesheets it links — must stay on the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from litestar.testing import TestClient

from registry.config import Settings
from registry.seeding import seed
from registry.web.app import create_app
from registry.wiring import open_service

CATALOGUE = Path(__file__).resolve().parents[2] / "templates_repo"
SERVER = "http://testserver.local"
ATTR = re.compile(r"""\b(?:src|href|action|poster|data)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""", re.IGNORECASE)
SAMPLE = {"lg": "272272", "slug": "library-registration", "version": "1.0.0"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    """A logged-in browser of 東大阪市 (the sample's owner, so the editor's pages render too)."""
    settings = Settings.for_data_dir(tmp_path_factory.mktemp("offline"))
    service = open_service(settings)
    seed(service, CATALOGUE)
    token = service.index.create_token("272272", "総務課")
    with TestClient(create_app(settings, service=service)) as c:
        page = c.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        assert c.post("/login", data={"csrf_token": csrf.group(1), "token": token},
                      follow_redirects=False).status_code == 303
        yield c


def page_paths(app: Any) -> list[str]:
    """Every GET route outside the JSON API, its parameters filled with a catalogue sample."""
    out = []
    for route in app.routes:
        methods = getattr(route, "methods", set())
        path = route.path
        if "GET" not in methods or path.startswith(("/api/", "/healthz")) or "{file_path" in path:
            continue
        if path == "/schema/{path:str}":  # Litestar's catch-all for the UI plugins' paths
            continue
        if path.endswith((".json", ".yaml", ".yml")):
            continue
        out.append(re.sub(r"\{(\w+):\w+\}", lambda m: SAMPLE[m.group(1)], path))
    return sorted(set(out))


def foreign(url: str) -> bool:
    """True when ``url`` points at a host other than the server (``data:``/fragments are local)."""
    parts = urlsplit(urljoin(SERVER + "/", url.strip()))
    if parts.scheme in ("data", "mailto", "tel", "javascript", "about", "blob"):
        return parts.scheme == "javascript"
    return f"{parts.scheme}://{parts.netloc}" != SERVER


def test_no_page_references_another_host(client: TestClient[Any]) -> None:
    paths = page_paths(client.app)
    # The pages of issue 7 and the API documentation are all there.
    for expected in ("/", "/login", "/me", "/m/272272", "/t/272272/library-registration",
                     "/t/272272/library-registration/1.0.0/preview",
                     "/t/272272/library-registration/1.0.0/print",
                     "/t/272272/library-registration/diff", "/schema", "/schema/swagger"):
        assert expected in paths, (expected, paths)
    checked_css: set[str] = set()
    offenders: list[tuple[str, str]] = []
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        if "html" not in r.headers.get("content-type", ""):
            continue
        refs = ATTR.findall(r.text) + [a or b for a, b in CSS_URL.findall(r.text)]
        assert refs, path
        offenders += [(path, ref) for ref in refs if foreign(ref)]
        for ref in refs:
            target = urljoin(SERVER + path, ref)
            if not foreign(ref) and urlsplit(target).path.endswith((".css", ".js")):
                asset = client.get(urlsplit(target).path)
                assert asset.status_code == 200, (path, ref)
                if target.endswith(".css") and target not in checked_css:
                    checked_css.add(target)
                    offenders += [(target, a or b) for a, b in CSS_URL.findall(asset.text)
                                  if foreign(a or b)]
    assert offenders == []
    assert any("swagger-ui" in css for css in checked_css)


def test_the_check_catches_a_foreign_reference() -> None:
    assert foreign("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js")
    assert foreign("//fonts.googleapis.com/css")
    assert foreign("http://testserver.local.evil.example/x.js")
    assert not foreign("/static/site.css")
    assert not foreign("print.css")
    assert not foreign("data:image/svg+xml;base64,AAAA")
    assert not foreign("#main")
