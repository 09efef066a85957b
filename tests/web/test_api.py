"""Each endpoint and each error of the JSON API, through Litestar's test client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient
from webapp import Tokens, publish_body

from registry.config import Settings
from registry.service import RegistryService
from registry.web.app import create_app
from registry.wiring import open_service

API = "/api/v1/templates"
SURVEY = f"{API}/132241/event-survey"
PROBLEM = "application/problem+json"


def problem(r: Any) -> dict[str, Any]:
    """The problem+json body of a response (content type checked)."""
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    return body


def test_health_and_openapi(client: TestClient[Any]) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "tip": None, "last_event": 0, "checks": {
        "git_writable": "ok", "git_locks": "ok", "data_dir_writable": "ok",
        "index_caught_up": "ok"}, "replication": {"role": "primary"}}
    for path in ("/api/v1/openapi.json", "/schema/openapi.json"):
        doc = client.get(path).json()
        assert doc["openapi"].startswith("3.1")
        assert "/api/v1/templates/{lg}/{slug}/versions" in doc["paths"]


def test_publish_then_read(published: TestClient[Any], service: RegistryService) -> None:
    client = published
    detail = client.get(SURVEY).json()
    assert detail["template"]["latest_version"] == "1.0.0"
    assert detail["template"]["municipality_name"] == "多摩市"
    assert [v["version"] for v in detail["versions"]] == ["1.0.0"]
    last = service.index.changes(0, 1000)[-1].id
    assert client.get("/healthz").json()["last_event"] == last
    assert detail["versions"][0]["author_name"] == "情報政策課 (多摩市 132241)"
    found = client.get(API, params={"q": "市民講座"}).json()
    assert [(t["lg"], t["slug"]) for t in found["items"]] == [("132241", "event-survey")]
    assert found["next_cursor"] is None
    assert client.get(API, params={"q": "存在しない語"}).json() == {"items": [], "next_cursor": None}
    history = client.get(SURVEY + "/history").json()
    assert [(h["version"], h["event"], h["author"]) for h in history] == [
        ("1.0.0", "published", "情報政策課 (多摩市 132241)")]
    # Every write audited: who, what, from where.
    entry = service.index.audit_log(1)[0]  # type: ignore[attr-defined]
    assert (entry.actor, entry.action, entry.target, entry.remote_addr) == (
        "情報政策課 (多摩市 132241)", "publish", "132241/event-survey@1.0.0", "testclient")


def test_version_document_is_immutable_with_strong_etag(published: TestClient[Any],
                                                        service: RegistryService) -> None:
    client = published
    r = client.get(SURVEY + "/versions/1.0.0")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = r.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    doc = r.json()
    assert doc["key"] == "132241/event-survey@1.0.0"
    assert doc["template"]["title"] == "市民講座の参加アンケート"
    assert sorted(doc["examples"]["valid"]) == ["one-person.json", "two-people.json"]
    assert doc["examples"]["invalid"]["nobody.json"] == {"count": 0}
    again = client.get(SURVEY + "/versions/1.0.0", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    schema = client.get(SURVEY + "/versions/1.0.0/schema.json")
    assert schema.content == service.store.read_file("132241/event-survey/1.0.0/schema.json")
    assert schema.headers["etag"] != etag
    assert client.get(SURVEY + "/versions/1.0.0/schema.json",
                      headers={"If-None-Match": schema.headers["etag"]}).status_code == 304


def test_dry_run_writes_nothing(client: TestClient[Any], tokens: Tokens,
                                service: RegistryService) -> None:
    r = client.post(SURVEY + "/versions", params={"dry_run": "true"}, json=publish_body("1.0.0"),
                    headers=tokens.tama)
    assert r.status_code == 200
    assert r.json()["dry_run"] is True
    assert r.json()["commit"] is None
    assert service.store.tip() is None


def test_fork_pull_and_feed(published: TestClient[Any], tokens: Tokens) -> None:
    client = published
    r = client.post(SURVEY + "/fork", json={"to": "132250"}, headers=tokens.inagi)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{API}/132250/event-survey/versions/1.0.0"
    assert (r.json()["event"], r.json()["upstream_template"]) == ("forked", "132241/event-survey")
    assert client.post(SURVEY + "/versions", json=publish_body("1.1.0"),
                       headers=tokens.tama).status_code == 201
    fork = client.get(f"{API}/132250/event-survey").json()
    assert fork["behind"] == 1
    assert fork["upstream_chain"] == ["132241/event-survey@1.0.0"]
    assert [f["lg"] for f in client.get(SURVEY).json()["forks"]] == ["132250"]
    r = client.post(f"{API}/132250/event-survey/pull", json={}, headers=tokens.inagi)
    assert r.status_code == 201, r.text
    assert r.json()["published"]["version"] == "1.1.0"
    assert r.json()["theirs_version"] == "1.1.0"
    assert client.post(f"{API}/132250/event-survey/pull", json={},
                       headers=tokens.inagi).json()["up_to_date"] is True
    feed = client.get("/api/v1/changes").json()
    assert [(e["kind"], e["lg"], e["version"]) for e in feed["events"]] == [
        ("published", "132241", "1.0.0"), ("forked", "132250", "1.0.0"),
        ("published", "132241", "1.1.0"), ("pulled", "132250", "1.1.0")]
    page = client.get("/api/v1/changes", params={"after": feed["events"][1]["id"], "limit": 1}).json()
    assert [e["version"] for e in page["events"]] == ["1.1.0"]
    assert client.get("/api/v1/changes", params={"after": feed["next_cursor"]}).json()["events"] == []
    d = client.get(SURVEY + "/diff", params={"from": "1.0.0", "to": "1.1.0"}).json()
    assert (d["from"], d["to"], d["backward"], d["forward"], d["bump"]) == (
        "132241/event-survey@1.0.0", "132241/event-survey@1.1.0", "compatible", "breaking", "minor")
    assert [c["pointer"] for c in d["changes"]] == ["/properties/comment", "/$id"]


def test_pull_conflict_is_409_with_pointers_and_writes_nothing(
        published: TestClient[Any], tokens: Tokens, service: RegistryService) -> None:
    client = published
    client.post(SURVEY + "/fork", json={"to": "132250"}, headers=tokens.inagi)
    ours = publish_body("1.0.0")
    ours["version"] = "1.0.1"
    ours["schema"]["$id"] = "https://yoshiki.invalid/132250/event-survey/1.0.1/schema.json"
    ours["schema"]["properties"]["count"]["title"] = "参加者数"
    ours["template"]["upstream"] = {"template": "132241/event-survey", "version": "1.0.0"}
    assert client.post(f"{API}/132250/event-survey/versions", json=ours,
                       headers=tokens.inagi).status_code == 201
    theirs = publish_body("1.2.0")
    theirs["version"] = "1.0.1"
    theirs["schema"]["$id"] = "https://yoshiki.invalid/132241/event-survey/1.0.1/schema.json"
    del theirs["schema"]["properties"]["comment"]
    assert client.post(SURVEY + "/versions", json=theirs, headers=tokens.tama).status_code == 201
    tip = service.store.tip()
    r = client.post(f"{API}/132250/event-survey/pull", json={}, headers=tokens.inagi)
    assert r.status_code == 409
    body = problem(r)
    assert (body["code"], body["status"], body["title"]) == ("conflict", 409, "競合があります / Conflict")
    assert body["conflicts"] == [{
        "file": "schema.json", "pointer": "/properties/count/title", "kind": "both_changed",
        "base": "参加人数", "ours": "参加者数", "theirs": "参加人数（ご本人を含む）", "missing": [],
        "message": "both sides changed this value differently",
        "message_ja": "両方の版でこの値が異なる内容に変更されています"}]
    assert service.store.tip() == tip
    r = client.post(f"{API}/132250/event-survey/pull",
                    json={"resolutions": {"/properties/count/title": "ours"}}, headers=tokens.inagi)
    assert r.status_code == 201, r.text
    merged = client.get(f"{API}/132250/event-survey/versions/1.0.2").json()["schema"]
    assert merged["properties"]["count"]["title"] == "参加者数"


def test_deprecate(published: TestClient[Any], tokens: Tokens) -> None:
    client = published
    r = client.post(SURVEY + "/versions/1.0.0/deprecate", json={"reason": "設問を見直しました"},
                    headers=tokens.tama)
    assert r.status_code == 200
    assert r.json()["key"] == "132241/event-survey@1.0.0"
    history = client.get(SURVEY + "/history").json()
    assert (history[0]["deprecated"], history[0]["deprecated_reason"]) == (True, "設問を見直しました")


def test_municipalities(client: TestClient[Any]) -> None:
    tokyo = client.get("/api/v1/municipalities", params={"prefecture": "東京都"}).json()
    assert {"code": "132250", "name": "稲城市", "prefecture": "東京都", "kind": "city"} in tokyo
    assert all(m["prefecture"] == "東京都" for m in tokyo)
    assert len(client.get("/api/v1/municipalities").json()) > 1700


# -- errors: problem+json bodies written out literally ---------------------------------------

def test_401_without_token(client: TestClient[Any]) -> None:
    r = client.post(SURVEY + "/versions", json=publish_body("1.0.0"))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="yoshiki"'
    assert problem(r) == {
        "type": "https://yoshiki.invalid/problems/unauthenticated",
        "title": "認証が必要です / Authentication required", "status": 401, "code": "unauthenticated",
        "detail": "this request writes to the registry: send Authorization: Bearer <token>",
        "detail_ja": "書き込みには認証が必要です。Authorization: Bearer <トークン> を付けてください",
        "instance": "/api/v1/templates/132241/event-survey/versions"}


WRITES = [SURVEY + "/versions", SURVEY + "/versions/1.0.0/deprecate", SURVEY + "/pull",
          SURVEY + "/fork"]
BODIES = {"empty object": b"{}", "garbage": b"\x00{not json\xff", "over the limit": b"[" * (2 * 1024 * 1024)}


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("body", list(BODIES), ids=list(BODIES))
def test_401_before_the_body_is_read(client: TestClient[Any], path: str, body: str) -> None:
    """No token: 401 whatever the body — never 400, 413 or 422 first (the guard runs first)."""
    r = client.post(path, content=BODIES[body], headers={"Content-Type": "application/json"})
    assert r.status_code == 401, r.text
    assert problem(r)["code"] == "unauthenticated"


@pytest.mark.parametrize("path", WRITES[:3])
@pytest.mark.parametrize("body", list(BODIES), ids=list(BODIES))
def test_403_before_the_body_is_read(client: TestClient[Any], tokens: Tokens, path: str, body: str) -> None:
    """Another city's token on a write to 多摩市's template: 403 whatever the body."""
    r = client.post(path, content=BODIES[body],
                    headers={**tokens.inagi, "Content-Type": "application/json"})
    assert r.status_code == 403, r.text
    assert problem(r)["code"] == "forbidden"


def test_the_guard_does_not_stop_a_good_write(client: TestClient[Any], tokens: Tokens) -> None:
    """Its own city's token gets past the guard to the body's checks (here: 400 for {})."""
    r = client.post(SURVEY + "/versions", content=b"{}",
                    headers={**tokens.tama, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text


def test_401_revoked_token(client: TestClient[Any], tokens: Tokens, service: RegistryService) -> None:
    service.index.revoke_token("132241", "情報政策課")
    r = client.post(SURVEY + "/versions", json=publish_body("1.0.0"), headers=tokens.tama)
    assert r.status_code == 401
    assert problem(r)["detail"] == "the token is unknown or revoked"


def test_403_other_municipality(client: TestClient[Any], tokens: Tokens, service: RegistryService) -> None:
    r = client.post(SURVEY + "/versions", json=publish_body("1.0.0"), headers=tokens.inagi)
    assert r.status_code == 403
    entry = service.index.audit_log(1)[0]  # type: ignore[attr-defined]
    assert (entry.actor, entry.action, entry.target, entry.detail, entry.remote_addr) == (
        "総務課 (稲城市 132250)", "denied", "POST /api/v1/templates/132241/event-survey/versions",
        "municipality 132241", "testclient")
    assert problem(r) == {
        "type": "https://yoshiki.invalid/problems/forbidden",
        "title": "権限がありません / Forbidden", "status": 403, "code": "forbidden",
        "detail": "総務課 (稲城市 132250) may not write templates of municipality 132241 (多摩市)",
        "detail_ja": "総務課 (稲城市 132250) は 多摩市（132241）のテンプレートを書き込めません",
        "instance": "/api/v1/templates/132241/event-survey/versions"}


def test_admin_may_write_anywhere(client: TestClient[Any], tokens: Tokens) -> None:
    r = client.post(SURVEY + "/versions", json=publish_body("1.0.0"), headers=tokens.admin)
    assert r.status_code == 201


def test_404_unknown_template(client: TestClient[Any]) -> None:
    r = client.get(API + "/132241/no-such-form")
    assert r.status_code == 404
    assert problem(r) == {
        "type": "https://yoshiki.invalid/problems/not-found", "title": "見つかりません / Not found",
        "status": 404, "code": "not-found", "detail": "template 132241/no-such-form does not exist",
        "detail_ja": "テンプレート 132241/no-such-form はありません",
        "instance": "/api/v1/templates/132241/no-such-form"}


def test_409_version_exists(published: TestClient[Any], tokens: Tokens) -> None:
    r = published.post(SURVEY + "/versions", json=publish_body("1.0.0"), headers=tokens.tama)
    assert r.status_code == 409
    assert problem(r) == {
        "type": "https://yoshiki.invalid/problems/version-exists",
        "title": "この版は公開済みです / Version already published", "status": 409,
        "code": "version-exists",
        "detail": "132241/event-survey@1.0.0 is already published; a published version never changes — publish a new version number",
        "detail_ja": "132241/event-survey@1.0.0 は公開済みです。公開した版は変更できません。新しい版番号で公開してください",
        "instance": "/api/v1/templates/132241/event-survey/versions",
        "version": "132241/event-survey@1.0.0"}


def test_413_body_too_large(tmp_path: Any) -> None:
    settings = Settings.for_data_dir(tmp_path / "small", max_body_bytes=500)
    service = open_service(settings)
    tokens = Tokens(service)
    with TestClient(create_app(settings, service=service)) as client:
        r = client.post(SURVEY + "/versions", json=publish_body("1.0.0"), headers=tokens.tama)
    assert service.store.tip() is None
    assert r.status_code == 413
    body = problem(r)
    assert (body["type"], body["title"], body["status"], body["code"]) == (
        "https://yoshiki.invalid/problems/too-large", "大きすぎます / Limit exceeded", 413, "too-large")


def test_413_schema_too_deep(client: TestClient[Any], tokens: Tokens) -> None:
    body = publish_body("1.0.0")
    node: dict[str, Any] = {"type": "string"}
    for _ in range(40):
        node = {"type": "object", "properties": {"x": node}}
    body["schema"]["properties"]["deep"] = node
    r = client.post(SURVEY + "/versions", json=body, headers=tokens.tama)
    assert r.status_code == 413
    assert problem(r) == {
        "type": "https://yoshiki.invalid/problems/too-large", "title": "大きすぎます / Limit exceeded",
        "status": 413, "code": "too-large", "detail": "the schema nests deeper than 32 levels",
        "detail_ja": "schema の入れ子が深すぎます（上限 32 段）",
        "instance": "/api/v1/templates/132241/event-survey/versions",
        "limit": "max_schema_depth", "max": 32}


def test_413_too_many_refs(client: TestClient[Any], tokens: Tokens) -> None:
    body = publish_body("1.0.0")
    body["schema"]["$defs"] = {"n": {"type": "string"}}
    body["schema"]["properties"].update({f"f{i}": {"$ref": "#/$defs/n"} for i in range(201)})
    r = client.post(SURVEY + "/versions", json=body, headers=tokens.tama)
    assert r.status_code == 413
    assert problem(r)["detail"] == "the schema has more than 200 $ref"


def test_422_invalid_template_lists_issues(client: TestClient[Any], tokens: Tokens) -> None:
    body = publish_body("1.0.0")
    body["schema"]["properties"]["count"]["type"] = "integr"
    r = client.post(SURVEY + "/versions", json=body, headers=tokens.tama)
    assert r.status_code == 422
    p = problem(r)
    assert (p["code"], p["title"], p["detail"]) == (
        "invalid", "テンプレートが不正です / Invalid template",
        "132241/event-survey@1.0.0 is not valid; nothing was published")
    assert any(i["pointer"].startswith("/properties/count") for i in p["issues"])
    assert all(i["message_ja"] and i["message"] for i in p["issues"])


def test_422_incompatible_change(published: TestClient[Any], tokens: Tokens) -> None:
    body = publish_body("1.0.0")
    body["version"] = "1.0.1"
    body["schema"]["$id"] = "https://yoshiki.invalid/132241/event-survey/1.0.1/schema.json"
    body["schema"]["properties"]["count"]["maximum"] = 5
    r = published.post(SURVEY + "/versions", json=body, headers=tokens.tama)
    assert r.status_code == 422
    p = problem(r)
    assert (p["code"], p["required_bump"], p["suggested_version"]) == ("incompatible", "major", "2.0.0")
    assert [i["pointer"] for i in p["issues"]] == ["/properties/count/maximum"]


def test_400_malformed_json(client: TestClient[Any], tokens: Tokens) -> None:
    r = client.post(SURVEY + "/versions", content=b'{"version": ',
                    headers={**tokens.tama, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert problem(r) == {
        "type": "https://yoshiki.invalid/problems/bad-request",
        "title": "リクエストが正しくありません / Bad request", "status": 400, "code": "bad-request",
        "detail": "Input data was truncated",
        "detail_ja": "リクエストの形式が正しくありません。JSON の書式と項目を確認してください。",
        "instance": "/api/v1/templates/132241/event-survey/versions"}


def test_400_bad_slug_and_version(client: TestClient[Any]) -> None:
    r = client.get(API + "/132241/Bad_Slug/versions/1.0.0")
    assert r.status_code == 400
    assert problem(r)["detail"] == "'Bad_Slug' is not a slug: lowercase letters, digits and '-', at most 64 characters"
    r = client.get(SURVEY + "/versions/latest")
    assert r.status_code == 400
    assert problem(r)["code"] == "usage"
    r = client.get(API + "/132249/event-survey")
    assert r.status_code == 404
    assert problem(r)["suggestion"] == "132241"


HOSTILE: list[tuple[str, str, Any]] = [
    ("GET", API + "/132241/..%2f..%2f..%2fetc%2fpasswd", None),
    ("GET", API + "/132241/%2e%2e/versions/1.0.0", None),
    ("GET", API + "/..%2F..%2F/event-survey", None),
    ("GET", SURVEY + "/versions/..%2F1.0.0%2Fschema.json", None),
    ("GET", SURVEY + "/versions/1.0.0%2F..%2F..%2F/schema.json", None),
    ("GET", API + "/132241/event-survey%00/versions/1.0.0", None),
    ("POST", SURVEY + "/versions", {"version": "../../1.0.0", "template": {}, "schema": {}}),
    ("POST", SURVEY + "/versions", {"version": "1.0.0", "template": {}, "schema": {},
                                    "examples": {"valid": {"../../../x.json": {}}}}),
    ("POST", SURVEY + "/versions", {"version": "1.0.0", "template": {}, "schema": {},
                                    "examples": {"../..": {"x.json": {}}}}),
    ("POST", SURVEY + "/fork", {"to": "../132250"}),
    ("POST", SURVEY + "/fork", {"to": "132250", "slug": "../../x"}),
    ("POST", SURVEY + "/versions", b"\xff\xfe not json"),
    ("POST", SURVEY + "/versions", b"[]"),
    ("POST", SURVEY + "/pull", {"resolutions": {"/x": 3}}),
    ("POST", SURVEY + "/versions", {"version": "1.0.0", "template": {},
                                    "schema": {"$ref": "https://example.com/evil.json"}}),
]


@pytest.mark.parametrize(("method", "path", "body"), HOSTILE)
def test_hostile_requests_change_nothing(published: TestClient[Any], tokens: Tokens,
                                         service: RegistryService, method: str, path: str,
                                         body: Any) -> None:
    before = (service.store.tip(), service.index.changes(0, 1000), service.records())
    if method == "GET":
        r = published.get(path)
    elif isinstance(body, bytes):
        r = published.post(path, content=body, headers={**tokens.tama, "Content-Type": "application/json"})
    else:
        r = published.post(path, content=json.dumps(body), headers={**tokens.tama, "Content-Type": "application/json"})
    assert r.status_code in (400, 404, 409, 413, 422), (r.status_code, r.text)
    assert problem(r)["status"] == r.status_code
    assert (service.store.tip(), service.index.changes(0, 1000), service.records()) == before


def test_search_pages_with_a_cursor(published: TestClient[Any], tokens: Tokens) -> None:
    client = published
    assert client.post(SURVEY + "/fork", json={"to": "132250"}, headers=tokens.inagi).status_code == 201
    first = client.get(API, params={"q": "講座", "limit": 1}).json()
    assert len(first["items"]) == 1
    assert first["next_cursor"]
    second = client.get(API, params={"q": "講座", "limit": 1, "cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] is None
    assert {(t["lg"], t["slug"]) for t in first["items"] + second["items"]} == {
        ("132241", "event-survey"), ("132250", "event-survey")}
    assert [t["lg"] for t in client.get(API, params={"municipality": "132250"}).json()["items"]] == ["132250"]
    r = client.get(API, params={"cursor": "not-a-cursor"})
    assert r.status_code == 400
    assert problem(r)["detail"] == "invalid page cursor 'not-a-cursor'; start again without a cursor"
    r = client.get("/api/v1/changes", params={"after": "-1"})
    assert r.status_code == 400
    assert problem(r)["code"] == "usage"
