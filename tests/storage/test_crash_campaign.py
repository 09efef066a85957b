"""A short crash campaign (bench/crash_campaign.py): SIGKILLs of a real ``yoshiki serve`` during
publish bursts, then a plain restart — nothing answered 201 is lost, nothing in git is unindexed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_kills_during_bursts_lose_nothing(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("crash_campaign", ROOT / "bench" / "crash_campaign.py")
    assert spec is not None
    assert spec.loader is not None
    campaign = importlib.util.module_from_spec(spec)
    sys.modules["crash_campaign"] = campaign  # its dataclass looks its module up
    spec.loader.exec_module(campaign)
    figures = campaign.run(kills=3, writers=3, seed=7, workdir=tmp_path)
    assert figures["kills"] == 3
    assert figures["publishes_201"] > 0
    assert figures["lost"] == 0, figures
    assert figures["in_git_not_indexed"] == 0, figures
    assert figures["stale_locks_after_restart"] == 0
    assert figures["temporary_files_after_restart"] == 0
    assert figures["fsck_ok"], figures
    assert figures["audited_publishes"] >= figures["in_git"], figures
    assert figures["healthz_after_restart"] == "ok"
