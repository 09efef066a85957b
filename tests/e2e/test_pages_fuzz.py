"""The pages over a real socket: raw UTF-8 addresses, and a bounded fuzz of page URLs and forms.

The API is fuzzed from its OpenAPI document (test_fuzz.py); the pages are not in it, so here
hypothesis builds their addresses and forms from the app's own routes: path segments from
valid names to arbitrary text (spaces, ``%``, ``..``, NUL, kanji), the search page's filters,
the diff page's versions, and the POST forms with and without a valid CSRF token and session.
No answer may be a server error, and the git tip never moves from a page that did not publish.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from served import Registry

pytestmark = pytest.mark.slow

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SEGMENTS = {
    "lg": ["132241", "272272", "132250", "13224", "999999", "132242"],
    "slug": ["library-registration", "public-comment", "staff-lunch-survey", "Evil Slug", "a b"],
    "version": ["1.0.0", "9.9.9", "1.0.0 x", "01.0.0", "99999999999999999999.0.0"],
}
PAGE_ROUTES = ["/", "/m/{lg}", "/t/{lg}/{slug}", "/t/{lg}/{slug}/diff",
               "/t/{lg}/{slug}/{version}/preview", "/t/{lg}/{slug}/{version}/print",
               "/login", "/me", "/no/such/page"]
POST_ROUTES = ["/t/{lg}/{slug}/fork", "/t/{lg}/{slug}/pull", "/t/{lg}/{slug}/{version}/preview",
               "/login", "/logout"]
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


def raw_get(url: str, target: bytes) -> tuple[int, bytes]:
    """A GET with ``target`` sent byte for byte (no client re-encodes it)."""
    parts = urlsplit(url)
    assert parts.hostname
    assert parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + parts.netloc.encode()
                  + b"\r\nAccept: text/html\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def test_raw_utf8_in_the_address_is_read_as_utf8(module_registry: Registry) -> None:
    status, body = raw_get(module_registry.url, "/api/v1/templates?q=図書館".encode())
    assert status == 200, body
    assert b"library-registration" in body
    status, body = raw_get(module_registry.url, "/?q=図書館".encode())
    assert status == 200
    assert "図書館の利用申し込み".encode() in body
    status, body = raw_get(module_registry.url, "/t/132241/申請".encode())
    assert status == 404  # a slug outside the grammar: not found, not "Invalid HTTP request"
    assert b"Invalid HTTP request" not in body
    # Keep-alive: two requests on one connection, the second with raw UTF-8 too.
    parts = urlsplit(module_registry.url)
    assert parts.hostname
    assert parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        for last in (False, True):
            s.sendall("GET /api/v1/templates?q=図書館 HTTP/1.1\r\n".encode() + b"Host: x\r\n"
                      + (b"Connection: close\r\n" if last else b"") + b"\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                data += s.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
            while len(body) < length:
                body += s.recv(65536)
            assert head.startswith(b"HTTP/1.1 200"), head[:200]
            assert b"library-registration" in body


def _fill(route: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: quote(values[m.group(1)], safe=""), route)


def _segment(name: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(SEGMENTS[name]), ANY_TEXT.filter(bool))


@pytest.fixture(scope="module")
def browser(module_registry: Registry) -> Iterator[httpx.Client]:
    """A logged-in browser (稲城市) with its CSRF token."""
    token = module_registry.token("132250", "fuzz-pages")
    client = httpx.Client(base_url=module_registry.url, timeout=30)
    page = client.get("/login")
    found = CSRF.search(page.text)
    assert found
    r = client.post("/login", data={"csrf_token": found.group(1), "token": token})
    assert r.status_code in (200, 303), r.text
    try:
        yield client
    finally:
        client.close()


def test_page_fuzz_has_no_server_error(module_registry: Registry, browser: httpx.Client) -> None:
    statuses: list[int] = []
    me = browser.get("/me")
    found = CSRF.search(me.text)
    assert found, "not logged in"
    csrf = found.group(1)

    @given(route=st.sampled_from(PAGE_ROUTES), lg=_segment("lg"), slug=_segment("slug"),
           version=_segment("version"),
           query=st.dictionaries(st.sampled_from(["q", "category", "municipality", "prefecture",
                                                  "lang", "from", "to", "cursor", "forked"]),
                                 st.one_of(ANY_TEXT, st.sampled_from(SEGMENTS["version"])), max_size=3))
    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def pages(route: str, lg: str, slug: str, version: str, query: dict[str, str]) -> None:
        r = browser.get(_fill(route, {"lg": lg, "slug": slug, "version": version}), params=query,
                        headers={"accept": "text/html"})
        statuses.append(r.status_code)
        assert r.status_code < 500, (r.request.url, r.status_code, r.text[:300])

    @given(route=st.sampled_from(POST_ROUTES), lg=_segment("lg"), slug=_segment("slug"),
           version=_segment("version"), with_csrf=st.booleans(),
           form=st.dictionaries(st.one_of(st.sampled_from(["slug", "token", "name", "r:/x", "age"]),
                                          ANY_TEXT), ANY_TEXT, max_size=4),
           origin=st.sampled_from([None, module_registry.url, "https://evil.example", "null"]))
    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def forms(route: str, lg: str, slug: str, version: str, with_csrf: bool, form: dict[str, str],
              origin: str | None) -> None:
        if route == "/logout":
            return  # would end the session the other examples use
        data: dict[str, Any] = dict(form)
        if with_csrf:
            data["csrf_token"] = csrf
        headers = {"accept": "text/html", **({"origin": origin} if origin else {})}
        tip = module_registry.git("rev-parse", "HEAD").strip()
        r = browser.post(_fill(route, {"lg": lg, "slug": slug, "version": version}), data=data,
                         headers=headers)
        statuses.append(r.status_code)
        assert r.status_code < 500, (r.request.url, r.status_code, r.text[:300])
        if r.status_code >= 400:
            assert module_registry.git("rev-parse", "HEAD").strip() == tip

    pages()
    forms()
    assert len(statuses) >= 200
    assert 200 in statuses
    assert {400, 403, 404} <= set(statuses), sorted(set(statuses))
