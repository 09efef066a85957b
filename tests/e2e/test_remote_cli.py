"""The remote commands' contract: exit codes from problem+json, JSON output, tokens, serve's banner."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from served import FORMS, Registry

SURVEY = FORMS / "132241" / "event-survey"


@pytest.fixture
def registry(module_registry: Registry) -> Registry:
    """The module's shared registry."""
    return module_registry


def test_serve_banner_says_where_everything_is(registry: Registry) -> None:
    log = Path(registry.log.name).read_text(encoding="utf-8")
    assert re.search(r"^カタログから \d+ 版を登録しました。$", log, re.M)
    assert f"レジストリ: {registry.url}  (API {registry.url}/api/v1, OpenAPI {registry.url}/schema)" in log
    assert f"データフォルダー: {registry.data_dir}  (リポジトリ {registry.data_dir / 'templates.git'})" in log
    assert (f"書き込み用トークンの作成: yoshiki admin token create --municipality 132241 --name 情報政策課 "
            f"--data-dir {registry.data_dir}") in log


def test_publish_exit_codes(registry: Registry, tmp_path: Path) -> None:
    token = {"YOSHIKI_TOKEN": registry.token("132241", "情報政策課")}
    r = registry.cli("publish", SURVEY / "1.0.0")
    assert r.returncode == 5
    assert r.stderr == (f"エラー: {registry.url} のトークンがありません。yoshiki login を実行するか "
                        "YOSHIKI_TOKEN を設定してください\n")
    r = registry.cli("publish", SURVEY / "1.0.0", "--token", "wrong")
    assert r.returncode == 5
    assert r.stderr == "エラー: トークンが無効です（存在しないか失効しています）\n"
    r = registry.cli("publish", SURVEY / "1.0.0", "--dry-run", env=token)
    assert (r.returncode, r.stdout) == (0, "公開できます（試行のみ）: 132241/event-survey@1.0.0\n")
    r = registry.cli("publish", SURVEY / "1.0.0", "--format", "json", env=token)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["template"], out["version"], out["event"], out["dry_run"]) == (
        "132241/event-survey", "1.0.0", "published", False)
    r = registry.cli("publish", SURVEY / "1.0.0", env=token)
    assert r.returncode == 4
    assert r.stderr.startswith("エラー: 132241/event-survey@1.0.0 は公開済みです。")
    # Invalid: the issues are listed with their pointers, exit 1.
    bad = tmp_path / "132241" / "event-survey" / "1.0.1"
    shutil.copytree(SURVEY / "1.0.0", bad)
    schema = json.loads((bad / "schema.json").read_text(encoding="utf-8"))
    schema["$id"] = "https://yoshiki.invalid/132241/event-survey/1.0.1/schema.json"
    schema["properties"]["count"]["maximum"] = 5
    (bad / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    r = registry.cli("publish", bad, env=token)
    assert r.returncode == 1
    assert "#/properties/count/maximum" in r.stderr
    assert "2.0.0" in r.stderr
    r = registry.cli("publish", tmp_path, env=token)
    assert r.returncode == 2
    r = registry.cli("get", "132241/event-survey@9.9.9", "-o", tmp_path / "out")
    assert r.returncode == 3
    assert r.stderr == "エラー: 132241/event-survey@9.9.9 はありません\n"


def test_get_writes_the_canonical_layout(registry: Registry, tmp_path: Path) -> None:
    r = registry.cli("get", "132241/staff-lunch-survey", "-o", tmp_path, "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    folder = tmp_path / "132241" / "staff-lunch-survey" / "1.1.0"
    assert out["folder"] == str(folder)
    source = registry.git("show", "main:132241/staff-lunch-survey/1.1.0/schema.json")
    assert (folder / "schema.json").read_text(encoding="utf-8") == source
    assert registry.cli("validate", folder).returncode == 0


def test_admin_tokens(registry: Registry) -> None:
    data = ["--data-dir", str(registry.data_dir)]
    r = registry.cli("admin", "token", "create", "--municipality", "132250", "--name", "総務課",
                     "--format", "json", *data)
    assert r.returncode == 0, r.stderr
    created = json.loads(r.stdout)
    assert (created["municipality"], created["name"], created["admin"]) == ("132250", "総務課", False)
    r = registry.cli("login", "--token", created["token"], "--format", "json")
    assert json.loads(r.stdout)["account"] == {"name": "総務課", "municipality": "132250",
                                              "municipality_name": "稲城市", "admin": False}
    r = registry.cli("admin", "token", "create", "--municipality", "132250", "--name", "総務課", *data)
    assert r.returncode == 4
    r = registry.cli("admin", "token", "list", "--municipality", "132250", *data)
    assert r.stdout.startswith("132250\t総務課\tcreated ")
    assert "token" not in r.stdout
    assert registry.cli("admin", "token", "revoke", "--municipality", "132250", "--name", "総務課",
                        *data).returncode == 0
    assert registry.cli("admin", "token", "list", "--municipality", "132250", *data).stdout == ""
    r = registry.cli("fork", "132241/staff-lunch-survey", "--to", "132250/lunch", "--token", created["token"])
    assert r.returncode == 5
    assert registry.cli("admin", "token", "revoke", "--municipality", "132250", "--name", "総務課",
                        *data).returncode == 3
    r = registry.cli("admin", "token", "create", "--municipality", "132249", *data)
    assert r.returncode == 3


def test_pull_dry_run_then_with_an_edited_schema(registry: Registry, tmp_path: Path) -> None:
    # The catalogue: 稲城市's staff-lunch-survey forks 多摩市's 1.0.0; 多摩市 has published 1.1.0.
    inagi = {"YOSHIKI_TOKEN": registry.token("132250", "人事課")}
    tip = registry.git("rev-parse", "main")
    r = registry.cli("pull", "132250/staff-lunch-survey", "--dry-run", "--format", "json", env=inagi)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["base_version"], out["theirs_version"], out["published"]["dry_run"]) == ("1.0.0", "1.1.0", True)
    assert registry.git("rev-parse", "main") == tip
    registry.cli("get", "132250/staff-lunch-survey@1.0.0", "-o", tmp_path, env=inagi)
    edited = tmp_path / "edited.json"
    shutil.copy(tmp_path / "132250" / "staff-lunch-survey" / "1.0.0" / "schema.json", edited)
    r = registry.cli("pull", "132250/staff-lunch-survey", "--schema", edited, env=inagi)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "132241/staff-lunch-survey 1.0.0 → 1.1.0 を取り込みました"
    r = registry.cli("show", "132250/staff-lunch-survey", "--format", "json")
    detail = json.loads(r.stdout)
    assert detail["behind"] == 0
    assert detail["upstream_chain"] == ["132241/staff-lunch-survey@1.1.0"]


def test_detach_ends_a_fork_on_purpose(registry: Registry) -> None:
    inagi = {"YOSHIKI_TOKEN": registry.token("132250", "企画課")}
    tama = {"YOSHIKI_TOKEN": registry.token("132241", "企画課")}
    r = registry.cli("fork", "132241/staff-lunch-survey", "--to", "132250/detach-me", env=inagi)
    assert r.returncode == 0, r.stderr
    assert registry.cli("detach", "132250/detach-me", env=tama).returncode == 5  # not its city
    assert registry.cli("detach", "132241/staff-lunch-survey", env=tama).returncode == 2  # no fork
    r = registry.cli("detach", "132250/detach-me", "--reason", "独自に管理します", env=inagi)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("切り離しました: 132250/detach-me ← 132241/staff-lunch-survey（1.")
    r = registry.cli("detach", "132250/detach-me", "--lang", "en", env=inagi)
    assert r.returncode == 4  # already detached
    assert "already detached" in r.stderr
