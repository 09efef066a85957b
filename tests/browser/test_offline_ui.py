"""In a real browser: the API documentation and the pages render under the CSP with no other host.

Chromium loads ``/schema``, ``/schema/swagger`` and the staff pages from ``yoshiki serve``;
every request the page makes is recorded. Swagger UI must render the operations (its scripts
came from the registry and ran although no inline script is allowed), no request may leave the
server, and the console must show no Content-Security-Policy violation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def test_api_docs_and_pages_render_offline_under_the_csp(served: Any, browser: Any) -> None:
    page = browser.new_page()
    origin = urlsplit(served.url).netloc
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console.append(m.text))
    for path in ("/schema", "/schema/swagger"):
        page.goto(served.url + path)
        page.wait_for_selector(".opblock", timeout=20000)
        assert page.locator(".opblock").count() >= 14, path
    page.goto(served.url + "/t/272272/library-registration/1.0.0/preview")
    page.wait_for_load_state("networkidle")
    assert page.locator("form").count() >= 1
    foreign = [u for u in requests if urlsplit(u).scheme in ("http", "https")
               and urlsplit(u).netloc != origin]
    assert foreign == []
    assert not [m for m in console if "Content Security Policy" in m], console
    page.close()
