"""``/git``: smart HTTP read-only — pushes refused, junk never a 500; a replica's own answers."""

from __future__ import annotations

import gzip
import os
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient
from webapp import publish_body

from registry.config import Settings
from registry.service import RegistryService
from registry.web.app import create_app
from registry.web.git_http import MAX_BODY_BYTES

UPLOAD = "application/x-git-upload-pack-request"


@pytest.fixture
def seeded(published: TestClient[Any]) -> TestClient[Any]:
    """The app over a repository with one published version."""
    return published


def test_ref_advertisement_is_public_with_the_security_headers(seeded: TestClient[Any]) -> None:
    r = seeded.get("/git/info/refs", params={"service": "git-upload-pack"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-git-upload-pack-advertisement"
    assert r.content.startswith(b"001e# service=git-upload-pack\n0000")
    assert b"refs/heads/main" in r.content
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    head = seeded.head("/git/info/refs", params={"service": "git-upload-pack"})
    assert (head.status_code, head.content) == (200, b"")


@pytest.mark.parametrize(("method", "path", "query"), [
    ("GET", "/git/info/refs", "service=git-receive-pack"),
    ("POST", "/git/git-receive-pack", ""),
    ("POST", "/git/info/refs", "service=git-receive-pack"),
])
def test_a_push_is_refused(seeded: TestClient[Any], method: str, path: str, query: str) -> None:
    r = seeded.request(method, path + (f"?{query}" if query else ""), content=b"0000",
                       headers={"content-type": "application/x-git-receive-pack-request"})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert "読み取り専用" in r.json()["detail_ja"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/git/info/refs", 404),            # the dumb protocol
    ("GET", "/git/HEAD", 404),
    ("GET", "/git/objects/info/packs", 404),
    ("GET", "/git/git-upload-pack", 400),
    ("GET", "/git/../templates.git/config", 404),
    ("GET", "/git/info/refs?service=git-upload-pack%00", 400),
])
def test_other_git_paths_are_problems(seeded: TestClient[Any], method: str, path: str,
                                      status: int) -> None:
    r = seeded.request(method, path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("body", "headers"), [
    (b"junk", {"content-type": UPLOAD}),
    (b"", {"content-type": UPLOAD}),
    (b"0032want " + b"f" * 40 + b"\n0000", {"content-type": UPLOAD}),
    (b"0032want " + b"0" * 40 + b"\n00000009done\n", {"content-type": UPLOAD}),
    (b"ffff" + os.urandom(512), {"content-type": UPLOAD}),
    (b"junk", {"content-type": UPLOAD, "content-encoding": "gzip"}),
    (gzip.compress(b"junk"), {"content-type": UPLOAD, "content-encoding": "gzip"}),
    (b"junk", {"content-type": UPLOAD, "content-encoding": "br"}),
    (b"junk", {"content-type": "text/plain"}),
    (b"junk", {}),
    (b"0014command=ls-refs\n0000", {"content-type": UPLOAD, "git-protocol": "version=2"}),
    (b"junk", {"content-type": UPLOAD, "git-protocol": "version=2\nEVIL=1"}),
])
def test_junk_to_upload_pack_is_never_a_500(seeded: TestClient[Any], body: bytes,
                                            headers: dict[str, str]) -> None:
    r = seeded.post("/git/git-upload-pack", content=body, headers=headers)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"


def test_a_body_over_the_bound_is_413(seeded: TestClient[Any]) -> None:
    r = seeded.post("/git/git-upload-pack", content=b"0" * (MAX_BODY_BYTES + 1),
                    headers={"content-type": UPLOAD})
    assert r.status_code == 413
    assert r.json()["limit"] == "git_body_bytes"


def test_protocol_v2_ls_refs_answers_the_tip(seeded: TestClient[Any], service: RegistryService) -> None:
    r = seeded.post("/git/git-upload-pack", content=b"0014command=ls-refs\n0000",
                    headers={"content-type": UPLOAD, "git-protocol": "version=2"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-git-upload-pack-result"
    tip = service.store.tip()
    assert tip is not None
    assert f"{tip} refs/heads/main".encode() in r.content


# -- a replica whose primary cannot be reached ---------------------------------------------------
@pytest.fixture
def lonely_replica(settings: Settings, service: RegistryService) -> Any:
    """A replica app whose primary (port 9, discard) does not answer."""
    replica = replace(settings, primary_url="http://127.0.0.1:9", replica_poll_seconds=30.0)
    with TestClient(create_app(replica, service=service)) as c:
        yield c


def test_a_replica_forwards_writes_and_says_so_when_the_primary_is_down(lonely_replica: TestClient[Any]) -> None:
    r = lonely_replica.post("/api/v1/templates/132241/event-survey/versions",
                            json=publish_body("1.0.0"), headers={"Authorization": "Bearer x"})
    assert r.status_code == 503
    problem = r.json()
    assert problem["code"] == "primary-unavailable"
    assert problem["primary"] == "http://127.0.0.1:9"
    assert "http://127.0.0.1:9" in problem["detail_ja"]
    assert "レプリカ" in problem["detail_ja"]
    assert "replica" in problem["detail"]
    assert lonely_replica.get("/api/v1/whoami").status_code == 503   # accounts live on the primary
    # reads are the replica's own
    assert lonely_replica.get("/api/v1/templates").status_code == 200
    assert lonely_replica.post("/api/v1/nope").status_code == 404


@pytest.mark.parametrize(("method", "path", "location"), [
    ("GET", "/login", "http://127.0.0.1:9/login"),
    ("GET", "/me", "http://127.0.0.1:9/me"),
    ("GET", "/new?lg=132241", "http://127.0.0.1:9/new?lg=132241"),
    ("GET", "/t/132241/event-survey/edit", "http://127.0.0.1:9/t/132241/event-survey/edit"),
    ("POST", "/t/132241/event-survey/fork", "http://127.0.0.1:9/t/132241/event-survey"),
    ("POST", "/t/132241/event-survey/edit/publish", "http://127.0.0.1:9/t/132241/event-survey"),
    ("POST", "/logout", "http://127.0.0.1:9/"),
])
def test_a_replica_sends_staff_pages_to_the_primary(lonely_replica: TestClient[Any], method: str,
                                                    path: str, location: str) -> None:
    r = lonely_replica.request(method, path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == location


def test_a_replica_that_never_fetched_is_degraded(lonely_replica: TestClient[Any]) -> None:
    r = lonely_replica.get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["replication"]["role"] == "replica"
    assert body["replication"]["primary"] == "http://127.0.0.1:9"
    assert body["checks"]["replica_fetch"] != "ok"


def test_a_replica_page_says_where_to_sign_in(lonely_replica: TestClient[Any]) -> None:
    page = lonely_replica.get("/")
    assert page.status_code == 200
    assert "読み取り専用の複製（レプリカ）" in page.text
    assert 'href="http://127.0.0.1:9/login"' in page.text


def test_tip_long_poll(seeded: TestClient[Any], service: RegistryService) -> None:
    tip = service.store.tip()
    assert seeded.get("/git/tip").json() == {"tip": tip}
    assert seeded.get("/git/tip", params={"after": "0" * 40, "wait": "5"}).json() == {"tip": tip}
    import time

    began = time.monotonic()
    assert seeded.get("/git/tip", params={"after": tip, "wait": "0.3"}).json() == {"tip": tip}
    assert time.monotonic() - began >= 0.25  # waited for a change that did not come
    for bad in ({"after": "zz"}, {"wait": "nan"}, {"wait": "x"}, {"after": "A" * 40}):
        r = seeded.get("/git/tip", params=bad)
        assert r.status_code == 400, (bad, r.text)
