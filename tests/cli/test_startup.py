"""Local commands start fast: ``yoshiki --help``, ``yoshiki validate``, ``yoshiki diff`` and
``yoshiki compat`` import no web framework, ORM, git library or HTTP client (checked in
``sys.modules`` of a fresh subprocess); the diff path imports nothing a diff does not use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("litestar", "sqlmodel", "sqlalchemy", "git", "httpx", "uvicorn", "jinja2", "alembic", "psycopg")
# Not needed by a diff that succeeds: listing the commands, printing a traceback, the test and
# benchmark tools, the other checker.
DIFF_UNUSED = ("pkgutil", "traceback", "hypothesis", "jsoncompat", "msgspec_yaml", "yaml", "sqlite3")
VERSION = Path(__file__).resolve().parent.parent / "data" / "validate" / "valid-template" / "132241" / "absence-notice" / "1.0.0"
FORM = Path(__file__).resolve().parent.parent / "data" / "submissions" / "form.schema.json"
ONE = FORM.parent / "one.json"

# Runs the real entry point, then prints the top-level names of every imported module.
RUNNER = """
import atexit, sys
atexit.register(lambda: print("MODULES " + " ".join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr))
from cli.main import main
main(sys.argv[1:])
"""


def _modules(*args: str) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, check=False,
                          timeout=60)
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES "))
    return proc.returncode, set(line.split()[1:])


@pytest.mark.parametrize("args", [
    ["--help"],
    ["validate", str(VERSION)],
    ["check-data", str(FORM), str(ONE)],
], ids=["help", "validate", "check-data"])
def test_local_commands_import_nothing_heavy(args: list[str]) -> None:
    """No litestar, sqlmodel, sqlalchemy, git, httpx (or their friends) in sys.modules."""
    code, modules = _modules(*args)
    assert code == 0
    assert sorted(modules.intersection(HEAVY)) == []


@pytest.mark.parametrize("args", [
    ["diff", str(VERSION), str(VERSION)],
    ["diff", str(VERSION), str(VERSION), "--format", "json", "--policy", "strict"],
    ["compat", str(VERSION), str(VERSION), "--mode", "FULL"],
], ids=["diff", "diff-json", "compat"])
def test_diff_path_imports_only_what_a_diff_needs(args: list[str]) -> None:
    """``yoshiki diff``/``compat``: nothing heavy, and none of the modules a diff never uses."""
    code, modules = _modules(*args)
    assert code == 0
    assert sorted(modules.intersection(HEAVY)) == []
    assert sorted(modules.intersection(DIFF_UNUSED)) == []


def test_the_check_can_fail() -> None:
    """The runner does see a heavy import when one happens (so the test above can fail)."""
    code, modules = _modules("--version")
    assert code == 0
    assert "click" in modules
    proc = subprocess.run([sys.executable, "-c", "import httpx; " + RUNNER, "--version"], capture_output=True,
                          text=True, check=False, timeout=60)
    assert "httpx" in proc.stderr
