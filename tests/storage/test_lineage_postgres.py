"""The lineage tables on PostgreSQL: the five-city tree gives the same figures as on SQLite."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pg import fresh_database

from registry.config import Settings
from registry.wiring import open_service

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from test_lineage_tree import ROOT, build


@pytest.mark.postgres
def test_prefecture_views_same_on_postgres(tmp_path: Path) -> None:
    lite = open_service(Settings.for_data_dir(tmp_path / "lite"))
    build(lite)
    with fresh_database() as url:
        pg = open_service(replace(Settings.for_data_dir(tmp_path / "pg"), database_url=url))
        build(pg)
        assert pg.index.dialect == "postgresql"  # type: ignore[attr-defined]
        strip = lambda v: [(e.template, e.users, e.behind, e.detached) for e in v.items]  # noqa: E731
        assert strip(pg.adoption("13")) == strip(lite.adoption("13"))
        assert pg.adoption("13").counts == lite.adoption("13").counts
        texts = lambda s: [x.text_ja for x in s.divergence("13").summaries]  # noqa: E731
        assert texts(pg) == texts(lite)
        assert "3 件中 2 件のフォークが『電話番号（日中）』を追加" in texts(pg)
        shape = lambda s: s.lineage_tree(ROOT).root  # noqa: E731
        assert shape(pg) == shape(lite)
        assert [e.lg for e in pg.changes(0, 100, upstream=str(ROOT))] == \
            [e.lg for e in lite.changes(0, 100, upstream=str(ROOT))]
        pg.reindex()
        assert texts(pg) == texts(lite)
        pg.index.close()  # type: ignore[attr-defined]
    lite.index.close()  # type: ignore[attr-defined]
