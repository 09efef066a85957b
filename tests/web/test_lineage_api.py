"""Whole lineage, prefecture views, filtered feed and Atom over HTTP (the real app, TestClient)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import feedparser
from litestar.testing import TestClient

from registry.service import RegistryService

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from test_lineage_tree import INAGI, MIZUHO, ROOT, SLUG, TAMA, build

ATOM = "{http://www.w3.org/2005/Atom}"


def test_lineage_and_prefecture_api(client: TestClient[Any], service: RegistryService) -> None:
    build(service)
    r = client.get(f"/api/v1/templates/{MIZUHO}/{SLUG}/lineage")
    assert r.status_code == 200, r.text
    tree = r.json()
    assert tree["root"]["template"] == str(ROOT)
    inagi = next(f for f in tree["root"]["forks"] if f["lg"] == INAGI)
    assert inagi["forks"][0] | {"forks": []} == inagi["forks"][0]
    assert (inagi["forks"][0]["template"], inagi["forks"][0]["behind"]) == (f"{MIZUHO}/{SLUG}", 1)

    r = client.get("/api/v1/prefectures/13/adoption")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["prefecture_name"] == "東京都"
    assert body["counts"]["forks"] == 4
    assert body["items"][0]["template"] == str(ROOT)
    assert body["items"][0]["users"] == 3
    r = client.get(f"/api/v1/prefectures/130001/adoption?template={ROOT}")
    assert [u["lg"] for u in r.json()["users"]] == ["132012", TAMA, INAGI]

    r = client.get("/api/v1/prefectures/13/divergence")
    assert "3 件中 2 件のフォークが『電話番号（日中）』を追加" in [s["text_ja"] for s in r.json()["summaries"]]
    assert client.get("/api/v1/prefectures/99/adoption").status_code == 404
    bad = client.get("/api/v1/prefectures/13/adoption?template=nope")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")

    users = client.get(f"/api/v1/templates/{ROOT}/users").json()
    assert users["lineage"]["fork_count"] == 5


def test_change_feed_filters_and_cursor(client: TestClient[Any], service: RegistryService) -> None:
    build(service)
    r = client.get(f"/api/v1/changes?template={TAMA}/{SLUG}")
    assert [(e["kind"], e["version"]) for e in r.json()["events"]] == [("forked", "1.0.0"), ("published", "1.1.0")]
    first = client.get(f"/api/v1/changes?upstream={ROOT}&limit=2").json()
    rest = client.get(f"/api/v1/changes?upstream={ROOT}&after={first['next_cursor']}").json()
    lgs = {e["lg"] for e in first["events"] + rest["events"]}
    assert lgs == {INAGI, MIZUHO, TAMA, "132012", "141003"}
    assert all(e["kind"] == "forked" for e in client.get("/api/v1/changes?kind=forked").json()["events"])
    assert {e["lg"] for e in client.get(f"/api/v1/changes?municipality={TAMA}").json()["events"]} == {TAMA}
    assert client.get("/api/v1/changes?kind=eaten").status_code == 400
    assert client.get("/api/v1/changes?municipality=999999").status_code in (400, 404)


def test_atom_feeds_parse(client: TestClient[Any], service: RegistryService) -> None:
    build(service)
    r = client.get(f"/api/v1/templates/{TAMA}/{SLUG}/feed.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{ATOM}feed"
    for entry in root.findall(f"{ATOM}entry"):   # RFC 4287: id, title, updated per entry
        assert all(entry.find(f"{ATOM}{t}") is not None for t in ("id", "title", "updated"))
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.bozo_exception
    titles = [e.title for e in parsed.entries]
    # the template's own events and its upstream's releases, newest first
    assert titles[0].startswith("東京都 jumin-soudan 1.2.0 を公開")
    assert any(t.startswith("多摩市 jumin-soudan 1.1.0 を公開") for t in titles)
    city = feedparser.parse(client.get(f"/api/v1/municipalities/{INAGI}/feed.atom").content)
    assert not city.bozo
    assert {e.id for e in city.entries}
    assert all(
        ("稲城市" in e.title or "東京都" in e.title) for e in city.entries)


def test_pages(client: TestClient[Any], service: RegistryService) -> None:
    build(service)
    page = client.get("/p/13", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "東京都のテンプレート利用状況" in page.text
    assert "3 件中 2 件のフォークが『電話番号（日中）』を追加" in page.text
    one = client.get(f"/p/13?template={ROOT}").text
    assert "瑞穂町" not in one.split("を使っている自治体")[1].split("</table>")[0]  # 瑞穂町 forks 稲城市
    t = client.get(f"/t/{ROOT}").text
    assert "このテンプレートを使っている自治体" in t
    assert "瑞穂町" in t
    assert "2 版遅れ" in t
    # /m/ of 稲城市: 瑞穂町 uses 稲城市's fork
    m = client.get(f"/m/{INAGI}").text.split("稲城市のテンプレート</h2>")[1]
    assert "瑞穂町" in m
