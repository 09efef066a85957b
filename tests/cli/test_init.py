"""``yoshiki init`` and the copy-paste examples of docs/ci.md, run exactly as written there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunCli

DOC = ROOT / "docs" / "ci.md"
GIT_ENV = {"GIT_AUTHOR_NAME": "テスト", "GIT_AUTHOR_EMAIL": "t@example.jp",
           "GIT_COMMITTER_NAME": "テスト", "GIT_COMMITTER_EMAIL": "t@example.jp"}
COMMIT_RE = re.compile(r"\b[0-9a-f]{12}\b")


def doc_block(marker: str) -> str:
    """The fenced block right after ``<!-- marker -->`` in docs/ci.md."""
    text = DOC.read_text(encoding="utf-8")
    m = re.search(rf"<!-- {re.escape(marker)} -->\n```[a-z]*\n(.*?)\n```", text, re.S)
    assert m is not None, marker
    return m.group(1)


def sh(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a documented shell block with the project's ``yoshiki`` first on PATH."""
    env = {**os.environ, **GIT_ENV, "PYTHONUTF8": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_the_documented_session_passes_then_fails_as_documented(tmp_path: Path) -> None:
    started = sh(doc_block("ci-example: init"), tmp_path)
    assert started.returncode == 0, started.stdout + started.stderr
    assert started.stdout.splitlines()[-1] == (
        "yoshiki ci: 追加 1 版、変更 0 版、削除 0 版 — 問題は見つかりませんでした")
    assert "問題は見つかりませんでした\nlint: 問題は見つかりませんでした\n" in started.stdout
    city = tmp_path / "city"
    failed = sh(doc_block("ci-example: breaking-minor"), city)
    assert failed.returncode == 1, failed.stderr
    assert failed.stdout.rstrip("\n") == doc_block("ci-output: breaking-minor")
    markdown = sh("yoshiki ci --format markdown", city)
    assert markdown.returncode == 1
    assert (COMMIT_RE.sub("<commit>", markdown.stdout.rstrip("\n"))
            == COMMIT_RE.sub("<commit>", doc_block("ci-output: breaking-minor-markdown")))


@pytest.mark.parametrize("name", [".github/workflows/yoshiki.yml", ".gitlab-ci.yml", ".pre-commit-config.yaml"])
def test_the_documented_ci_files_are_what_init_writes(run_cli: RunCli, tmp_path: Path, name: str) -> None:
    assert run_cli("init", str(tmp_path / "city")).returncode == 0
    assert (tmp_path / "city" / name).read_text(encoding="utf-8").rstrip("\n") == doc_block(f"ci-file: {name}")


def test_init_writes_the_layout_and_a_japanese_readme(run_cli: RunCli, tmp_path: Path) -> None:
    proc = run_cli("init", str(tmp_path / "city"), "--municipality", "272264")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"{tmp_path / 'city'} に 藤井寺市（272264）のテンプレートリポジトリを作りました:"
    files = sorted(str(p.relative_to(tmp_path / "city")) for p in (tmp_path / "city").rglob("*") if p.is_file())
    assert files == [
        ".github/workflows/yoshiki.yml", ".gitlab-ci.yml", ".pre-commit-config.yaml", ".yoshiki.json",
        "272264/event-application/1.0.0/examples/invalid/missing-email.json",
        "272264/event-application/1.0.0/examples/invalid/too-many-participants.json",
        "272264/event-application/1.0.0/examples/valid/family-with-comment.json",
        "272264/event-application/1.0.0/examples/valid/one-person.json",
        "272264/event-application/1.0.0/schema.json",
        "272264/event-application/1.0.0/template.json",
        "README.md",
    ]
    readme = (tmp_path / "city" / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# 藤井寺市 の申請フォーム テンプレート\n")
    assert "公開した版のフォルダは変更しません。" in readme


def test_init_never_overwrites(run_cli: RunCli, tmp_path: Path) -> None:
    city = tmp_path / "city"
    city.mkdir()
    (city / "README.md").write_text("自分の README\n", encoding="utf-8")
    proc = run_cli("init", str(city))
    assert proc.returncode == 4
    assert "README.md" in proc.stderr
    assert "上書きはしません" in proc.stderr
    assert sorted(p.name for p in city.iterdir()) == ["README.md"]
    assert (city / "README.md").read_text(encoding="utf-8") == "自分の README\n"


def test_init_checks_the_municipality_code(run_cli: RunCli, tmp_path: Path) -> None:
    proc = run_cli("init", str(tmp_path / "city"), "--municipality", "132240")
    assert proc.returncode == 3, proc.stderr
    assert not (tmp_path / "city").exists()
