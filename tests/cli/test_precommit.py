"""The pre-commit hooks of .pre-commit-hooks.yaml, run by ``pre-commit try-repo`` on a repository
made by ``yoshiki init``. pre-commit pip-installs this project into its own environment (once:
the hooks repository is a clean clone, so its revision and environment are reused)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, RunCli

GIT_ENV = {"GIT_AUTHOR_NAME": "テスト", "GIT_AUTHOR_EMAIL": "t@example.jp",
           "GIT_COMMITTER_NAME": "テスト", "GIT_COMMITTER_EMAIL": "t@example.jp"}


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, **GIT_ENV, **(env or {})})


def test_the_hooks_file_declares_three_python_hooks() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [(h["id"], h["entry"], h["language"], h["pass_filenames"]) for h in hooks] == [
        ("yoshiki-validate", "yoshiki validate", "python", False),
        ("yoshiki-lint", "yoshiki lint", "python", False),
        ("yoshiki-ci", "yoshiki ci", "python", False),
    ]


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_pre_commit_try_repo_runs_the_hooks(run_cli: RunCli, tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or "pre-commit"
    hooks_repo = tmp_path / "hooks"
    # A clean shallow clone of this project: try-repo then installs it once and reuses it.
    cloned = run(["git", "clone", "-q", "--depth", "1", f"file://{ROOT}", str(hooks_repo)], tmp_path)
    assert cloned.returncode == 0, cloned.stderr
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    city = tmp_path / "city"
    assert run_cli("init", str(city)).returncode == 0
    for args in (["git", "init", "-q", "-b", "main"], ["git", "add", "."], ["git", "commit", "-q", "-m", "初版"]):
        assert run(args, city).returncode == 0

    passed = run([pre_commit, "try-repo", str(hooks_repo), "--all-files"], city, env, timeout=360)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    for name in ("yoshiki validate (テンプレートの検証)", "yoshiki lint (フォームの品質)",
                 "yoshiki ci (公開済みの版・版上げ・互換性)"):
        assert any(line.startswith(name) and line.endswith("Passed") for line in passed.stdout.splitlines()), name

    # Edit the published 1.0.0 in place: the ci hook must refuse it, naming the file.
    schema = city / "132241/event-application/1.0.0/schema.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"maximum": 5', '"maximum": 3'), encoding="utf-8")
    assert run(["git", "add", "."], city).returncode == 0
    failed = run([pre_commit, "try-repo", str(hooks_repo), "yoshiki-ci", "--all-files"], city, env, timeout=120)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "132241/event-application/1.0.0/schema.json: [エラー ci.published-modified]" in failed.stdout
