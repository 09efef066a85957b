"""The form editor through Litestar's TestClient over a seeded catalogue (real git + SQLite)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.layout import VersionKey
from tests.web.test_pages import Registry, csrf_of, login

FORK = "/t/132250/staff-lunch-survey"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return Registry(tmp_path_factory.mktemp("editor"))


def inputs(html: str) -> dict[str, str]:
    """The editor form's text inputs, textareas and checked boxes, as a browser would post them."""
    form = html.split('id="editor"', 1)[1].split("</form>", 1)[0]
    out: dict[str, str] = {}
    for tag in re.finditer(r"<input ([^>]*)>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(1)))
        flags = tag.group(1)
        if "name" not in attrs or " disabled" in flags:
            continue
        if attrs.get("type") == "checkbox":
            if " checked" in flags:
                out[attrs["name"]] = "on"
            continue
        out[attrs["name"]] = attrs.get("value", "")
    for m in re.finditer(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r"<option(?: value=\"([^\"]*)\")? selected>([^<]*)</option>", m.group(2))
        if chosen:
            out[m.group(1)] = chosen.group(1) if chosen.group(1) is not None else chosen.group(2)
    for m in re.finditer(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        out[m.group(1)] = m.group(2)
    return {k: v.replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'") for k, v in out.items()}


def post(client: TestClient[Any], action: str, **changes: str) -> Any:
    page = client.get(FORK + "/edit")
    data = inputs(page.text)
    data.update(changes)
    data["action"] = action
    return client.post(FORK + "/edit", data=data, follow_redirects=False)


def index_of(html: str, title: str) -> int:
    m = re.search(r'name="f(\d+)\.title" type="text" value="' + re.escape(title) + '"', html)
    assert m, title
    return int(m.group(1))


def test_editor_needs_the_owner(registry: Registry) -> None:
    with TestClient(registry.app) as client:
        assert client.get(FORK + "/edit").status_code == 401
        login(client, registry.tama)
        assert client.get(FORK + "/edit").status_code == 403
        assert "このテンプレートを編集" not in client.get(FORK).text


def test_edit_confirm_publish(registry: Registry) -> None:
    with TestClient(registry.app) as client:
        login(client, registry.inagi)
        page = client.get(FORK)
        assert "このテンプレートを編集" in page.text
        page = client.get(FORK + "/edit")
        assert page.status_code == 200
        assert "🔒 固定項目" in page.text
        assert '"$schema"' not in page.text   # staff never see JSON
        i = index_of(page.text, "勤務場所")
        assert post(client, "save", **{f"f{i}.title": "勤務している場所"}).status_code == 303
    # Another browser (a new session of the same account) continues the draft.
    with TestClient(registry.app) as client:
        login(client, registry.inagi)
        assert 'value="勤務している場所"' in client.get(FORK + "/edit").text
        assert post(client, "add-shared:phone.json").status_code == 303
        page = client.get(FORK + "/edit")
        assert 'value="電話番号"' in page.text
        # Remove a choice of 年代 (選択肢 "60歳代以上" is index 4).
        assert post(client, "remove-choice:age_group:4").status_code == 303
        # A locked field cannot be removed, whatever the page says.
        r = post(client, "remove:lunch_style")
        assert r.status_code == 422
        assert "固定している項目" in r.text
        # A condition: 『勤務している場所』が『その他』のとき『電話番号』を表示して必須にする.
        r = post(client, "add-condition", cond_when="workplace:3", cond_then="phone")
        assert r.status_code == 303
        assert "『勤務している場所』が『その他』のとき『電話番号』を表示して必須にする" in client.get(FORK + "/edit").text
        confirm = client.get(FORK + "/edit/confirm")
        assert confirm.status_code == 200, confirm.text
        assert "2.0.0" in confirm.text
        assert "メジャー" in confirm.text
        assert "公開する" in confirm.text
        r = client.post(FORK + "/edit/publish", data={"csrf_token": csrf_of(confirm.text),
                                                      "version": "2.0.0", "changelog": "稲城市向けに調整"},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == FORK + "?published=2.0.0"
        assert "2.0.0 を公開しました" in client.get(r.headers["location"]).text
    files = registry.service.get_version(VersionKey("132250", "staff-lunch-survey", "2.0.0"))
    props = files.schema["properties"]
    assert props["workplace"]["title"] == "勤務している場所"
    assert props["phone"] == {"$ref": "/common/phone.json", "title": "電話番号"}
    assert "60s" not in props["age_group"]["enum"]
    assert {"if": {"properties": {"workplace": {"const": "other"}}, "required": ["workplace"]},
            "then": {"required": ["phone"]}} in files.schema["allOf"]
    assert files.template["local"]["department"] == "企画部 ICT推進課"
    log = registry.service.history("132250/staff-lunch-survey")
    assert "稲城市" in log[-1].author or "総務課" in log[-1].author
    json.dumps(files.schema)


def test_pages_answer(registry: Registry) -> None:
    """Point 2 of issue 13: HEAD, favicon, titles, notices, open yours, Japanese events, old versions."""
    with TestClient(registry.app) as client:
        for path in ("/", FORK, FORK + "/1.0.0/preview", "/static/site.css", "/favicon.ico"):
            get, head = client.get(path), client.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b""
        assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg+xml")
        home = client.get("/").text
        assert "<title>様式レジストリ</title>" in home
        assert '<link rel="icon" href="/static/favicon.svg"' in home
        page = client.get(FORK + "?forked=1").text
        assert "フォークしました" in page
        assert "多摩市『職員ランチ実態アンケート』</a>から" in page
        assert "forked" not in page.split("<table", 1)[-1]   # the history's events in Japanese
        assert "フォーク" in page
        old = client.get("/t/132241/staff-lunch-survey/1.0.0/preview").text
        assert "現在の版は" in old
        assert "現在の版は" not in client.get("/t/132241/staff-lunch-survey/1.1.0/preview").text
        diff = client.get("/t/132241/staff-lunch-survey/diff?from=1.0.0&to=1.1.0").text
        assert "/$id" not in diff.split('id="side-h"')[0]
        login(client, registry.inagi)
        upstream = client.get("/t/132241/staff-lunch-survey").text
        assert "このテンプレートを使う" not in upstream
        assert "稲城市の『職員ランチ実態アンケート』を開く" in upstream
        assert 'pattern="[a-z0-9][a-z0-9\\-]*"' in client.get("/t/272264/absence-notice").text


def test_preview_error_summary_links_each_problem(registry: Registry) -> None:
    with TestClient(registry.app) as client:
        page = client.get("/t/272272/library-registration/1.0.0/preview")
        r = client.post("/t/272272/library-registration/1.0.0/preview",
                        data={"csrf_token": csrf_of(page.text), "address.postal_code": "1234567"})
        assert r.status_code == 422
        summary = r.text.split('id="summary"', 1)[1].split("</div>", 1)[0]
        assert 'href="#f-address-postal_code"' in summary
        assert 'tabindex="-1"' in r.text.split('id="summary"', 1)[0][-200:] + summary[:40]


def test_a_new_template_from_a_starter(registry: Registry) -> None:
    with TestClient(registry.app) as client:
        login(client, registry.inagi)
        assert "新しいテンプレートを作る" in client.get("/me").text
        page = client.get("/new")
        r = client.post("/new", data={"csrf_token": csrf_of(page.text), "title": "犬の登録申請",
                                      "slug": "Bad Slug", "category": "動物・環境", "starter": "applicant"})
        assert r.status_code == 422
        assert 'href="#n-slug"' in r.text
        r = client.post("/new", data={"csrf_token": csrf_of(page.text), "title": "犬の登録申請",
                                      "slug": "dog-registration", "category": "動物・環境", "starter": "applicant"},
                        follow_redirects=False)
        assert r.headers["location"] == "/t/132250/dog-registration/edit"
        editor = client.get("/t/132250/dog-registration/edit").text
        for title in ("氏名", "フリガナ", "住所", "電話番号", "メール"):
            assert f'value="{title}"' in editor
        data = inputs(editor)
        data.update({"action": "add-basic", "new_kind": "choice", "new_title": "犬の種類"})
        assert client.post("/t/132250/dog-registration/edit", data=data,
                           follow_redirects=False).status_code == 303
        confirm = client.get("/t/132250/dog-registration/edit/confirm")
        assert "最初の版 1.0.0" in confirm.text
        r = client.post("/t/132250/dog-registration/edit/publish",
                        data={"csrf_token": csrf_of(confirm.text), "version": "1.0.0"},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
    files = registry.service.get_version(VersionKey("132250", "dog-registration", "1.0.0"))
    assert files.schema["properties"]["name"] == {"$ref": "/common/person-name.json", "title": "氏名"}
    assert files.schema["properties"]["field_1"]["title"] == "犬の種類"
    assert files.template["title"] == "犬の登録申請"


def test_a_draft_of_an_older_version_is_not_published(registry: Registry) -> None:
    """A draft whose base was superseded (a pull, another account) asks to start again."""
    with TestClient(registry.app) as client:
        login(client, registry.tama)
        assert post_to(client, "/t/132241/public-comment", "save").status_code == 303
    other = registry.service.index.create_token("132241", "広報課")
    with TestClient(registry.app) as client:
        login(client, other)
        page = client.get("/t/132241/public-comment/edit")
        data = inputs(page.text)
        data.update({"action": "confirm", "meta.contact": "広報課 042-375-8111"})
        assert client.post("/t/132241/public-comment/edit", data=data,
                           follow_redirects=False).status_code == 303
        confirm = client.get("/t/132241/public-comment/edit/confirm")
        r = client.post("/t/132241/public-comment/edit/publish",
                        data={"csrf_token": csrf_of(confirm.text), "version": "1.0.1"},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
    with TestClient(registry.app) as client:
        login(client, registry.tama)
        confirm = client.get("/t/132241/public-comment/edit/confirm").text
        assert "その後 1.0.1 が公開されました" in confirm
        assert "として公開する" not in confirm


def post_to(client: TestClient[Any], base: str, action: str) -> Any:
    page = client.get(base + "/edit")
    data = inputs(page.text)
    data["action"] = action
    return client.post(base + "/edit", data=data, follow_redirects=False)
