"""Shared fixtures: the real CLI in a subprocess, the packaged catalogue, temporary copies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Under CI (a loaded 2-core machine, one run per submission) property tests draw the same
# examples every run: a red CI then means a regression, not a new random draw. Locally they stay
# random so that new counterexamples keep being found. No example database either way.
settings.register_profile("ci", derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("dev", database=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "templates_repo"
DATA = Path(__file__).resolve().parent / "data"

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def _run_cli(*args: str | Path, cwd: Path | None = None, input: str | None = None,
             env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONUTF8": "1", **(env or {})}
    if env is None or "GITHUB_STEP_SUMMARY" not in env:
        full_env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        [sys.executable, "-m", "cli", *map(str, args)],
        cwd=cwd, input=input, capture_output=True, text=True, env=full_env, timeout=timeout,
        check=False,
    )


@pytest.fixture
def run_cli() -> RunCli:
    """Run ``yoshiki`` in a subprocess; returns the CompletedProcess (text mode)."""
    return _run_cli


@pytest.fixture
def catalogue() -> Path:
    """The starter catalogue shipped with the project (read-only: copy before changing)."""
    return CATALOGUE


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the starter catalogue."""
    dest = tmp_path / "repo"
    shutil.copytree(CATALOGUE, dest)
    return dest
