"""Every page of a ranked search, on SQLite and PostgreSQL, is what scoring every template gives.

A catalogue of a few hundred templates built from a handful of words (so words are common,
share titles and tie on dates) is searched page by page — with filters, with forks changing the
fork count after the fact, and with terms that only match as text — and compared with a brute
force over the templates table: each row's keys (search_index.postings_of), scored by
ranking.evaluate, ordered as ranking.py says, then the text-only matches newest first.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from registry.readmodels import VersionRecord
from registry.search.analyser import normalize, parse_query
from registry.search.ranking import evaluate
from registry.storage import search_index
from registry.storage.sql_index import T_TEMPLATES, SqlIndex, query_terms
from tests.storage.pg import fresh_database

WORDS = ["欠席", "遅刻", "連絡", "申請", "届出", "アンケート", "保育所", "図書館", "犬", "死亡",
         "教室", "職員", "郵便番号"]
FIELDS = ["氏名", "住所", "郵便番号", "電話番号", "理由", "希望日"]
CITIES = ["132241", "132250", "272264", "011002", "271403"]
QUERIES: list[dict[str, Any]] = [
    {"q": "欠席"}, {"q": "犬"}, {"q": "氏名"}, {"q": "欠席 連絡"}, {"q": "郵便番号"},
    {"q": "けっせき"}, {"q": "保育園"}, {"q": "申請", "category": "教育"},
    {"q": "連絡", "municipality": "132241"}, {"q": "アンケート", "prefecture": "東京都"},
    {"q": "届", "tag": "届出"}, {"q": "様式です"}, {"q": "図書館 犬"}, {"q": "見つからない"},
    {"q": "欠席 連絡", "category": "教育"}, {"q": "欠席届", "prefecture": "東京都"},
    {"q": "犬 死亡", "tag": "犬"}, {"q": "郵便番号 職員", "municipality": "132250"},
    # Filters the postings carry, together and with one they do not (joined to the templates).
    {"q": "欠席 連絡", "prefecture": "東京都", "category": "教育"},
    {"q": "郵便番号", "prefecture": "大阪府"}, {"q": "届", "prefecture": "大阪府", "tag": "届出"},
    {"q": "氏名", "category": "職員", "municipality": "132241"},
]


def catalogue(n: int = 240, seed: int = 5) -> list[VersionRecord]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        words = rnd.sample(WORDS, 2)
        upstream = f"{CITIES[0]}/form-{rnd.randrange(i)}" if i > 10 and i % 7 == 0 else None
        out.append(VersionRecord(
            lg=CITIES[i % len(CITIES)], slug=f"form-{i}", version="1.0.0",
            title="・".join(words), description=f"{rnd.choice(WORDS)}のための様式です",
            category=rnd.choice(["教育", "くらし", "職員"]), tags=rnd.sample(["届出", "学校", "犬"], 1),
            field_titles=rnd.sample(FIELDS, 3),
            commit=hashlib.sha1(str(i).encode()).hexdigest(),
            # Few distinct seconds: ties fall back to the fork count, then lg and slug.
            published_at=f"2026-0{1 + i % 3}-01T09:00:00Z", author_name="課",
            author_email="a@example.invalid", upstream_template=upstream,
            upstream_version="1.0.0" if upstream else None,
            event="forked" if upstream else "published"))
    return out


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlIndex]:
    def build(url: str) -> SqlIndex:
        ix = SqlIndex(url)
        ix.migrate()
        records = catalogue()
        ix.rebuild(records[:200])        # a bulk load ...
        for r in records[200:]:          # ... then publishes, which move fork counts
            ix.record_version(r)
        return ix

    if request.param == "sqlite":
        ix = build(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'index.sqlite3'}")
        yield ix
        ix.close()
    else:
        with fresh_database() as url:
            ix = build(url)
            yield ix
            ix.close()


@contextmanager
def empty_index(backend: str, tmp_path: Path) -> Iterator[SqlIndex]:
    """A new index of its own on ``backend`` ("sqlite" in tmp_path, or "postgres": a database
    made for it and dropped after), closed after."""
    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{tmp_path / 'index.sqlite3'}" if backend == "sqlite"
               else stack.enter_context(fresh_database()))
        ix = SqlIndex(url)
        stack.callback(ix.close)
        yield ix


def brute(index: SqlIndex, q: str, **filters: str) -> list[str]:
    query = parse_query(q)
    terms = query_terms(q)
    joined = " ".join(query.terms)
    with index.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(T_TEMPLATES)).mappings()]
    words, texts = [], []
    for row in rows:
        if filters.get("municipality") and row["lg"] != filters["municipality"]:
            continue
        if filters.get("category") and row["category"] != filters["category"]:
            continue
        if filters.get("tag") and filters["tag"] not in row["tags"]:
            continue
        if filters.get("prefecture") and row["prefecture_code"] != index._prefecture(filters["prefecture"]):
            continue
        postings = {k: p for k, p in search_index.postings_of(row).items() if k in query.all_keys()}
        suffix = search_index.suffix_of(row)
        scored = evaluate(query, postings, title_equal=row["title_norm"] == joined)
        name = f"{row['lg']}/{row['slug']}"
        if scored is not None:
            words.append((-scored.score, suffix, name))
        elif all(len(t) >= 3 for t in terms) and all(t in row["search_text"] for t in terms):
            texts.append((suffix, name))
    return [n for *_, n in sorted(words)] + [n for _, n in sorted(texts)]


def every_page(index: SqlIndex, limit: int, **kwargs: str) -> list[str]:
    out: list[str] = []
    cursor = None
    for _ in range(500):
        page, cursor = index.search(**kwargs, cursor=cursor, limit=limit)
        assert len(page) == limit or cursor is None
        out += [f"{s.lg}/{s.slug}" for s in page]
        if cursor is None:
            return out
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: ",".join(q.values()))
@pytest.mark.parametrize("few", [0, SqlIndex.FEW], ids=["filters-joined", "filters-in-memory"])
def test_pages_equal_the_brute_force(index: SqlIndex, query: dict[str, str], few: int,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "FEW", few)  # filtered lists joined in SQL, or ranked in memory
    expected = brute(index, **query)
    for limit in (1, 7, 50):
        assert every_page(index, limit, **query) == expected


def test_the_catalogue_has_the_cases_worth_testing(index: SqlIndex) -> None:
    """The corpus is not trivial: common words, forks, text-only matches, ties on dates."""
    assert len(brute(index, "氏名")) > 100
    assert len(brute(index, "様式です")) > 100
    assert any(s.fork_count for s in index.search(q="欠席", limit=100)[0])
    assert normalize("ｱﾝｹｰﾄ") == "アンケート"


def test_an_index_from_revision_0004_is_rebuilt_at_the_next_start(tmp_path: Path) -> None:
    """Migration 0005 empties the keys (rank keys are computed in Python) and forgets the git
    tip; the start's catch-up rebuilds from git, and search finds what it found before."""
    from alembic import command
    from alembic.config import Config

    from registry.config import Settings
    from registry.recovery import STATE_TIP, start
    from registry.seeding import seed
    from registry.storage.sql_index import MIGRATIONS
    from registry.wiring import open_service

    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'index.db'}",
                        repo_path=tmp_path / "repo.git")
    service = open_service(settings)
    seed(service, Path(__file__).parent.parent.parent / "templates_repo")
    before = [f"{s.lg}/{s.slug}" for s in service.search("欠席届", limit=5)[0]]
    assert before
    index = service.index
    with index.engine.begin() as conn:  # type: ignore[attr-defined]
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    index.migrate()  # what the next start does first
    with index.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.exec_driver_sql("SELECT count(*) FROM search_terms").scalar_one() == 0
    assert index.state(STATE_TIP) is None
    report = start(service)
    assert report.catch_up is not None
    assert report.catch_up.full
    assert [f"{s.lg}/{s.slug}" for s in service.search("欠席届", limit=5)[0]] == before


def test_a_rebuild_writes_the_statistics_analyze_would(tmp_path: Path) -> None:
    """SQLite: a rebuild writes search_terms' planner statistics from what it loaded, instead
    of reading the table again; they are exactly ANALYZE's (an index added to the table, which
    they would not cover, makes the rebuild run ANALYZE instead)."""
    from sqlalchemy import text

    ix = SqlIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    ix.migrate()
    ix.rebuild(catalogue(240))
    stats = "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'search_terms' ORDER BY idx"
    with ix.engine.begin() as conn:
        written = conn.execute(text(stats)).all()
        conn.exec_driver_sql("ANALYZE search_terms")
        assert written == conn.execute(text(stats)).all()
        assert len(written) == 2
        conn.exec_driver_sql("CREATE INDEX ix_extra ON search_terms (category)")
    ix.rebuild(catalogue(240))
    with ix.engine.connect() as conn:
        assert "ix_extra" in {idx for idx, _stat in conn.execute(text(stats))}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_0007_makes_the_keys_again_and_the_answers_stay(tmp_path: Path, backend: str) -> None:
    """0006 → 0007 (shorter rank keys, the prefecture in the rank index): the keys are emptied
    and the git tip forgotten, so the next start rebuilds; the pages are the same, filtered by
    prefecture too. SQLite without the prefecture index, PostgreSQL with it."""
    from alembic import command
    from alembic.config import Config

    from registry.recovery import STATE_TIP
    from registry.storage.sql_index import MIGRATIONS

    def indexes(ix: SqlIndex) -> set[str]:
        sql = ("SELECT indexname FROM pg_indexes WHERE tablename = 'search_terms'"
               if ix.dialect == "postgresql" else
               "SELECT name FROM sqlite_master WHERE tbl_name = 'search_terms' AND type = 'index'")
        with ix.engine.connect() as conn:
            return set(conn.exec_driver_sql(sql).scalars())

    def check(ix: SqlIndex) -> None:
        ix.migrate()
        records = catalogue(120)
        ix.rebuild(records)
        asked = [{"q": "氏名"}, {"q": "欠席", "prefecture": "東京都"},
                 {"q": "様式", "prefecture": "大阪府", "category": "教育"}]
        before = [every_page(ix, 7, **a) for a in asked]
        assert all(before)
        with ix.engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        assert "ix_search_terms_prefecture" in indexes(ix)
        ix.rebuild(records)  # keys in the table before the upgrade
        ix.set_state(STATE_TIP, "0" * 40)
        ix.migrate()
        assert ("ix_search_terms_prefecture" in indexes(ix)) == (ix.dialect == "postgresql")
        with ix.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM search_terms").scalar_one() == 0
        assert ix.state(STATE_TIP) is None  # what makes the next start rebuild
        ix.rebuild(records)
        assert [every_page(ix, 7, **a) for a in asked] == before
        assert before[1] == brute(ix, "欠席", prefecture="東京都")

    with empty_index(backend, tmp_path) as ix:
        check(ix)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_new_version_moves_the_postings_to_its_category(tmp_path: Path, backend: str) -> None:
    """The postings carry the template's category and prefecture: a version that changes the
    category answers under the new one only, in the joined and the carried reading alike."""

    def check(ix: SqlIndex) -> None:
        ix.migrate()
        records = catalogue(40)
        ix.rebuild(records)
        moved = msgspec.structs.replace(
            next(r for r in records if r.category == "教育" and r.lg == "132241"),
            version="1.1.0", category="くらし", published_at="2026-05-01T09:00:00Z")
        ix.record_version(moved)
        name = f"{moved.lg}/{moved.slug}"
        word = moved.title.split("・")[0]
        for few in (0, SqlIndex.FEW):
            ix.FEW = few
            assert name in every_page(ix, 7, q=word, category="くらし", prefecture="東京都")
            assert name not in every_page(ix, 7, q=word, category="教育", prefecture="東京都")
            assert name not in every_page(ix, 7, q=word, category="くらし", prefecture="大阪府")
            assert every_page(ix, 7, q=word, category="くらし") == brute(ix, word, category="くらし")

    with empty_index(backend, tmp_path) as ix:
        check(ix)
