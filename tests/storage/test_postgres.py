"""PostgreSQL specifics: identical search results to SQLite, the trigram index, the fixtures."""

from __future__ import annotations

from pathlib import Path

import pg
import psycopg
import pytest
from pg import ADMIN_URL, fresh_database
from sqlalchemy import text
from test_sql_index import CORPUS, names, rec, search_all

from registry import municipalities
from registry.storage.sql_index import SqlIndex, normalize, query_terms


def probe_queries() -> list[str]:
    """Every 1–4 character substring of every searchable text in the corpus, and pairs."""
    texts: set[str] = set()
    for r in CORPUS:
        texts.update(s for s in (r.title, r.title_en, r.description, *r.tags,
                                 municipalities.name_of(r.lg)) if s)
    queries: set[str] = set()
    for t in texts:
        for n in range(1, 5):
            queries.update(t[i:i + n] for i in range(len(t) - n + 1))
    singles = sorted(q for q in queries if q.strip())
    pairs = [f"{a} {b}" for a, b in zip(singles[::7], singles[3::7], strict=False)]
    return [*singles, *pairs, "ＬＵＮＣＨ", "Ｌｉｂｒａｒｙ　申し込み", "%", "_", "\\", '"', "'"]


@pytest.mark.postgres
def test_same_results_on_sqlite_and_postgres(tmp_path: Path) -> None:
    lite = SqlIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    lite.migrate()
    lite.rebuild(CORPUS)
    with fresh_database() as url:
        pg = SqlIndex(url)
        pg.migrate()
        for r in CORPUS:
            pg.record_version(r)
        queries = probe_queries()
        assert len(queries) > 500
        differ = {}
        hits = 0
        for q in queries:
            a, b = names(lite.search(q=q, limit=100)[0]), names(pg.search(q=q, limit=100)[0])
            hits += bool(a)
            if a != b:
                differ[q] = (a, b)
        assert differ == {}
        assert hits > 400  # the probes do find things
        for q in ("学", "連絡", "アンケート", None):
            assert search_all(lite, q=q) == search_all(pg, q=q)
        pg.close()
    lite.close()


@pytest.mark.postgres
def test_trigram_index_serves_like_queries() -> None:
    with fresh_database() as url:
        index = SqlIndex(url)
        index.migrate()
        index.rebuild([rec(f"132241/form-{n}", "1.0.0", f"様式{n}号 欠席・遅刻・早退連絡",
                           "2026-01-01T00:00:00Z") for n in range(300)])
        with index.engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(conn.execute(text(
                "EXPLAIN SELECT id FROM templates WHERE search_text LIKE :p"),
                {"p": "%遅刻・早退%"}).scalars())
        assert "ix_templates_search_trgm" in plan
        [hit], _ = index.search(q="様式12号")
        assert hit.slug == "form-12"
        index.close()


@pytest.mark.postgres
def test_fresh_database_is_dropped() -> None:
    with fresh_database() as url:
        dbname = url.rsplit("/", 1)[1]
        assert dbname.startswith("yoshiki_test_")
        index = SqlIndex(url)
        index.migrate()  # leaves a pooled connection open: the drop must still work
    index.close()
    with psycopg.connect(ADMIN_URL) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchall()
    assert left == []


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception),
                                               ("", pytest.skip.Exception)])
def test_unreachable_server(monkeypatch: pytest.MonkeyPatch, ci: str,
                            outcome: type[BaseException]) -> None:
    monkeypatch.setattr(pg, "ADMIN_URL", "postgresql://postgres@127.0.0.1:9/postgres")
    monkeypatch.setattr(pg, "_state", {})
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"127\.0\.0\.1:9/postgres is unreachable"):
        pg.require_postgres()
    with pytest.raises(outcome), pg.fresh_database():
        pass


def test_normalize_and_terms() -> None:
    assert normalize("ＡＢＣ講座　ｶﾅ") == "abc講座 カナ"
    assert query_terms(" 欠席　遅刻 欠席 ") == ["欠席", "遅刻"]
    assert query_terms(None) == []


@pytest.mark.postgres
def test_staff_queries_same_on_sqlite_and_postgres(tmp_path: Path) -> None:
    """The 120 staff queries on the real catalogue (field titles included): identical items,
    order and match reasons, and identical pages through the ranked cursor."""
    import json

    from registry.config import Settings
    from registry.seeding import seed
    from registry.wiring import open_service

    root = Path(__file__).resolve().parents[2]
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'i.db'}",
                        repo_path=tmp_path / "repo.git")
    svc = open_service(settings)
    seed(svc, root / "templates_repo")
    records = svc.records()
    queries = [row["q"] for row in json.loads(
        (root / "tests" / "data" / "search" / "queries.json").read_text(encoding="utf-8"))]
    with fresh_database() as url:
        other = SqlIndex(url)
        other.migrate()
        other.rebuild(records)

        def view(index: SqlIndex, q: str) -> list[tuple[str, str, str | None]]:
            return [(s.lg, s.slug, s.match_reason) for s in index.search(q=q, limit=100)[0]]

        differ = {q: (view(svc.index, q), view(other, q))  # type: ignore[arg-type]
                  for q in queries if view(svc.index, q) != view(other, q)}  # type: ignore[arg-type]
        assert differ == {}
        for q in ("氏名", "申込", "アンケート"):
            assert search_all(svc.index, q=q) == search_all(other, q=q)  # type: ignore[arg-type]
        other.close()
