"""The staff pages through Litestar's test client over a seeded catalogue (real git + SQLite)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from webapp import csrf_of, login

from registry.config import Settings
from registry.layout import VersionKey
from registry.seeding import seed
from registry.web import session
from registry.web.app import create_app
from registry.wiring import open_service

CATALOGUE = Path(__file__).resolve().parents[2] / "templates_repo"


class Registry:
    """A seeded registry and tokens of 稲城市 and 多摩市."""

    def __init__(self, root: Path) -> None:
        self.settings = Settings.for_data_dir(root)
        self.service = open_service(self.settings)
        seed(self.service, CATALOGUE)
        self.inagi = self.service.index.create_token("132250", "総務課")
        self.tama = self.service.index.create_token("132241", "情報政策課")
        self.app = create_app(self.settings, service=self.service)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """One seeded registry per module (seeding takes most of a second)."""
    return Registry(tmp_path_factory.mktemp("pages"))


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient[Any]]:
    """A fresh browser: no cookies."""
    with TestClient(registry.app) as c:
        yield c




def test_top_page_searches_in_japanese(client: TestClient[Any]) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert '<html lang="ja">' in r.text
    assert "最近公開されたテンプレート" in r.text
    assert '<label for="q">' in r.text
    r = client.get("/", params={"q": "欠席"})
    assert "検索結果（1件）" in r.text
    assert 'href="/t/272264/absence-notice"' in r.text
    r = client.get("/", params={"q": "申し込み", "municipality": "272272"})
    assert 'href="/t/272272/library-registration"' in r.text
    assert "absence-notice" not in r.text.split("検索結果")[1].split("最近公開")[0]


def test_english_switch_is_remembered(client: TestClient[Any]) -> None:
    r = client.get("/", params={"lang": "en"})
    assert '<html lang="en">' in r.text
    assert "Recently published" in r.text
    assert client.get("/").text.count("Recently published") == 1
    page = client.get("/", params={"q": "欠席"})
    assert 'href="/?q=%E6%AC%A0%E5%B8%AD&amp;lang=ja" lang="ja"' in page.text


def test_municipality_page_shows_forks_both_ways(client: TestClient[Any]) -> None:
    r = client.get("/m/132241")
    assert r.status_code == 200
    assert "<h1>多摩市（132241）</h1>" in r.text
    assert 'href="/t/132241/public-comment"' in r.text
    # 稲城市 forked 多摩市's staff lunch survey.
    assert 'href="/t/132250/staff-lunch-survey"' in r.text
    r = client.get("/m/132250")
    assert "他の自治体のテンプレートをもとにしたもの" in r.text
    assert "多摩市の様式から" in r.text   # cards name cities, not codes (issue 13)


def test_template_page(client: TestClient[Any]) -> None:
    r = client.get("/t/272272/library-registration")
    assert r.status_code == 200
    for text in ("図書館の利用申し込み", "施設・イベント", "CC-BY-4.0", "社会教育部 中央図書館",
                 "郵便番号", "個人情報", "条件により必須", "版の履歴"):
        assert text in r.text, text
    assert 'href="/t/272272/library-registration/1.0.0/preview"' in r.text
    assert 'href="/t/272272/library-registration/1.0.0/print"' in r.text
    assert "このテンプレートを使う" not in r.text  # not logged in
    lineage = client.get("/t/132241/staff-lunch-survey").text
    assert 'href="/t/132250/staff-lunch-survey"' in lineage


def test_preview_widgets(client: TestClient[Any]) -> None:
    r = client.get("/t/272272/library-registration/1.0.0/preview")
    html = r.text
    assert r.status_code == 200
    assert '<label for="f-address-postal_code">郵便番号' in html
    assert 'placeholder="123-4567"' in html
    assert 'type="date"' in html
    assert 'type="email"' in html
    assert 'type="tel"' in html
    assert 'type="radio" id="f-eligibility-1" name="eligibility" value="resident"' in html
    assert '<select id="f-pickup_library"' in html
    assert 'type="checkbox" id="f-services-1" name="services" value="card"' in html
    assert 'data-show-if="eligibility" data-show-values="worker|student"' in html
    # 住所 in postal order.
    order = [html.index(f'id="f-address-{p}"') for p in ("postal_code", "prefecture", "city", "street")]
    assert order == sorted(order)


def test_preview_post_shows_japanese_errors_beside_fields(client: TestClient[Any]) -> None:
    url = "/t/272272/library-registration/1.0.0/preview"
    token = csrf_of(client.get(url).text)
    r = client.post(url, data={"csrf_token": token, "name": "山田 花子",
                               "address.postal_code": "12-345"})
    assert r.status_code == 422
    assert ('<p class="field-error" id="f-address-postal_code-error" role="alert">'
            "郵便番号は 123-4567 の形式で入力してください（入力値: 12-345）</p>") in r.text
    field = r.text[r.text.index('<input id="f-address-postal_code"'):]
    field = field[:field.index(">")]
    assert 'value="12-345"' in field
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="f-address-postal_code-help f-address-postal_code-error"' in field
    assert "『氏名 (フリガナ)』を入力してください" in r.text
    assert 'value="山田 花子"' in r.text


def test_preview_post_valid(client: TestClient[Any]) -> None:
    url = "/t/272272/library-registration/1.0.0/preview"
    token = csrf_of(client.get(url).text)
    data = {"csrf_token": token, "name": "山田 花子", "furigana": "ヤマダ ハナコ",
            "birth_date": "1990-04-01", "address.postal_code": "５７７－００１１",
            "address.prefecture": "大阪府", "address.city": "東大阪市", "address.street": "荒本北1-1-1",
            "phone": "06-4309-3000", "email": "hanako@example.jp", "eligibility": "resident",
            "services": ["card", "ebook"], "pickup_library": "中央図書館", "newsletter": "true"}
    r = client.post(url, data=data)
    assert r.status_code == 200, re.findall(r'field-error[^>]*>([^<]*)', r.text)
    assert "入力内容に誤りはありません" in r.text


def test_csrf_is_required(client: TestClient[Any], registry: Registry) -> None:
    url = "/t/272272/library-registration/1.0.0/preview"
    client.get(url)
    r = client.post(url, data={"name": "x"})
    assert r.status_code == 403
    assert "フォームの有効期限が切れたか" in r.text
    r = client.post("/login", data={"csrf_token": "forged" * 8, "token": registry.inagi})
    assert r.status_code == 403
    assert session.SESSION_COOKIE not in r.cookies


def test_print_page(client: TestClient[Any]) -> None:
    r = client.get("/t/272272/library-registration/1.0.0/print")
    assert r.status_code == 200
    assert '<div class="p-town">東大阪市</div>' in r.text
    assert "<h1>図書館の利用申し込み</h1>" in r.text
    assert "□</span> 市内に住んでいる" in r.text
    assert 'href="/static/print.css" media="print"' in r.text
    css = client.get("/static/print.css").text
    assert "size: A4" in css


def test_diff_page_marks_breaking_change(client: TestClient[Any]) -> None:
    r = client.get("/t/271403/after-school-club-application/diff",
                   params={"from": "1.0.0", "to": "2.0.0"})
    assert r.status_code == 200
    assert "これまでに受け付けた申請データの一部は新しい版では無効になります" in r.text
    assert "メジャー" in r.text
    assert '<span class="badge breaking">互換性なし</span>' in r.text
    assert "古い版では有効で、新しい版では無効になる申請の例" in r.text
    assert '<dl class="filled">' in r.text   # witnesses as filled forms (issue 13)
    assert '<td class="code del">' in r.text
    assert '<td class="code add">' in r.text
    assert 'class="replace hit"' in r.text or 'class="insert hit"' in r.text


def test_login_me_logout(client: TestClient[Any], registry: Registry) -> None:
    assert client.get("/me", follow_redirects=False).headers["location"] == "/login"
    page = client.get("/login")
    bad = client.post("/login", data={"csrf_token": csrf_of(page.text), "token": "nope"})
    assert bad.status_code == 401
    assert "トークンが正しくないか" in bad.text
    r = client.post("/login", data={"csrf_token": csrf_of(page.text), "token": registry.inagi},
                    follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert registry.inagi not in cookie
    me = client.get("/me")
    assert "稲城市（132250）" in me.text
    assert "総務課" in me.text
    assert registry.inagi not in me.text
    r = client.post("/logout", data={"csrf_token": csrf_of(me.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/me", follow_redirects=False).status_code == 303


def test_session_cookie_secure_behind_tls(client: TestClient[Any], registry: Registry) -> None:
    page = client.get("/login")
    r = client.post("/login", data={"csrf_token": csrf_of(page.text), "token": registry.tama},
                    headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
    assert "Secure" in r.headers["set-cookie"]


def test_forged_session_is_ignored(client: TestClient[Any]) -> None:
    client.cookies.set(session.SESSION_COOKIE, "eyJtIjoiMTMyMjUwIn0.forged")
    assert client.get("/me", follow_redirects=False).status_code == 303


def test_fork_through_the_page(client: TestClient[Any], registry: Registry) -> None:
    login(client, registry.inagi)
    page = client.get("/t/272264/absence-notice")
    assert "このテンプレートを使う" in page.text
    r = client.post("/t/272264/absence-notice/fork", data={"csrf_token": csrf_of(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/t/132250/absence-notice")
    forked = client.get("/t/132250/absence-notice")
    assert "272264/absence-notice" in forked.text
    assert "稲城市" in forked.text
    again = client.post("/t/272264/absence-notice/fork", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 409
    assert "既にあります" in again.text


def test_pull_through_the_page(client: TestClient[Any], registry: Registry) -> None:
    login(client, registry.inagi)
    page = client.get("/t/132250/staff-lunch-survey")
    assert "更新を取り込む" in page.text
    r = client.post("/t/132250/staff-lunch-survey/pull", data={"csrf_token": csrf_of(page.text)},
                    follow_redirects=False)
    if r.status_code == 409:  # conflicts: choose 稲城市's side for each and submit
        assert "競合があります" in r.text
        keys = set(re.findall(r'name="(r:[^"]+)"', r.text))
        data = {"csrf_token": csrf_of(r.text), **dict.fromkeys(keys, "ours")}
        r = client.post("/t/132250/staff-lunch-survey/pull", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    after = client.get("/t/132250/staff-lunch-survey")
    assert "多摩市『職員ランチ実態アンケート』</a>から（1.1.0 をもとにしています）" in after.text


def test_pull_needs_login(client: TestClient[Any]) -> None:
    page = client.get("/login")
    r = client.post("/t/132250/staff-lunch-survey/pull", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 401
    assert "ログインしてください" in r.text


def test_not_found_pages_in_japanese(client: TestClient[Any]) -> None:
    r = client.get("/t/132241/no-such-form")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "テンプレート 132241/no-such-form はありません" in r.text
    assert client.get("/t/272272/library-registration/9.9.9/preview").status_code == 404
    assert client.get("/m/999999").status_code in (400, 404)
    page = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "お探しのページは見つかりませんでした" in page.text
    api = client.get("/api/v1/no-such", headers={"Accept": "text/html"})
    assert api.headers["content-type"].startswith("application/problem+json")


EVENT_SURVEY = Path(__file__).resolve().parents[1] / "data" / "web" / "132241" / "event-survey" / "1.0.0"


def _publish_with_title(registry: Registry, lg: str, slug: str, version: str, title: str,
                        *, upstream: dict[str, str] | None = None) -> None:
    """Publish event-survey under ``lg/slug@version`` with 満足度's title changed."""
    import json

    from registry.readmodels import TokenInfo
    from registry.web.auth import author_of

    files = {p.relative_to(EVENT_SURVEY).as_posix(): p.read_bytes()
             for p in EVENT_SURVEY.rglob("*") if p.is_file()}
    schema = json.loads(files["schema.json"])
    schema["$id"] = f"https://yoshiki.invalid/{lg}/{slug}/{version}/schema.json"
    schema["properties"]["satisfaction"]["title"] = title
    template = json.loads(files["template.json"])
    if upstream:
        template["upstream"] = upstream
    files["schema.json"] = json.dumps(schema, ensure_ascii=False).encode()
    files["template.json"] = json.dumps(template, ensure_ascii=False).encode()
    actor = author_of(TokenInfo(municipality=lg, name="test"))
    registry.service.publish(files, actor=actor, key=VersionKey(lg, slug, version))


def test_pull_conflicts_resolved_by_field(client: TestClient[Any], registry: Registry) -> None:
    from registry.layout import TemplateKey
    from registry.readmodels import TokenInfo
    from registry.web.auth import author_of

    _publish_with_title(registry, "132241", "conflict-survey", "1.0.0", "満足度")
    registry.service.fork(TemplateKey("132241", "conflict-survey"), to_lg="132250",
                          actor=author_of(TokenInfo(municipality="132250", name="test")))
    _publish_with_title(registry, "132250", "conflict-survey", "1.0.1", "稲城市の満足度",
                        upstream={"template": "132241/conflict-survey", "version": "1.0.0"})
    _publish_with_title(registry, "132241", "conflict-survey", "1.0.1", "多摩市の満足度")
    login(client, registry.inagi)
    page = client.get("/t/132250/conflict-survey")
    r = client.post("/t/132250/conflict-survey/pull", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 409
    assert "競合があります" in r.text
    # By field title, the three values in words (issue 13), and a third choice.
    assert "<legend>稲城市の満足度</legend>" in r.text
    assert '<p class="side-h">もとの値（1.0.0）</p><p class="value">満足度</p>' in r.text
    assert '<p class="value">多摩市の満足度</p>' in r.text
    assert "別の値にする" in r.text
    keys = set(re.findall(r'name="(r:[^"]+)"', r.text))
    assert keys == {"r:schema.json#/properties/satisfaction/title"}
    r = client.post("/t/132250/conflict-survey/pull",
                    data={"csrf_token": csrf_of(r.text), **dict.fromkeys(keys, "theirs")},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    after = registry.service.get_version(VersionKey("132250", "conflict-survey", "1.0.2"))
    assert after.schema["properties"]["satisfaction"]["title"] == "多摩市の満足度"
