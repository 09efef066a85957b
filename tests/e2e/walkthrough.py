"""The README walk-through, step by step: 多摩市 publishes, 稲城市 forks and pulls (docs/api.md)."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

from served import FORMS, Registry

SURVEY = FORMS / "132241" / "event-survey"


def walkthrough(reg: Registry, tmp_path: Path) -> None:
    """Run every step and check what each prints and writes."""
    tama_token = reg.token("132241", "情報政策課")
    inagi_token = reg.token("132250", "総務課")
    tama = {"XDG_CONFIG_HOME": str(tmp_path / "tama-config")}
    inagi = {"YOSHIKI_TOKEN": inagi_token}

    # 多摩市 logs in once (token stored 0600) and publishes 1.0.0.
    r = reg.cli("login", "--token", tama_token, env=tama)
    assert r.returncode == 0, r.stderr
    assert "情報政策課（多摩市 132241）" in r.stdout
    creds = tmp_path / "tama-config" / "yoshiki" / "credentials.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    r = reg.cli("publish", SURVEY / "1.0.0", env=tama)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("公開しました: 132241/event-survey@1.0.0（commit ")

    # 稲城市 finds it, forks it.
    r = reg.cli("search", "市民講座", env=inagi)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["132241/event-survey@1.0.0\t市民講座の参加アンケート（多摩市）"]
    r = reg.cli("fork", "132241/event-survey", "--to", "132250", env=inagi)
    assert r.returncode == 0, r.stderr
    assert "132250/event-survey@1.0.0" in r.stdout

    # 多摩市 publishes 1.1.0; 稲城市 sees it is behind and pulls cleanly.
    assert reg.cli("publish", SURVEY / "1.1.0", env=tama).returncode == 0
    r = reg.cli("show", "132250/event-survey", env=inagi)
    assert "未取り込みの新しい版: 1（yoshiki pull 132250/event-survey）" in r.stdout
    r = reg.cli("pull", "132250/event-survey", env=inagi)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "132241/event-survey 1.0.0 → 1.1.0 を取り込みました"
    assert "公開しました: 132250/event-survey@1.1.0" in r.stdout

    # 稲城市 adapts its fork (a local title); 多摩市 changes the same title: a conflict.
    work = tmp_path / "work"
    r = reg.cli("get", "132250/event-survey@1.1.0", "-o", work, env=inagi)
    assert r.returncode == 0, r.stderr
    own = work / "132250" / "event-survey" / "1.1.1"
    shutil.copytree(work / "132250" / "event-survey" / "1.1.0", own)
    schema = json.loads((own / "schema.json").read_text(encoding="utf-8"))
    schema["$id"] = "https://yoshiki.invalid/132250/event-survey/1.1.1/schema.json"
    schema["properties"]["count"]["title"] = "参加者数"
    (own / "schema.json").write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    r = reg.cli("publish", own, env=inagi)
    assert r.returncode == 0, r.stderr
    assert reg.cli("publish", SURVEY / "1.2.0", env=tama).returncode == 0
    tip = reg.git("rev-parse", "main").strip()
    r = reg.cli("pull", "132250/event-survey", env=inagi)
    assert r.returncode == 4, r.stderr
    assert "  schema.json#/properties/count/title: 両方の版でこの値が異なる内容に変更されています" in r.stderr
    assert '    base="参加人数"  ours="参加者数"  theirs="参加人数（ご本人を含む）"' in r.stderr
    assert reg.git("rev-parse", "main").strip() == tip  # nothing written

    # 稲城市 keeps its own title.
    r = reg.cli("pull", "132250/event-survey", "--resolve", "/properties/count/title=ours", env=inagi)
    assert r.returncode == 0, r.stderr
    assert "公開しました: 132250/event-survey@1.1.2" in r.stdout

    # What changed upstream, computed by the same diff as offline, on the registry's documents.
    r = reg.cli("diff", "132241/event-survey@1.0.0", "132241/event-survey@1.1.0", "--registry", reg.url,
                "--format", "json", env=inagi)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["backward"], d["forward"], d["bump"], d["old"], d["new"]) == (
        "compatible", "breaking", "minor", "132241/event-survey@1.0.0", "132241/event-survey@1.1.0")
    assert [c["pointer"] for c in d["changes"]] == ["/properties/comment", "/$id"]
    r = reg.cli("diff", "132241/event-survey@1.2.0", "132250/event-survey@1.1.2", "--registry", reg.url,
                env=inagi)
    assert r.returncode == 0, r.stderr
    assert "/properties/count/title" in r.stdout

    # 稲城市's token cannot publish under 多摩市.
    r = reg.cli("publish", SURVEY / "1.2.0", env=inagi)
    assert r.returncode == 5
    assert r.stderr.startswith("エラー: 総務課 (稲城市 132250) は 多摩市（132241）のテンプレートを書き込めません")

    # The history and a clone of the repository show who wrote what.
    r = reg.cli("log", "132250/event-survey", env=inagi)
    assert [line.split("  ")[0] for line in r.stdout.splitlines() if not line.startswith(" ")] == [
        "1.0.0", "1.1.0", "1.1.1", "1.1.2"]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(reg.data_dir / "templates.git"), str(clone)], check=True)
    authors = subprocess.run(["git", "-C", str(clone), "log", "--format=%an|%s", "-7"],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    assert [a.split("|")[0] for a in authors] == [
        "総務課 (稲城市 132250)", "情報政策課 (多摩市 132241)", "総務課 (稲城市 132250)",
        "総務課 (稲城市 132250)", "情報政策課 (多摩市 132241)", "総務課 (稲城市 132250)",
        "情報政策課 (多摩市 132241)"]
    assert (clone / "132250" / "event-survey" / "1.1.2" / "schema.json").is_file()
