"""The README's walk-through, extracted from the README and run as written (issue 16, point 9).

The block between ``<!-- walkthrough:start -->`` and ``<!-- walkthrough:end -->`` runs in one
bash, through the real ``scripts/dev``, from a scratch folder that has the checkout's
``scripts/`` and sample forms. Only two things differ from a reader's run: the port (a free
one instead of 8000) and the virtual environment ``scripts/dev`` finds (a ready one: this
test's interpreter, so nothing is installed). Every command must succeed except the two the
README says fail: the conflicting pull (exit 4) and 稲城市 writing under 多摩市 (exit 5).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from served import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- walkthrough:start -->\n```sh\n(.*?)\n```\n<!-- walkthrough:end -->", re.S)
FAILED = re.compile(r"^::exit (\d+) :: (.*)$", re.M)


def readme_walkthrough() -> str:
    """The walk-through's shell block, as the README shows it."""
    found = BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "the README has no walk-through block between the markers"
    return found.group(1)


def test_the_block_is_what_a_reader_runs() -> None:
    script = readme_walkthrough()
    commands = [line for line in script.splitlines() if line and not line.startswith("#")]
    # yoshiki is never assumed to be on PATH, and no token is exported for every command.
    for line in commands:
        assert not re.match(r"\s*yoshiki ", line), line
    assert "export YOSHIKI_TOKEN" not in script
    assert "yoshiki login" not in script
    # The tokens are made in the data folder the server runs on.
    serve = next(line for line in commands if " serve " in line)
    data_dir = re.search(r"--data-dir (\S+)", serve)
    assert data_dir
    for line in commands:
        if "admin token create" in line:
            assert f"--data-dir {data_dir.group(1)}" in line, line
    # The conflict and its resolution are part of the walk-through.
    assert "--resolve /properties/count/title=ours" in script


def test_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    port = free_port()
    script = readme_walkthrough().replace("8000", str(port))
    work = tmp_path / "checkout-user"
    (work / "tests" / "data").mkdir(parents=True)
    (work / "scripts").symlink_to(ROOT / "scripts")
    (work / "tests" / "data" / "web").symlink_to(ROOT / "tests" / "data" / "web")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    shim = venv / "bin" / "yoshiki"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cli "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    (venv / ".installed").touch()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("YOSHIKI_") and k not in ("XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    env.update(YOSHIKI_VENV=str(venv), PYTHONPATH=str(ROOT), PYTHONUTF8="1",
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "share"))
    preamble = "trap 'echo \"::exit $? :: $BASH_COMMAND\" >&2' ERR\n"
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("w") as o, err.open("w") as e:
        proc = subprocess.Popen(["bash", "-c", preamble + script], cwd=work, env=env, stdout=o,
                                stderr=e, start_new_session=True)
        try:
            proc.wait(timeout=400)
        finally:
            # The walk-through leaves its registry running in the background: stop what we started.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
    stdout, stderr = out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
    failures = [(int(code), command) for code, command in FAILED.findall(stderr)]
    assert [code for code, _ in failures] == [4, 5], stderr
    assert "pull 132250/event-survey --token" in failures[0][1]
    assert 'publish tests/data/web/132241/event-survey/1.2.0 --token "$INAGI"' in failures[1][1]
    assert proc.returncode == 0, stderr
    for expected in ("公開しました: 132241/event-survey@1.0.0",
                     "132241/event-survey@1.0.0\t市民講座の参加アンケート（多摩市）",
                     "公開しました: 132250/event-survey@1.0.0",
                     "132241/event-survey 1.0.0 → 1.1.0 を取り込みました",
                     "公開しました: 132250/event-survey@1.1.1",
                     "公開しました: 132241/event-survey@1.2.0",
                     "公開しました: 132250/event-survey@1.1.2",
                     "総務課 (稲城市 132250) | ", "情報政策課 (多摩市 132241) | "):
        assert expected in stdout, (expected, stdout)
    assert '    base="参加人数"  ours="参加者数"  theirs="参加人数（ご本人を含む）"' in stderr
    assert "総務課 (稲城市 132250) は 多摩市（132241）のテンプレートを書き込めません" in stderr
    assert (work / "registry-data" / "templates.git").is_dir()
    assert (work / "catalogue" / "132250" / "event-survey" / "1.1.2" / "schema.json").is_file()
