"""A member of staff's walk through the pages in real headless chromium against ``yoshiki serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

BAD_POSTAL_JA = "郵便番号は 123-4567 の形式で入力してください（入力値: 1234567）"


def fill_library_form(page: Any, postal: str) -> None:
    """Fill 東大阪市's library registration as a resident would (the 郵便番号 as given)."""
    page.locator("#f-name").fill("山田 花子")
    page.locator("#f-furigana").fill("ヤマダ ハナコ")
    page.locator("#f-birth_date").fill("1990-04-01")
    page.get_by_label("郵便番号").fill(postal)
    page.get_by_label("都道府県").select_option("大阪府")
    page.get_by_label("市区町村").fill("東大阪市")
    page.get_by_label("町名番地").fill("荒本北1-1-1")
    page.get_by_label("電話番号").fill("06-4309-3000")
    page.get_by_label("メールアドレス").fill("hanako@example.jp")
    page.get_by_label("図書館利用者カード").check()
    page.get_by_label("カードを受け取る図書館").select_option("中央図書館")


def test_staff_walk(served: Any, browser: Any, shots: Path) -> None:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        # Search 「欠席」 and open the absence notice.
        page.goto(served.url + "/")
        page.get_by_label("テンプレートを探す（キーワード）").fill("欠席")
        page.get_by_role("button", name="検索", exact=True).click()
        page.wait_for_url("**/?q=*")
        assert page.get_by_role("heading", name="検索結果（1件）").is_visible()
        page.screenshot(path=str(shots / "01-search.png"), full_page=True)
        page.locator("section[aria-labelledby=results-h]").get_by_role("link").first.click()
        page.wait_for_url("**/t/272264/absence-notice")
        assert page.get_by_role("heading", level=1).inner_text() == "欠席・遅刻・早退連絡"
        page.screenshot(path=str(shots / "02-template.png"), full_page=True)

        # Its preview: if/then fields hidden until their condition holds (JS enhancement).
        page.get_by_role("link", name="プレビュー").click()
        page.wait_for_url("**/preview")
        symptoms = page.locator("[data-show-if=reason]").first
        assert symptoms.is_hidden()
        page.screenshot(path=str(shots / "03-preview-absence.png"), full_page=True)

        # A form with a 郵便番号: a bad one shows the Japanese message beside the field.
        page.goto(served.url + "/t/272272/library-registration/1.0.0/preview")
        workplace = page.locator("[data-show-if=eligibility]")
        assert workplace.is_hidden()
        page.get_by_label("市内に通勤している").check()
        assert workplace.is_visible()
        fill_library_form(page, "1234567")
        page.get_by_role("button", name="入力内容を確認する").click()
        page.wait_for_load_state()
        postal = page.get_by_label("郵便番号")
        assert postal.get_attribute("aria-invalid") == "true"
        error = page.locator("#f-address-postal_code-error")
        assert error.inner_text() == BAD_POSTAL_JA
        assert "f-address-postal_code-error" in (postal.get_attribute("aria-describedby") or "")
        # Beside the field: the message sits within the field's own box, just above the input.
        box, field_box = error.bounding_box(), postal.bounding_box()
        assert box is not None
        assert field_box is not None
        assert 0 <= field_box["y"] - (box["y"] + box["height"]) < 40
        assert postal.input_value() == "1234567"  # what was entered is kept
        assert "『勤務先・学校名』を入力してください" in page.content()
        page.screenshot(path=str(shots / "04-preview-error.png"), full_page=True)

        # Fixed: valid (the worker also names the workplace).
        postal.fill("577-0011")
        page.get_by_label("勤務先・学校名").fill("東大阪市役所")
        page.get_by_role("button", name="入力内容を確認する").click()
        page.wait_for_load_state()
        assert "入力内容に誤りはありません" in page.locator("#summary").inner_text()
        assert page.locator(".field-error").count() == 0
        page.screenshot(path=str(shots / "05-preview-valid.png"), full_page=True)

        # The paper form.
        page.goto(served.url + "/t/272272/library-registration/1.0.0/print")
        assert page.locator(".p-town").inner_text() == "東大阪市"
        page.screenshot(path=str(shots / "06-print.png"), full_page=True)
        page.emulate_media(media="print")
        assert page.locator("header.site").is_hidden()
        page.pdf(path=str(shots / "06-print.pdf"), format="A4")
        page.emulate_media(media="screen")

        # A diff with a breaking change.
        page.goto(served.url + "/t/271403/after-school-club-application/diff?from=1.0.0&to=2.0.0")
        summary = page.locator(".summary-box")
        assert "これまでに受け付けた申請データの一部は新しい版では無効になります" in summary.inner_text()
        assert page.locator(".badge.breaking").count() >= 1
        assert page.locator("td.code.del").count() >= 1
        page.screenshot(path=str(shots / "07-diff.png"), full_page=True)
        page.screenshot(path=str(shots / "07-diff-top.png"))
        page.locator("#side-h").scroll_into_view_if_needed()
        page.locator("tr.hit").first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "07-diff-side.png"))

        # Log in as 稲城市 and fork 多摩市's public comment form.
        token = served.token("132250", "総務課")
        page.goto(served.url + "/login")
        page.get_by_label("トークン").fill(token)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url("**/me")
        assert "稲城市（132250）" in page.content()
        assert token not in page.content()
        page.screenshot(path=str(shots / "08-me.png"), full_page=True)
        page.goto(served.url + "/t/132241/public-comment")
        page.get_by_role("button", name="このテンプレートを使う").click()
        page.wait_for_url("**/t/132250/public-comment**")
        assert "多摩市『パブリックコメント 意見提出』から" in page.locator("#up-h + p").inner_text()
        assert "フォークしました" in page.locator("#notice").inner_text()
        page.screenshot(path=str(shots / "09-forked.png"), full_page=True)

        # On a phone the search page still fits the screen.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(served.url + "/t/272272/library-registration/1.0.0/preview")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        page.screenshot(path=str(shots / "10-phone-preview.png"), full_page=True)
    finally:
        context.close()


def test_every_input_has_a_label(served: Any, browser: Any) -> None:
    """An axe-style check: every visible input of the pages has an accessible name."""
    page = browser.new_page()
    try:
        for path in ("/", "/login", "/t/272264/absence-notice/1.0.1/preview",
                     "/t/272272/library-registration/1.0.0/preview",
                     "/t/271403/after-school-club-application/diff"):
            page.goto(served.url + path)
            unlabeled = page.evaluate("""() => [...document.querySelectorAll(
                'input:not([type=hidden]), select, textarea')].filter(
                e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
            assert unlabeled == [], (path, unlabeled)
    finally:
        page.close()
