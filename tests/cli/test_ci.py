"""``yoshiki ci`` end to end: real git repositories built in tmp_path, the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli

LG = "132241"  # 多摩市
FORK_LG = "132250"  # 稲城市
GIT_ENV = {"GIT_AUTHOR_NAME": "テスト", "GIT_AUTHOR_EMAIL": "t@example.jp",
           "GIT_COMMITTER_NAME": "テスト", "GIT_COMMITTER_EMAIL": "t@example.jp"}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` (fails the test on error)."""
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False,
                          env={**os.environ, **GIT_ENV})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def new_repo(path: Path) -> Path:
    """An empty repository whose default branch is main."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commit(repo: Path, message: str) -> None:
    """Commit everything in the work tree."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def schema_doc(lg: str, slug: str, version: str, *, maximum: int = 10, participants_title: str = "参加人数",
               extra: dict[str, Any] | None = None, name: dict[str, Any] | None = None,
               drop_name: bool = False) -> dict[str, Any]:
    """A small form: participants is the 1st property, so its keywords sit on known lines."""
    props: dict[str, Any] = {
        "participants": {"type": "integer", "title": participants_title, "minimum": 1, "maximum": maximum},
    }
    if not drop_name:
        props["name"] = name or {"type": "string", "title": "氏名", "maxLength": 50, "x-yoshiki-personal": True}
    props.update(extra or {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://yoshiki.invalid/{lg}/{slug}/{version}/schema.json",
        "title": "講座の参加申込",
        "type": "object",
        "properties": props,
        "required": ["participants"] if drop_name else ["participants", "name"],
    }


def write_version(repo: Path, version: str, *, lg: str = LG, slug: str = "sign-up",
                  template: dict[str, Any] | None = None, drop_name: bool = False, **schema_kw: Any) -> Path:
    """Write a version folder with two valid and two invalid examples."""
    folder = repo / lg / slug / version
    (folder / "examples" / "valid").mkdir(parents=True, exist_ok=True)
    (folder / "examples" / "invalid").mkdir(parents=True, exist_ok=True)
    (folder / "template.json").write_text(dump({
        "title": "講座の参加申込", "category": "施設・イベント", "changelog": f"{version}。",
        **(template or {})}), encoding="utf-8")
    (folder / "schema.json").write_text(dump(schema_doc(lg, slug, version, drop_name=drop_name, **schema_kw)),
                                        encoding="utf-8")
    named = {} if drop_name else {"name": "山田 花子"}
    (folder / "examples/valid/one.json").write_text(dump({**named, "participants": 1}), encoding="utf-8")
    (folder / "examples/valid/two.json").write_text(dump({**named, "participants": 2}), encoding="utf-8")
    (folder / "examples/invalid/zero.json").write_text(dump({**named, "participants": 0}), encoding="utf-8")
    (folder / "examples/invalid/text.json").write_text(dump({**named, "participants": "二人"}), encoding="utf-8")
    return folder


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A repository whose main branch has published 132241/sign-up@1.0.0; HEAD is on a feature branch."""
    repo = new_repo(tmp_path / "city")
    write_version(repo, "1.0.0")
    commit(repo, "1.0.0")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def ci(run_cli: RunCli, repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("ci", *args, cwd=repo, env=env)


def test_an_edit_to_a_published_version_fails_naming_the_file(run_cli: RunCli, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "city")
    write_version(repo, "1.0.0")
    commit(repo, "1.0.0")
    path = repo / LG / "sign-up/1.0.0/schema.json"
    path.write_text(path.read_text(encoding="utf-8").replace("講座の参加申込", "講座の申込"), encoding="utf-8")
    proc = ci(run_cli, repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f"{LG}/sign-up/1.0.0/schema.json: [エラー ci.published-modified] 公開済みの版 "
            f"{LG}/sign-up@1.0.0 のファイル {LG}/sign-up/1.0.0/schema.json が変更されています。"
            "公開済みの版は変更できません。") in proc.stdout
    assert f"変更は新しい版のフォルダ（例: {LG}/sign-up/1.0.1/）として追加してください" in proc.stdout


def test_an_edit_committed_on_a_branch_fails_too(run_cli: RunCli, published: Path) -> None:
    (published / LG / "sign-up/1.0.0/examples/valid/two.json").unlink()
    commit(published, "drop an example")
    proc = ci(run_cli, published, "--format", "github")
    assert proc.returncode == 1
    assert (f"::error file={LG}/sign-up/1.0.0/examples/valid/two.json,title=ci.published-modified::"
            in proc.stdout)


def test_deleting_a_published_version_fails(run_cli: RunCli, published: Path) -> None:
    git(published, "rm", "-q", "-r", f"{LG}/sign-up/1.0.0")
    proc = ci(run_cli, published)
    assert proc.returncode == 1
    assert f"{LG}/sign-up/1.0.0/: [エラー ci.published-deleted]" in proc.stdout


def test_a_breaking_change_released_as_minor_fails_on_the_right_line(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.1.0", maximum=5)
    commit(published, "1.1.0")
    proc = ci(run_cli, published, "--format", "github")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # schema.json line 11 is `      "maximum": 5` (written by json.dumps with indent=2).
    schema_lines = (published / LG / "sign-up/1.1.0/schema.json").read_text(encoding="utf-8").splitlines()
    assert schema_lines[10] == '      "maximum": 5'
    annotation = next(line for line in proc.stdout.splitlines() if "ci.bump-too-small" in line)
    assert annotation.startswith(
        f"::error file={LG}/sign-up/1.1.0/schema.json,line=11,col=7,"
        "title=ci.bump-too-small /properties/participants/maximum::")
    assert "メジャーの版上げ（2.0.0）が必要です" in annotation


def test_a_compatible_minor_passes(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.1.0", maximum=20, extra={
        "comment": {"type": "string", "title": "ご質問", "maxLength": 200}})
    commit(published, "1.1.0")
    proc = ci(run_cli, published)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"追加 {LG}/sign-up@1.1.0: 1.0.0 から minor（必要: minor、互換性モード BACKWARD）" in proc.stdout


def test_a_minor_released_as_patch_fails(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.0.1", maximum=20)
    commit(published, "1.0.1")
    proc = ci(run_cli, published)
    assert proc.returncode == 1
    assert "[エラー ci.bump-too-small]" in proc.stdout
    assert "マイナーの版上げ（1.1.0）が必要です" in proc.stdout


def test_a_wording_only_patch_passes(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.0.1", participants_title="参加する人数")
    proc = ci(run_cli, published)  # uncommitted: the work tree is what is checked
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"追加 {LG}/sign-up@1.0.1: 1.0.0 から patch（必要: patch、互換性モード BACKWARD）" in proc.stdout


def test_a_new_template_passes(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.0.0", slug="course-survey")  # untracked files are included
    proc = ci(run_cli, published, "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    body = json.loads(proc.stdout)
    assert body["added"] == [f"{LG}/course-survey@1.0.0"]
    assert body["ok"] is True


def test_an_invalid_new_version_fails_with_validation_issues(run_cli: RunCli, published: Path) -> None:
    folder = write_version(published, "1.1.0", maximum=20)
    (folder / "examples/valid/too-many.json").write_text(dump({"name": "山田 花子", "participants": 30}),
                                                          encoding="utf-8")
    proc = ci(run_cli, published)
    assert proc.returncode == 1
    assert f"{LG}/sign-up/1.1.0/examples/valid/too-many.json" in proc.stdout
    assert "example.valid-rejected" in proc.stdout


def test_a_broken_upstream_pointer_fails(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.0.0", lg=FORK_LG,
                  template={"upstream": {"template": f"{LG}/sign-up", "version": "1.2.0"}})
    proc = ci(run_cli, published)
    assert proc.returncode == 1
    assert (f"{FORK_LG}/sign-up/1.0.0/template.json:5:3 #/upstream: [エラー ci.upstream-missing] "
            f"元のテンプレート {LG}/sign-up@1.2.0 がこのリポジトリにありません。") in proc.stdout


def test_a_resolving_upstream_pointer_passes(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.0.0", lg=FORK_LG,
                  template={"upstream": {"template": f"{LG}/sign-up", "version": "1.0.0"}})
    proc = ci(run_cli, published)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"← {LG}/sign-up@1.0.0" in proc.stdout


def test_a_transitive_mode_catches_a_break_against_an_earlier_version(run_cli: RunCli, published: Path) -> None:
    # Under the lenient policy (submitters send only declared properties) each step is backward
    # compatible with the one before it: 1.1.0 adds 備考 as text, 1.2.0 drops it (the object stays
    # open, so old data still passes), 1.3.0 adds 備考 back as a number. Against 1.1.0, data
    # collected with 備考 as text is rejected: only a transitive mode sees it.
    note_text = {"note": {"type": "string", "title": "備考", "maxLength": 100}}
    note_number = {"note": {"type": "integer", "title": "備考"}}
    write_version(published, "1.1.0", extra=note_text)
    write_version(published, "1.2.0")
    commit(published, "1.1.0 and 1.2.0")
    write_version(published, "1.3.0", extra=note_number)
    assert ci(run_cli, published).returncode == 0  # BACKWARD: only against 1.2.0
    folder = write_version(published, "1.3.0", extra=note_number,
                           template={"compatibility": "BACKWARD_TRANSITIVE"})
    proc = ci(run_cli, published, "--format", "github")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    annotation = next(line for line in proc.stdout.splitlines() if "ci.incompatible" in line)
    from registry.syntax.sourcemap import locate

    pointer = annotation.split("title=ci.incompatible ", 1)[1].split("::", 1)[0]
    assert pointer.startswith("/properties/note")
    position = locate((folder / "schema.json").read_text(encoding="utf-8"), pointer)
    assert position is not None
    assert annotation.startswith(
        f"::error file={LG}/sign-up/1.3.0/schema.json,line={position[0]},col={position[1]},"
        f"title=ci.incompatible {pointer}::")
    assert "1.3.0 は 1.1.0 と互換性モード BACKWARD_TRANSITIVE を満たしません" in annotation


def test_a_new_major_version_may_break_the_mode(run_cli: RunCli, published: Path) -> None:
    # The mode binds one major line (as the registry's publish): 1.0.0 max 10 → 2.0.0 max 5.
    write_version(published, "2.0.0", maximum=5)
    proc = ci(run_cli, published)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write_version(published, "1.1.0", maximum=5)
    proc = ci(run_cli, published)
    assert proc.returncode == 1
    assert "ci.bump-too-small" in proc.stdout


def _locked_upstream(repo: Path) -> None:
    write_version(repo, "1.0.0", lg=LG, slug="lunch", name={
        "type": "string", "title": "氏名", "maxLength": 50, "x-yoshiki-personal": True,
        "x-yoshiki-locked": True})
    commit(repo, "upstream with a locked field")


def test_a_fork_dropping_a_locked_field_fails(run_cli: RunCli, published: Path) -> None:
    _locked_upstream(published)
    write_version(published, "1.0.0", lg=FORK_LG, slug="lunch", drop_name=True,
                  template={"upstream": {"template": f"{LG}/lunch", "version": "1.0.0"}})
    proc = ci(run_cli, published)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f"{FORK_LG}/lunch/1.0.0/schema.json:6:3 #/properties/name: [エラー ci.locked-field] "
            f"項目 「氏名」(/properties/name) は {LG}/lunch@1.0.0 で固定 (x-yoshiki-locked) されています。"
            "フォークで削除することはできません。") in proc.stdout


def test_a_fork_changing_a_locked_field_fails_and_renaming_it_passes(run_cli: RunCli, published: Path) -> None:
    _locked_upstream(published)
    fork = {"upstream": {"template": f"{LG}/lunch", "version": "1.0.0"}}
    write_version(published, "1.0.0", lg=FORK_LG, slug="lunch", template=fork, name={
        "type": "string", "title": "お名前", "maxLength": 20, "x-yoshiki-personal": True, "x-yoshiki-locked": True})
    proc = ci(run_cli, published)
    assert proc.returncode == 1
    assert "[エラー ci.locked-field]" in proc.stdout
    assert "フォークで検証内容が変わっています" in proc.stdout
    write_version(published, "1.0.0", lg=FORK_LG, slug="lunch", template=fork, name={
        "type": "string", "title": "お名前", "maxLength": 50, "x-yoshiki-personal": True, "x-yoshiki-locked": True})
    proc = ci(run_cli, published)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_step_summary_is_appended(run_cli: RunCli, published: Path, tmp_path: Path) -> None:
    write_version(published, "1.1.0", maximum=5)
    summary = tmp_path / "summary.md"
    summary.write_text("前の内容\n", encoding="utf-8")
    proc = ci(run_cli, published, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("前の内容\n## 様式 Yoshiki CI\n")
    assert "| 追加された版 | 版上げ | 互換性モード | 元のテンプレート |" in text
    assert f"| `{LG}/sign-up@1.1.0` | 1.0.0 → minor（必要: major） ❌ | BACKWARD ❌ | - |" in text
    assert f"| エラー | `{LG}/sign-up/1.1.0/schema.json:11:7` | `/properties/participants/maximum` | `ci.bump-too-small` |" in text


def test_sarif_output_has_the_2_1_0_shape(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.1.0", maximum=5)
    proc = ci(run_cli, published, "--format", "sarif")
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "yoshiki"
    result = next(r for r in run["results"] if r["ruleId"] == "ci.bump-too-small")
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": f"{LG}/sign-up/1.1.0/schema.json", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 11, "startColumn": 7}}
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "ci.bump-too-small"


def test_a_layout_in_a_subfolder_is_reported_with_its_path(run_cli: RunCli, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "project")
    write_version(repo / "templates", "1.0.0")
    commit(repo, "1.0.0")
    git(repo, "checkout", "-q", "-b", "feature")
    write_version(repo / "templates", "1.1.0", maximum=5)
    proc = run_cli("ci", "--repo", "templates", "--format", "github", cwd=repo)
    assert proc.returncode == 1
    assert f"::error file=templates/{LG}/sign-up/1.1.0/schema.json,line=11,col=7," in proc.stdout


def test_no_commit_at_all_means_everything_is_new(run_cli: RunCli, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "city")
    write_version(repo, "1.0.0")
    proc = ci(run_cli, repo, "--lang", "en")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "yoshiki ci: 1 added, 0 modified, 0 deleted version(s) — no problems found"


def test_an_unknown_base_is_not_found(run_cli: RunCli, published: Path) -> None:
    proc = ci(run_cli, published, "--base", "no-such-branch")
    assert proc.returncode == 3
    assert "--base no-such-branch: そのコミット・ブランチ・タグはありません" in proc.stderr


def test_outside_a_git_repository_is_a_usage_error(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    proc = run_cli("ci", "--repo", str(folder), env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert proc.returncode == 2
    assert "git rev-parse --show-toplevel が失敗しました" in proc.stderr


class _Registry(BaseHTTPRequestHandler):
    """A tiny registry: one version exists."""

    def do_GET(self) -> None:
        if self.path == f"/api/v1/templates/{LG}/remote-form/versions/1.0.0":
            body = b'{"version": "1.0.0"}'
        elif self.path == f"/api/v1/templates/{LG}/remote-form/versions/1.0.0/schema.json":
            body = json.dumps(schema_doc(LG, "remote-form", "1.0.0")).encode()
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def registry_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_upstreams_resolve_through_the_registry(run_cli: RunCli, published: Path, registry_url: str) -> None:
    write_version(published, "1.0.0", lg=FORK_LG, slug="remote-form",
                  template={"upstream": {"template": f"{LG}/remote-form", "version": "1.0.0"}})
    assert ci(run_cli, published).returncode == 1  # not in the repository
    proc = ci(run_cli, published, "--registry", registry_url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write_version(published, "1.0.0", lg=FORK_LG, slug="remote-form",
                  template={"upstream": {"template": f"{LG}/remote-form", "version": "9.0.0"}})
    proc = ci(run_cli, published, "--registry", registry_url)
    assert proc.returncode == 1
    assert f"元のテンプレート {LG}/remote-form@9.0.0 がこのリポジトリにもレジストリにもありません。" in proc.stdout


def test_an_unreachable_registry_is_a_clear_error(run_cli: RunCli, published: Path) -> None:
    write_version(published, "1.0.0", lg=FORK_LG, slug="remote-form",
                  template={"upstream": {"template": f"{LG}/remote-form", "version": "1.0.0"}})
    proc = ci(run_cli, published, "--registry", "http://127.0.0.1:9")
    assert proc.returncode == 1
    assert "[エラー ci.registry-unreachable] レジストリで元のテンプレート" in proc.stdout
    assert "http://127.0.0.1:9 に接続できません" in proc.stdout
