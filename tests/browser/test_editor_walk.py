"""稲城市 adapts its fork of 多摩市's staff lunch survey in the editor (headless chromium, axe-core).

``yoshiki serve`` runs the seeded catalogue (tests/e2e/served.py); Debian's chromium is driven by
Playwright. axe-core comes from npm (``scripts/dev test`` installs it into ``.cache/axe``; or
``YOSHIKI_AXE_JS`` names ``axe.min.js``); it runs on the editor, its confirmation step, the
template, preview, diff and pull-conflict pages. Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FORK = "/t/132250/staff-lunch-survey"
UPSTREAM = "/t/132241/staff-lunch-survey"


def axe_js() -> str:
    """axe-core's script; missing → skip locally, fail in CI."""
    path = Path(os.environ.get("YOSHIKI_AXE_JS") or ROOT / ".cache/axe/node_modules/axe-core/axe.min.js")
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing (scripts/dev test installs axe-core with npm)")
        pytest.skip(f"axe-core is not installed ({path})")
    return path.read_text("utf-8")


def check_axe(page: Any, script: str, where: str) -> None:
    """No axe-core violations on the page (WCAG 2.x A/AA rules and best practices)."""
    page.add_script_tag(content=script)
    found = page.evaluate("async () => (await axe.run(document)).violations.map("
                          "v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))")
    assert found == [], (where, json.dumps(found, ensure_ascii=False, indent=1))


def sign_in(page: Any, url: str, token: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("トークン").fill(token)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/me")


def confirm_and_publish(page: Any) -> str:
    """Press 確認, then 公開; returns the published version."""
    page.get_by_role("button", name="変更内容を確認").first.click()
    page.wait_for_url("**/edit/confirm")
    button = page.get_by_role("button", name="公開")
    version = (button.inner_text()).split(" ")[0]
    button.click()
    page.wait_for_url(f"**?published={version}")
    assert f"{version} を公開しました" in page.locator("#notice").inner_text()
    return version


def field_box(page: Any, key: str) -> Any:
    return page.locator(f"#field-{key}")


def test_inagi_adapts_its_fork(served: Any, browser: Any, shots: Path) -> None:
    axe = axe_js()
    inagi = served.token("132250", "企画課")
    tama = served.token("132241", "職員課")
    errors: list[str] = []
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(15_000)
    try:
        sign_in(page, served.url, inagi)
        # The fork name's pattern is valid for Chromium (v flag): no console error, and it works.
        page.goto(served.url + "/t/272264/absence-notice")
        page.get_by_label("コピー先の名前（英小文字・省略時は同じ名前）").fill("Bad Name")
        assert page.evaluate("document.getElementById('fork-slug').validity.patternMismatch")
        page.get_by_label("コピー先の名前（英小文字・省略時は同じ名前）").fill("absence-notice-2")
        assert not page.evaluate("document.getElementById('fork-slug').validity.patternMismatch")
        assert errors == []
        # 多摩市's survey: 稲城市 already forked it, so the page offers to open its own.
        page.goto(served.url + UPSTREAM)
        assert page.get_by_role("button", name="このテンプレートを使う").count() == 0
        page.get_by_role("link", name="稲城市の『職員ランチ実態アンケート』を開く").click()
        page.wait_for_url("**" + FORK)
        check_axe(page, axe, "template")
        page.get_by_role("link", name="編集").click()
        page.wait_for_url("**/edit")

        # A locked field: shown with the lock and its reason; its 削除 is disabled.
        locked = field_box(page, "lunch_style")
        assert "🔒" in locked.inner_text()
        assert "フォーク元が固定している" in locked.inner_text()
        assert locked.get_by_role("button", name="この項目を削除").is_disabled()

        # Rename a field; remove a choice; add 電話番号; add a conditional requirement.
        field_box(page, "workplace").get_by_label("項目名").fill("勤務している場所")
        field_box(page, "comments").get_by_label("項目名").fill("昼食についてのご意見・ご要望")
        field_box(page, "workplace").get_by_role("button", name="選択肢「学校・保育施設」").click()
        page.wait_for_url("**/edit?saved=1*")
        assert field_box(page, "workplace").get_by_label("項目名").input_value() == "勤務している場所"
        assert "学校・保育施設" not in field_box(page, "workplace").inner_text()
        page.get_by_role("button", name="電話番号を追加").click()
        page.wait_for_url("**/edit?saved=1*")
        assert field_box(page, "phone").get_by_label("項目名").input_value() == "電話番号"
        page.get_by_label("次の答えのとき").select_option(label="『勤務している場所』が『その他』")
        page.get_by_label("表示して必須にする項目").select_option(label="『電話番号』")
        page.get_by_role("button", name="条件を追加").click()
        page.wait_for_url("**/edit?saved=1*")
        assert "『勤務している場所』が『その他』のとき『電話番号』を表示して必須にする" in page.locator("#conditions").inner_text()

        # The live preview follows an edit (static/editor.js saves in the background).
        field_box(page, "budget").get_by_label("項目名").fill("1回の昼食の予算（目安）")
        field_box(page, "budget").get_by_label("項目名").blur()
        page.locator(".preview-box").get_by_text("1回の昼食の予算（目安）").wait_for()
        assert page.locator("#autosave").inner_text() == "下書きを保存しました"
        # The draft survives a reload and a second tab.
        second = context.new_page()
        second.goto(served.url + FORK + "/edit")
        assert second.locator("#field-phone").count() == 1
        second.close()
        page.reload()
        assert field_box(page, "phone").count() == 1
        page.screenshot(path=str(shots / "20-editor-desktop.png"), full_page=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shots / "20-editor-desktop-top.png"))
        check_axe(page, axe, "editor")
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shots / "21-editor-phone.png"), full_page=False)
        field_box(page, "workplace").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "21-editor-phone-field.png"), full_page=False)
        page.set_viewport_size({"width": 1280, "height": 900})

        # The server refuses removing a locked field when the page is bypassed.
        token = page.locator("input[name=csrf_token]").first.input_value()
        forced = page.request.post(served.url + FORK + "/edit", form={
            "csrf_token": token, "action": "remove:lunch_style"})
        assert forced.status == 422
        assert "固定している項目" in forced.text()
        api = urllib.request.Request(
            served.url + "/api/v1/templates/132250/staff-lunch-survey/versions", method="POST",
            headers={"Authorization": f"Bearer {inagi}", "Content-Type": "application/json"})
        current = json.loads(urllib.request.urlopen(served.url + "/api/v1/templates/132250/staff-lunch-survey/versions/1.0.0").read())
        schema = current["schema"]
        del schema["properties"]["lunch_style"]
        schema["required"].remove("lunch_style")
        schema["$id"] = schema["$id"].replace("1.0.0", "2.0.0")
        body = {"version": "2.0.0", "template": current["template"], "schema": schema, "examples": {}}
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(api, data=json.dumps(body).encode())
        assert refused.value.code in (409, 422)
        assert "固定" in refused.value.read().decode()

        # Confirm: the change in words, the version and why; then publish.
        page.get_by_role("button", name="変更内容を確認").first.click()
        page.wait_for_url("**/edit/confirm")
        text = page.locator("main").inner_text()
        assert "新しい版: 2.0.0" in text
        assert "メジャー" in text
        assert "学校・保育施設" in text   # the removed choice, in words
        assert "{" not in page.locator(".changes-words").inner_text()  # no JSON for staff
        page.screenshot(path=str(shots / "22-confirm.png"), full_page=True)
        check_axe(page, axe, "confirm")
        page.get_by_role("button", name="公開").click()
        page.wait_for_url("**?published=2.0.0")
        assert "2.0.0 を公開しました" in page.locator("#notice").inner_text()
        page.screenshot(path=str(shots / "23-published.png"), full_page=True)

        # In git with 稲城市 as author, and in the API.
        log = served.git("log", "-1", "--format=%an|%s")
        assert "稲城市" in log
        assert "企画課" in log
        v2 = json.loads(urllib.request.urlopen(served.url + "/api/v1/templates/132250/staff-lunch-survey/versions/2.0.0").read())
        assert v2["schema"]["properties"]["workplace"]["title"] == "勤務している場所"
        assert v2["schema"]["properties"]["phone"]["$ref"] == "/common/phone.json"

        # Preview of the new version (the condition hides 電話番号 until 『その他』).
        page.goto(served.url + FORK + "/2.0.0/preview")
        assert page.locator("[data-show-if=workplace]").is_hidden()
        check_axe(page, axe, "preview")
        page.goto(served.url + FORK + "/diff?from=1.0.0&to=2.0.0")
        check_axe(page, axe, "diff")

        # 多摩市 publishes a later version in its own editor; 稲城市 pulls it cleanly.
        tama_ctx = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        tp = tama_ctx.new_page()
        tp.set_default_timeout(15_000)
        sign_in(tp, served.url, tama)
        tp.goto(served.url + UPSTREAM + "/edit")
        field_box(tp, "lunch_minutes").get_by_label("説明（入力の手引き）").fill("休憩時間のうち、食事にかけるおおよその時間。")
        assert confirm_and_publish(tp) == "1.1.1"
        page.goto(served.url + FORK)
        page.get_by_role("button", name="更新を取り込む").click()
        page.wait_for_url("**?pulled=1")
        assert "取り込み" in page.locator("#notice").inner_text()
        latest = json.loads(urllib.request.urlopen(served.url + "/api/v1/templates/132250/staff-lunch-survey").read())
        newest = latest["versions"][-1]["version"] if isinstance(latest.get("versions"), list) else None
        merged = json.loads(urllib.request.urlopen(
            served.url + f"/api/v1/templates/132250/staff-lunch-survey/versions/{newest}").read())["schema"]
        assert merged["properties"]["workplace"]["title"] == "勤務している場所"   # ours kept
        assert "menu" in merged["properties"]                                     # theirs taken
        assert "phone" in merged["properties"]

        # Both rename the same field: the conflict page, by field title, 「別の値にする」.
        tp.goto(served.url + UPSTREAM + "/edit")
        field_box(tp, "comments").get_by_label("項目名").fill("昼食に関するご意見")
        confirm_and_publish(tp)
        tama_ctx.close()
        page.goto(served.url + FORK)
        page.get_by_role("button", name="更新を取り込む").click()
        page.wait_for_load_state()
        conflict = page.locator("fieldset.conflict").first
        assert "昼食についてのご意見・ご要望" in conflict.inner_text()
        assert "昼食に関するご意見" in conflict.inner_text()
        page.screenshot(path=str(shots / "24-pull-conflict.png"), full_page=True)
        check_axe(page, axe, "pull-conflict")
        conflict.get_by_role("radio", name="別の値にする").check()
        conflict.get_by_label("別の値（「別の値にする」を選んだとき）").fill("昼食についてのご意見")
        page.get_by_role("button", name="選んだ内容で取り込む").click()
        page.wait_for_url("**?pulled=1")
        # The only console errors: the 409 of the conflict page itself (and the 422 of a refusal).
        assert [e for e in errors if "409" not in e and "422" not in e] == []
    finally:
        context.close()
