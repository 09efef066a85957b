"""End to end over a real socket: the walk-through with SQLite, then with PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from served import Registry, start, stop
from walkthrough import walkthrough

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))
from pg import fresh_database  # type: ignore[import-not-found]


def test_walkthrough_sqlite(registry: Registry, tmp_path: Path) -> None:
    walkthrough(registry, tmp_path)


@pytest.mark.postgres
def test_walkthrough_postgres(tmp_path: Path) -> None:
    with fresh_database() as url:
        reg = start(tmp_path, empty=True, extra_env={"YOSHIKI_DATABASE_URL": url})
        try:
            walkthrough(reg, tmp_path)
        finally:
            stop(reg)


def test_catalogue_is_served_and_registry_down_is_one_line(registry: Registry) -> None:
    r = registry.cli("search", "ランチ")
    assert r.returncode == 0, r.stderr
    # Both seeded in the same second: the order between them is not part of the contract.
    assert sorted(r.stdout.splitlines()) == [
        "132241/staff-lunch-survey@1.1.0\t職員ランチ実態アンケート（多摩市）",
        "132250/staff-lunch-survey@1.0.0\t職員ランチ実態アンケート（稲城市）  ← 132241/staff-lunch-survey"]
    r = registry.cli("show", "132241/no-such-form")
    assert r.returncode == 3
    r = registry.cli("search", "x", "--registry", "http://127.0.0.1:9")
    assert r.returncode == 70
    assert len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("エラー: レジストリ http://127.0.0.1:9 に接続できません")
