"""The lineage tables on PostgreSQL: the five-city tree gives the same figures as on SQLite."""

from __future__ import annotations

import sys
import time
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


@pytest.mark.postgres
def test_webhook_outbox_on_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "notices"))
    from receiver import Receiver
    from test_lineage_tree import BASE_PROPS, INAGI, publish

    from registry.notices.webhooks import WebhookPolicy
    from registry.notices.worker import run_once
    from registry.readmodels import Author

    monkeypatch.setenv("YOSHIKI_WEBHOOK_ALLOW", "127.0.0.1/32")
    monkeypatch.setenv("YOSHIKI_WEBHOOK_BACKOFF", "0.2")
    receiver = Receiver()
    receiver.answers = [503]
    staff = Author(name="総務課", municipality=INAGI, municipality_name="稲城市")
    try:
        with fresh_database() as url:
            pg = open_service(replace(Settings.for_data_dir(tmp_path / "pg"), database_url=url))
            build(pg)
            hook = pg.create_webhook(INAGI, receiver.url, staff)
            publish(pg, ROOT, "1.3.0", {**BASE_PROPS, "note": {"type": "string", "title": "連絡"}})
            policy = WebhookPolicy.from_env()
            for _ in range(40):
                run_once(pg.index, "http://registry.invalid", policy)
                log = pg.webhook_deliveries(INAGI, hook.id)
                if log and log[0].status == "delivered":
                    break
                time.sleep(0.25)
            assert [(d.status, d.attempts, d.last_status) for d in log] == [("delivered", 2, 200)]
            assert [e["subject"] for e in receiver.events(hook.secret or "")] == [f"{ROOT}@1.3.0"] * 2
            pg.index.close()  # type: ignore[attr-defined]
    finally:
        receiver.close()
