"""Hostile requests against the pages and the API (issue 16, points 4, 7, 8): real git + SQLite/PostgreSQL.

Each answer is a 4xx problem or page — never a 500 — and leaves the git tip and the index as
they were.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from webapp import csrf_of, login

from registry.config import Settings
from registry.seeding import seed
from registry.web import session
from registry.web.app import create_app
from registry.web.bodies import depth_of
from registry.wiring import open_service

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))
from pg import fresh_database

CATALOGUE = Path(__file__).resolve().parents[2] / "templates_repo"
DEEP = b'{"version":"1.0.0","template":{},"schema":' + b"[" * 990 + b"]" * 990 + b"}"


class Registry:
    """A seeded registry with tokens of 稲城市 and 多摩市."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service = open_service(settings)
        seed(self.service, CATALOGUE)
        self.inagi = self.service.index.create_token("132250", "総務課")
        self.tama = self.service.index.create_token("132241", "情報政策課")
        self.app = create_app(settings, service=self.service)

    def state(self) -> tuple[str | None, int, Any]:
        """The git tip, the feed's last event and the search results: what must not change."""
        return (self.service.store.tip(), self.service.index.last_event_id(),
                [s.slug for s in self.service.search(limit=100)[0]])


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """One seeded registry (SQLite) for the module."""
    return Registry(Settings.for_data_dir(tmp_path_factory.mktemp("security")))


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient[Any]]:
    """A fresh browser."""
    with TestClient(registry.app, raise_server_exceptions=False) as c:
        yield c




# -- point 8: headers ------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/t/272272/library-registration", "/static/site.css",
                                  "/api/v1/templates", "/api/v1/templates/132241/nope",
                                  "/no-such-page", "/healthz", "/schema", "/schema/swagger",
                                  "/api/v1/openapi.json"])
def test_security_headers_on_every_response(client: TestClient[Any], path: str) -> None:
    r = client.get(path, headers={"accept": "text/html"})
    assert r.status_code < 500
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src
    assert "'self'" in script_src
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script(client: TestClient[Any]) -> None:
    for path in ("/", "/t/272272/library-registration", "/t/272272/library-registration/1.0.0/preview",
                 "/login", "/schema", "/schema/swagger"):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"<script\b[^>]*>[^<]+</script>", html), path
        assert not re.search(r"\son[a-z]+=", html), path


def test_json_endpoints_require_a_json_media_type(client: TestClient[Any], registry: Registry) -> None:
    before = registry.state()
    r = client.post("/api/v1/templates/132241/x/versions", content=b'{"version":"1.0.0"}',
                    headers={"content-type": "text/plain", "Authorization": "Bearer " + registry.tama})
    assert r.status_code == 415
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unsupported-media-type"
    assert registry.state() == before


# -- point 7: no 500 from input --------------------------------------------------------------
def test_deep_json_answers_the_depth_limit_without_a_token(client: TestClient[Any], registry: Registry) -> None:
    before = registry.state()
    for headers in ({}, {"Authorization": "Bearer " + registry.tama}):
        r = client.post("/api/v1/templates/132241/deep/versions", content=DEEP,
                        headers={"content-type": "application/json", **headers})
        # Without a token the write may be refused first (401); never a RecursionError (500).
        assert r.status_code in ((401, 413) if not headers else (413,)), r.text
        if r.status_code == 413:
            assert r.json()["limit"] == "max_schema_depth"
    for path in ("/api/v1/templates/132241/public-comment/pull",
                 "/api/v1/templates/132241/public-comment/fork"):
        r = client.post(path, content=DEEP, headers={"content-type": "application/json",
                                                     "Authorization": "Bearer " + registry.inagi})
        assert r.status_code in (401, 403, 413), r.text
    assert registry.state() == before


def _nul_publish(client: TestClient[Any], token: str) -> Any:
    body = {"version": "1.0.0", "template": {"title": "a\u0000b"}, "schema": {"type": "object"}}
    return client.post("/api/v1/templates/132241/nul-title/versions", json=body,
                       headers={"Authorization": "Bearer " + token})


def test_nul_in_a_json_string_is_400(client: TestClient[Any], registry: Registry) -> None:
    before = registry.state()
    r = _nul_publish(client, registry.tama)
    assert r.status_code == 400, r.text
    assert "NUL" in r.json()["detail"]
    assert registry.state() == before
    # An escaped backslash before "u0000" is text, not NUL: that body gets past this check.
    r = client.post("/api/v1/templates/132241/nul-title/versions",
                    json={"version": "1.0.0", "template": {"title": "a\\u0000b"}, "schema": {}},
                    headers={"Authorization": "Bearer " + registry.tama, "content-type": "application/json"})
    assert r.status_code != 400 or "NUL" not in r.text


def test_depth_scan_ignores_brackets_in_strings() -> None:
    assert depth_of(b'{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert depth_of(b'"\\"[[["') == 0
    assert depth_of(b"[" * 990) == 990


def _reference_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_reference_depth(v) for v in value), default=0)
    return 0


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ a申'),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(alphabet='[]{}"\\ b', max_size=4), inner, max_size=3),
                     max_leaves=30)


@given(value=_JSON)
@settings(max_examples=300, deadline=None, database=None)
def test_depth_scan_agrees_with_the_parsed_value(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert depth_of(text.encode()) == _reference_depth(value)


@pytest.mark.parametrize("query", [{"q": "申請\x00"}, {"category": "a\x00"}, {"tag": "\x00"},
                                   {"municipality": "\x00"}, {"prefecture": "東京都\x00"}])
def test_nul_in_a_query_is_400(client: TestClient[Any], query: dict[str, str]) -> None:
    r = client.get("/api/v1/templates", params=query)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "usage"
    page = client.get("/", params=query)
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert "制御文字" in page.text


@pytest.mark.parametrize("cursor", ["99999999999999999999999999",
                                    # base64 of [99999999999999999999, "x", "y", "z"]
                                    "Wzk5OTk5OTk5OTk5OTk5OTk5OTk5LCAieCIsICJ5IiwgInoiXQ==",
                                    # base64 of [1, "x\u0000", "y", "z"]
                                    "WzEsICJ4XHUwMDAwIiwgInkiLCAieiJd"])
def test_huge_or_hostile_cursor_is_400(client: TestClient[Any], cursor: str) -> None:
    for params in ({"cursor": cursor}, {"cursor": cursor, "q": "申請"}):
        r = client.get("/api/v1/templates", params=params)
        assert r.status_code == 400, r.text
    r = client.get("/api/v1/changes", params={"after": cursor})
    assert r.status_code == 400


@pytest.mark.parametrize("path", ["/t/132241/a%20b", "/t/132241/a%20b/1.0.0/preview",
                                  "/t/132241/public-comment/1.0.0%20x/preview",
                                  "/t/132241/public-comment/1.0.0%20x/print",
                                  "/t/132241/a%20b/diff", "/t/132241/public-comment/diff?from=1.0.0%20x",
                                  "/t/13224/public-comment", "/t/132241/..%2F..%2Fx",
                                  "/t/132241/public-comment/..%2F1.0.0/print", "/m/13224x"])
def test_malformed_names_in_page_paths_are_404(client: TestClient[Any], registry: Registry,
                                               path: str) -> None:
    calls: list[str] = []
    store = registry.service.store

    class Recording:
        """The git store, noting every use."""

        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return getattr(store, name)

    registry.service.store = Recording()  # type: ignore[assignment]
    try:
        r = client.get(path, headers={"accept": "text/html"})
        assert client.get("/t/132241/public-comment", headers={"accept": "text/html"}).status_code == 200
        assert calls  # the recording works: a real page reads git
        calls.clear()
        r = client.get(path, headers={"accept": "text/html"})
    finally:
        registry.service.store = store
    assert r.status_code == 404, (path, r.status_code)
    assert "text/html" in r.headers["content-type"]
    assert calls == []  # refused before anything was read from git


def test_fork_page_with_an_invalid_slug_says_what_a_slug_is(client: TestClient[Any], registry: Registry) -> None:
    login(client, registry.inagi)
    page = client.get("/t/272264/absence-notice")
    before = registry.state()
    r = client.post("/t/272264/absence-notice/fork",
                    data={"csrf_token": csrf_of(page.text), "slug": "Evil Slug"})
    assert r.status_code == 400
    assert "スラッグではありません" in r.text
    assert "Evil Slug" in r.text
    assert registry.state() == before


# -- point 4: sessions and CSRF --------------------------------------------------------------
def test_revoked_token_session_stays_dead_after_a_new_token_of_the_same_name(
        client: TestClient[Any], registry: Registry) -> None:
    token = registry.service.index.create_token("132250", "子育て支援課")
    login(client, token)
    assert "子育て支援課" in client.get("/me").text
    old_cookie = client.cookies.get(session.SESSION_COOKIE)
    page = client.get("/t/272264/absence-notice")
    registry.service.index.revoke_token("132250", "子育て支援課")
    fresh = registry.service.index.create_token("132250", "子育て支援課")  # the usual rotation
    assert fresh != token
    assert client.cookies.get(session.SESSION_COOKIE) == old_cookie
    assert client.get("/me", follow_redirects=False).status_code == 303  # back to /login
    before = registry.state()
    r = client.post("/t/272264/absence-notice/fork", data={"csrf_token": csrf_of(page.text),
                                                           "slug": "revived-fork"})
    assert r.status_code == 401
    assert registry.state() == before
    registry.service.index.revoke_token("132250", "子育て支援課")


def test_the_session_cookie_never_holds_the_token(client: TestClient[Any], registry: Registry) -> None:
    """The cookie names the token by its SHA-256, as the index stores it, inside a signed body:
    no token in it, and swapping in another live token's hash without the key is refused."""
    import base64
    import hashlib
    import json

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    token = registry.service.index.create_token("132250", "企画課")
    other = registry.service.index.create_token("132241", "監査用")
    login(client, token)
    value = client.cookies.get(session.SESSION_COOKIE) or ""
    body, _, mac = value.partition(".")
    payload = json.loads(unb64(body))
    assert token not in value
    assert token not in json.dumps(payload)
    assert payload["h"] == hashlib.sha256(token.encode()).hexdigest()
    assert "企画課" in client.get("/me").text
    payload["h"] = hashlib.sha256(other.encode()).hexdigest()
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    client.cookies.set(session.SESSION_COOKIE, forged + "." + mac)
    assert client.get("/me", follow_redirects=False).status_code == 303
    registry.service.index.revoke_token("132250", "企画課")
    registry.service.index.revoke_token("132241", "監査用")


def test_csrf_token_is_bound_to_the_session_and_rotated_at_login(
        client: TestClient[Any], registry: Registry) -> None:
    anonymous = csrf_of(client.get("/login").text)
    nonce = client.cookies.get(session.CSRF_COOKIE)
    login(client, registry.inagi)
    assert client.cookies.get(session.CSRF_COOKIE) != nonce  # a new nonce at login
    page = client.get("/t/272264/absence-notice")
    assert csrf_of(page.text) != anonymous
    # The token of the page before login is worthless in the session.
    r = client.post("/t/272264/absence-notice/fork", data={"csrf_token": anonymous, "slug": "x-1"})
    assert r.status_code == 403
    # A pair the client picks itself (cookie and field alike) is refused.
    client.cookies.set(session.CSRF_COOKIE, "a" * 43)
    r = client.post("/t/272264/absence-notice/fork", data={"csrf_token": "a" * 43, "slug": "x-2"})
    assert r.status_code == 403
    assert "フォームの有効期限が切れたか" in r.text


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "http://testserver.local.evil.example"}])
def test_cross_site_page_posts_are_403(client: TestClient[Any], registry: Registry,
                                       headers: dict[str, str]) -> None:
    page = client.get("/login")
    r = client.post("/login", data={"csrf_token": csrf_of(page.text), "token": registry.inagi},
                    headers=headers, follow_redirects=False)
    assert r.status_code == 403
    assert "別のサイトから送られたフォームは受け付けません" in r.text
    assert session.SESSION_COOKIE not in r.cookies


def test_same_origin_page_posts_pass(client: TestClient[Any], registry: Registry) -> None:
    page = client.get("/login")
    r = client.post("/login", data={"csrf_token": csrf_of(page.text), "token": registry.inagi},
                    headers={"Origin": "http://testserver.local", "Sec-Fetch-Site": "same-origin"},
                    follow_redirects=False)
    assert r.status_code == 303


# -- PostgreSQL: the same hostile queries ---------------------------------------------------
@pytest.mark.postgres
def test_nul_and_cursor_on_postgresql(tmp_path: Path) -> None:
    with fresh_database() as url:
        reg = Registry(Settings.for_data_dir(tmp_path / "data", database_url=url))
        try:
            with TestClient(reg.app, raise_server_exceptions=False) as c:
                for params in ({"q": "a\x00"}, {"category": "\x00"}, {"tag": "x\x00y"},
                               {"cursor": "Wzk5OTk5OTk5OTk5OTk5OTk5OTk5LCAieCIsICJ5IiwgInoiXQ=="}):
                    assert c.get("/api/v1/templates", params=params).status_code == 400, params
                    if "cursor" not in params:  # the home page has no cursor
                        assert c.get("/", params=params).status_code == 400, params
                assert c.get("/api/v1/templates", params={"q": "申請"}).status_code == 200
                tip = reg.service.store.tip()
                assert _nul_publish(c, reg.tama).status_code == 400  # was: committed, then 500
                assert reg.service.store.tip() == tip
        finally:
            reg.service.index.close()
