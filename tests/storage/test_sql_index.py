"""SqlIndex on real databases: every test runs on a SQLite file and on a fresh PostgreSQL database.

The expected search results are written out once and must hold on both backends: that is the
"same results on SQLite and PostgreSQL" contract (test_postgres.py also compares them directly).
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest
from pg import fresh_database
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from registry.errors import Conflict, NotFound, UsageError
from registry.readmodels import VersionRecord
from registry.storage.sql_index import SqlIndex, token_hash

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def rec(name: str, version: str, title: str, at: str, **fields: Any) -> VersionRecord:
    """A VersionRecord for ``lg/slug`` with a commit id derived from its content."""
    lg, slug = name.split("/")
    fields.setdefault("category", "くらし")
    commit = fields.pop("commit", None) or hashlib.sha1(f"{name}@{version}:{title}".encode()).hexdigest()
    return VersionRecord(lg=lg, slug=slug, version=version, title=title, commit=commit,
                         published_at=at, author_name=fields.pop("author", "情報政策課"),
                         author_email="joho@example.invalid", **fields)


# The forms named in DOMAIN.md, with a fork chain 藤井寺市 → 東京都 → 瑞穂町 and two versions
# published in the same second (order then falls back to lg, slug).
CORPUS: list[VersionRecord] = [
    rec("272264/absence-notice", "1.0.0", "欠席・遅刻・早退連絡", "2026-04-01T09:00:00Z",
        category="教育", tags=["学校", "欠席"],
        description="保育所・幼稚園・小学校・中学校への欠席等の連絡"),
    rec("272264/absence-notice", "1.1.0", "欠席・遅刻・早退連絡", "2026-05-01T09:00:00Z",
        category="教育", tags=["学校", "欠席"], bump="minor",
        description="保育所・幼稚園・小学校・中学校への欠席等の連絡"),
    rec("130001/absence-notice", "1.0.0", "欠席連絡（都立学校）", "2026-05-10T09:00:00Z",
        category="教育", tags=["学校"], upstream_template="272264/absence-notice",
        upstream_version="1.0.0", event="forked"),
    rec("133035/absence-notice", "1.0.0", "学校への連絡", "2026-05-20T09:00:00Z",
        category="教育", upstream_template="130001/absence-notice", upstream_version="1.0.0",
        event="forked", description="欠席・遅刻の連絡"),
    rec("272094/dog-death", "1.0.0", "犬の死亡届", "2026-03-01T10:00:00Z",
        tags=["犬", "届出"], description="飼い犬が死亡したときの届出"),
    rec("272094/archaeology-class", "1.0.0", "子ども考古学教室 参加申込", "2026-03-01T10:00:00Z",
        category="教育", tags=["イベント"]),
    rec("132241/staff-lunch-survey", "1.2.0", "職員ランチ実態アンケート", "2026-02-01T12:00:00Z",
        category="職員", tags=["アンケート", "職員"], title_en="Staff Lunch Survey"),
    rec("132241/staff-lunch-survey", "1.10.0", "職員ランチ実態アンケート", "2026-02-20T12:00:00Z",
        category="職員", tags=["アンケート", "職員"], title_en="Staff Lunch Survey"),
    rec("132241/staff-lunch-survey", "1.9.0", "職員ランチ実態アンケート（旧）", "2026-02-10T12:00:00Z",
        category="職員", tags=["アンケート"], title_en="Staff Lunch Survey"),
    rec("132250/staff-lunch-survey", "1.0.0", "職員ランチアンケート", "2026-02-25T12:00:00Z",
        category="職員", tags=["アンケート"], title_en="Staff lunch survey (Inagi)", upstream_template="132241/staff-lunch-survey",
        upstream_version="1.10.0", event="forked"),
    rec("132241/public-comment", "1.0.0", "パブリックコメント", "2026-01-15T08:00:00Z",
        category="行政", tags=["意見募集"], description="市の計画案への意見を募集します"),
    rec("271403/medical-ticket", "1.0.0", "医療券・調剤券の依頼書", "2026-01-10T08:00:00Z",
        category="福祉"),
    rec("272272/library-registration", "1.0.0", "図書館の利用申し込み", "2026-01-05T08:00:00Z",
        category="教育", title_en="Library Registration", tags=["図書館"]),
    rec("132250/nursery-application", "1.0.0", "保育所入所申込", "2026-01-20T08:00:00Z",
        category="子育て", tags=["保育"]),
    rec("092096/moving-in", "1.0.0", "転入・転居届", "2026-01-25T08:00:00Z",
        category="戸籍・住民票", tags=["届出"], description="書かない窓口で職員が記入します"),
    rec("133035/abc-course", "1.0.0", "ＡＢＣ講座 申込", "2026-01-01T00:00:00+09:00",
        category="教育", tags=["講座"]),
]

# (search arguments, expected lg/slug in order). Order: title contains every term first,
# then newest updated_at, then lg, slug.
SEARCH_CASES: list[tuple[dict[str, Any], list[str]]] = [
    # 2 characters: the LIKE/instr path; title matches before description-only matches.
    ({"q": "欠席"}, ["130001/absence-notice", "272264/absence-notice",
                   "133035/absence-notice"]),
    # ≥ 3 characters: the trigram path, a substring in the middle of 「欠席・遅刻・早退連絡」.
    ({"q": "遅刻・早退"}, ["272264/absence-notice"]),
    ({"q": "欠席・遅刻"}, ["272264/absence-notice", "133035/absence-notice"]),
    ({"q": "犬"}, ["272094/dog-death"]),
    # 届 and 連絡 are one row of the synonym table (欠席届 = 欠席連絡): the 連絡 forms follow
    ({"q": "届"}, ["272094/dog-death", "092096/moving-in", "133035/absence-notice",
                   "130001/absence-notice", "272264/absence-notice"]),
    ({"q": "届出"}, ["272094/dog-death", "092096/moving-in", "133035/absence-notice",
                     "130001/absence-notice", "272264/absence-notice"]),  # tags, then synonyms
    # municipality names are searched too (藤井寺市, 稲城市)
    ({"q": "藤井寺"}, ["272264/absence-notice"]),
    ({"q": "稲城市"}, ["132250/staff-lunch-survey", "132250/nursery-application"]),
    # several terms: all must match; title-first uses all of them
    ({"q": "学校 連絡"}, ["133035/absence-notice", "130001/absence-notice",
                        "272264/absence-notice"]),
    ({"q": "欠席　遅刻"}, ["272264/absence-notice", "133035/absence-notice"]),
    # NFKC + casefold: full-width and upper-case letters match half-width, lower case
    ({"q": "abc"}, ["133035/abc-course"]),
    ({"q": "ＡＢＣ講座"}, ["133035/abc-course"]),
    ({"q": "LUNCH survey"}, ["132250/staff-lunch-survey", "132241/staff-lunch-survey"]),
    ({"q": "library"}, ["272272/library-registration"]),
    # LIKE wildcards are literal
    ({"q": "%"}, []),
    ({"q": "_"}, []),
    ({"q": "見つからない"}, []),
    # filters
    ({"municipality": "132241"}, ["132241/staff-lunch-survey", "132241/public-comment"]),
    ({"category": "職員"}, ["132250/staff-lunch-survey", "132241/staff-lunch-survey"]),
    ({"tag": "届出"}, ["272094/dog-death", "092096/moving-in"]),
    ({"tag": "アンケート", "municipality": "132250"}, ["132250/staff-lunch-survey"]),
    ({"prefecture": "大阪府"}, ["272264/absence-notice", "272094/archaeology-class",
                              "272094/dog-death", "271403/medical-ticket",
                              "272272/library-registration"]),
    ({"prefecture": "130001", "q": "連絡"}, ["133035/absence-notice",
                                            "130001/absence-notice"]),
    ({"prefecture": "栃木"}, ["092096/moving-in"]),
    ({"q": "教室", "category": "教育", "prefecture": "大阪府"}, ["272094/archaeology-class"]),
]

ALL_IN_ORDER = [
    "133035/absence-notice", "130001/absence-notice", "272264/absence-notice",
    "272094/archaeology-class", "272094/dog-death", "132250/staff-lunch-survey",
    "132241/staff-lunch-survey", "092096/moving-in", "132250/nursery-application",
    "132241/public-comment", "271403/medical-ticket", "272272/library-registration",
    "133035/abc-course",
]


def names(summaries: list[Any]) -> list[str]:
    """``lg/slug`` of each summary."""
    return [f"{s.lg}/{s.slug}" for s in summaries]


def search_all(index: SqlIndex, **kwargs: Any) -> list[str]:
    """Every page of a search, two at a time, joined."""
    out: list[str] = []
    cursor = None
    while True:
        page, cursor = index.search(**kwargs, cursor=cursor, limit=2)
        out += names(page)
        if cursor is None:
            return out


def open_index(url: str) -> SqlIndex:
    """A migrated index."""
    index = SqlIndex(url)
    index.migrate()
    return index


@pytest.fixture
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file URL, or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.sqlite3'}"
    else:
        with fresh_database() as url:
            yield url


@pytest.fixture
def index(backend_url: str) -> Iterator[SqlIndex]:
    """An empty, migrated index."""
    ix = open_index(backend_url)
    yield ix
    ix.close()


@pytest.fixture
def loaded(index: SqlIndex) -> SqlIndex:
    """The corpus, recorded one version at a time as publishing does."""
    for r in CORPUS:
        index.record_version(r)
    return index


pytestmark = pytest.mark.parametrize("backend_url", BACKENDS, indirect=True)


# -- migrations -------------------------------------------------------------------------------

def test_migrate_twice_and_models_match_the_migration(index: SqlIndex) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from registry.storage.tables import METADATA, include_name

    index.migrate()  # a second time: a no-op
    with index.engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        context = MigrationContext.configure(conn, opts={"include_name": include_name,
                                                         "compare_type": True})
        diffs = compare_metadata(context, METADATA)
        tables = set(inspect(conn).get_table_names())
        columns = {c["name"] for c in inspect(conn).get_columns("api_tokens")}
    assert revision == ["0007"]
    assert diffs == []
    assert {"templates", "template_tags", "versions", "lineage", "events", "audit_log",
            "api_tokens", "alembic_version", "search_terms"} <= tables
    assert columns == {"id", "municipality", "name", "admin", "token_hash", "created_at",
                       "revoked_at", "last_used_at"}


def test_a_rebuild_leaves_the_tables_as_the_migrations_made_them(loaded: SqlIndex) -> None:
    """A rebuild loads search_terms with its indexes built after the load (PostgreSQL: into a
    new table that takes the old one's place); the schema is the migrations' all the same."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from registry.storage.tables import METADATA, include_name

    before = loaded.search(q="欠席", limit=50)[0]
    assert before
    for _ in range(2):
        loaded.rebuild(CORPUS)
    with loaded.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name,
                                                         "compare_type": True})
        assert compare_metadata(context, METADATA) == []
        if loaded.dialect == "postgresql":
            indexes = dict(conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_terms'")).all())
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'search_terms%'")
                                  ).scalars().all()
            assert tables == ["search_terms"]
            assert "INCLUDE (code, pos, rk)" in indexes["search_terms_pkey"]
            assert "COLLATE" not in indexes["ix_search_terms_rank"]  # the columns' own: "C"
            collations = dict(conn.execute(text(
                "SELECT column_name, collation_name FROM information_schema.columns"
                " WHERE table_name = 'search_terms'")).all())
            assert collations["term"] == collations["rk"] == "C"
        else:
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'search_terms'")).scalar_one()
            assert "WITHOUT ROWID" in sql
        assert set(indexes if loaded.dialect == "postgresql" else conn.execute(text(
            "SELECT name FROM sqlite_master WHERE tbl_name = 'search_terms' AND type = 'index'"
            " AND sql IS NOT NULL")).scalars()) >= {"ix_search_terms_rank"}
        if loaded.dialect == "postgresql":  # SQLite reads a prefecture's postings from the rank index
            assert "ix_search_terms_prefecture" in indexes
    assert loaded.search(q="欠席", limit=50)[0] == before


def test_search_support_exists(index: SqlIndex) -> None:
    with index.engine.connect() as conn:
        if index.dialect == "sqlite":
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'templates_fts'")
                               ).scalar_one()
            assert "tokenize='trigram case_sensitive 1'" in sql
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000
        else:
            indexdef = conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_templates_search_trgm'")
            ).scalar_one()
            assert "gin (search_text gin_trgm_ops)" in indexdef


# -- search -----------------------------------------------------------------------------------

def test_search(loaded: SqlIndex) -> None:
    got = {repr(kwargs): names(loaded.search(**kwargs, limit=50)[0]) for kwargs, _ in SEARCH_CASES}
    assert got == {repr(kwargs): expected for kwargs, expected in SEARCH_CASES}
    paged = {repr(kwargs): search_all(loaded, **kwargs) for kwargs, _ in SEARCH_CASES}
    assert paged == got


def test_everything_in_order_with_keyset_pages(loaded: SqlIndex) -> None:
    page, cursor = loaded.search(limit=5)
    assert names(page) == ALL_IN_ORDER[:5]
    assert cursor is not None
    page2, _ = loaded.search(cursor=cursor, limit=5)
    assert names(page2) == ALL_IN_ORDER[5:10]
    assert search_all(loaded) == ALL_IN_ORDER
    # a page boundary between the two templates published in the same second
    assert search_all(loaded, q="教") == names(loaded.search(q="教", limit=100)[0])


def test_summary_fields(loaded: SqlIndex) -> None:
    [hit], _ = loaded.search(q="遅刻・早退")
    assert msgspec.structs.asdict(hit) == {
        "lg": "272264", "slug": "absence-notice", "title": "欠席・遅刻・早退連絡",
        "category": "教育", "latest_version": "1.1.0", "updated_at": "2026-05-01T09:00:00Z",
        "municipality_name": "藤井寺市", "title_en": None,
        "description": "保育所・幼稚園・小学校・中学校への欠席等の連絡",
        "tags": ["学校", "欠席"], "upstream_template": None, "fork_count": 1,
        "match_reason": "タイトルに一致", "match_reason_en": "matches the title"}
    abc = loaded.get_template("133035", "abc-course")
    assert abc is not None
    assert abc.updated_at == "2025-12-31T15:00:00Z"  # stored as UTC
    assert loaded.get_template("133035", "nothing") is None


def test_bad_cursor_and_limit(loaded: SqlIndex) -> None:
    with pytest.raises(UsageError):
        loaded.search(cursor="not-a-cursor")
    with pytest.raises(UsageError):
        loaded.search(limit=0)
    with pytest.raises(NotFound):
        loaded.search(prefecture="架空県")
    assert len(loaded.search(limit=1000)[0]) == len(ALL_IN_ORDER)
    # A page cursor of a search by words holds a recency suffix; one from before migration 0007
    # (inverted ISO text) would page from a wrong place, so it is refused: start again.
    _page, cursor = loaded.search(q="欠席", limit=1)
    assert cursor is not None
    loaded.search(q="欠席", cursor=cursor, limit=1)
    stale = base64.urlsafe_b64encode(
        json.dumps(["k", 800, "79739-88-85T77:86:77Z999999999132241/a"]).encode()).decode()
    with pytest.raises(UsageError, match="start again"):
        loaded.search(q="欠席", cursor=stale, limit=1)


# -- versions, lineage, feed ------------------------------------------------------------------

def test_versions_in_semver_order_and_latest(loaded: SqlIndex) -> None:
    versions = loaded.versions("132241", "staff-lunch-survey")
    assert [v.version for v in versions] == ["1.2.0", "1.9.0", "1.10.0"]
    summary = loaded.get_template("132241", "staff-lunch-survey")
    assert summary is not None
    assert (summary.latest_version, summary.title) == ("1.10.0", "職員ランチ実態アンケート")
    assert summary.updated_at == "2026-02-20T12:00:00Z"
    assert versions[2] == CORPUS[7]  # every field round-trips


def test_record_version_is_idempotent(loaded: SqlIndex) -> None:
    before = loaded.changes(0, 1000)
    loaded.record_version(CORPUS[0])
    assert loaded.changes(0, 1000) == before
    # the same version from another commit (rewritten history) replaces the row, no new event
    moved = msgspec.structs.replace(CORPUS[0], commit="f" * 40)
    loaded.record_version(moved)
    assert loaded.versions("272264", "absence-notice")[0].commit == "f" * 40
    assert loaded.changes(0, 1000) == before


def test_lineage_both_ways(loaded: SqlIndex) -> None:
    assert [f"{r.lg}/{r.slug}@{r.version}" for r in loaded.forks_of("272264", "absence-notice")] \
        == ["130001/absence-notice@1.0.0"]
    assert [f"{r.lg}/{r.slug}@{r.version}" for r in loaded.upstream_chain("133035", "absence-notice")] \
        == ["130001/absence-notice@1.0.0", "272264/absence-notice@1.0.0"]
    assert loaded.upstream_chain("272264", "absence-notice") == []
    assert loaded.forks_of("133035", "absence-notice") == []
    tama = loaded.get_template("132241", "staff-lunch-survey")
    assert tama is not None
    assert tama.fork_count == 1
    # a pull advances the fork's pinned upstream version
    loaded.record_version(rec("130001/absence-notice", "1.1.0", "欠席連絡（都立学校）",
                              "2026-06-01T09:00:00Z", category="教育",
                              upstream_template="272264/absence-notice",
                              upstream_version="1.1.0", event="pulled"))
    assert [f"{r.lg}/{r.slug}@{r.version}" for r in loaded.upstream_chain("133035", "absence-notice")] \
        == ["130001/absence-notice@1.0.0", "272264/absence-notice@1.0.0"]
    assert [r.upstream_version for r in loaded.upstream_chain("130001", "absence-notice")] == [None]
    assert loaded.upstream_chain("130001", "absence-notice")[0].version == "1.1.0"


def test_fork_count_follows_the_latest_upstream(index: SqlIndex) -> None:
    # the fork is recorded before its upstream (reindex order is not guaranteed)
    index.record_version(CORPUS[9])
    index.record_version(CORPUS[6])
    tama = index.get_template("132241", "staff-lunch-survey")
    assert tama is not None
    assert tama.fork_count == 1
    # the fork's next version drops its upstream: the count follows
    index.record_version(rec("132250/staff-lunch-survey", "2.0.0", "職員ランチアンケート",
                             "2026-03-01T00:00:00Z", category="職員"))
    tama = index.get_template("132241", "staff-lunch-survey")
    assert tama is not None
    assert tama.fork_count == 0


def test_change_feed(loaded: SqlIndex) -> None:
    events = loaded.changes(0, 1000)
    assert [e.id for e in events] == list(range(events[0].id, events[0].id + len(CORPUS)))
    assert [(e.kind, e.lg, e.slug, e.version) for e in events[2:4]] == [
        ("forked", "130001", "absence-notice", "1.0.0"),
        ("forked", "133035", "absence-notice", "1.0.0")]
    assert events[2].upstream_template == "272264/absence-notice"
    assert events[2].at == "2026-05-10T09:00:00Z"
    assert events[2].actor == "情報政策課"
    assert loaded.changes(events[3].id, 2) == events[4:6]
    assert loaded.changes(events[-1].id, 10) == []
    assert loaded.last_event_id() == events[-1].id


def test_deprecate(loaded: SqlIndex) -> None:
    last = loaded.changes(0, 1000)[-1].id
    loaded.mark_deprecated("132241", "staff-lunch-survey", "1.9.0", "旧様式です", "情報政策課",
                           "2026-03-01T00:00:00+09:00")
    loaded.mark_deprecated("132241", "staff-lunch-survey", "1.9.0", "旧様式です", "情報政策課",
                           "2026-03-01T00:00:00+09:00")  # again: nothing new
    [v] = [v for v in loaded.versions("132241", "staff-lunch-survey") if v.version == "1.9.0"]
    assert (v.deprecated, v.deprecated_reason) == (True, "旧様式です")
    [e] = loaded.changes(last, 10)
    assert (e.kind, e.version, e.at, e.actor, e.detail) == (
        "deprecated", "1.9.0", "2026-02-28T15:00:00Z", "情報政策課", "旧様式です")
    with pytest.raises(NotFound):
        loaded.mark_deprecated("132241", "staff-lunch-survey", "9.9.9", "x", "y",
                               "2026-03-01T00:00:00Z")


# -- rebuild ----------------------------------------------------------------------------------

def snapshot(index: SqlIndex) -> dict[str, Any]:
    """Everything a reader can see, except the change feed's ids."""
    pages = {repr(k): names(index.search(**k, limit=100)[0]) for k, _ in SEARCH_CASES}
    keys = {(r.lg, r.slug) for r in CORPUS}
    return {"all": [msgspec.structs.asdict(s) for s in index.search(limit=100)[0]],
            "search": pages,
            "versions": {k: index.versions(*k) for k in sorted(keys)},
            "forks": {k: index.forks_of(*k) for k in sorted(keys)},
            "chains": {k: index.upstream_chain(*k) for k in sorted(keys)}}


def test_a_publish_after_a_first_rebuild_gets_an_id_of_its_own(index: SqlIndex) -> None:
    """A rebuild gives the templates their ids (1, 2, …, as the second process prepared them);
    the id sequence follows, so the next publish does not collide with one of them."""
    index.rebuild(CORPUS)
    before = {(s.lg, s.slug) for s in index.search(limit=100)[0]}
    index.record_version(rec("132241/staff-lunch-survey-2", "1.0.0", "職員ランチ満足度調査",
                             "2026-07-01T00:00:00Z", category="職員"))
    index.record_version(rec("132250/new-form", "1.0.0", "新しい申請書",
                             "2026-07-02T00:00:00Z", category="その他"))
    after = {(s.lg, s.slug) for s in index.search(limit=100)[0]}
    assert after == before | {("132241", "staff-lunch-survey-2"), ("132250", "new-form")}
    assert names(index.search(q="満足度")[0]) == ["132241/staff-lunch-survey-2"]
    check_search_index(index)


def test_rebuild_equals_recording_and_is_idempotent(loaded: SqlIndex, backend_url: str) -> None:
    token = loaded.create_token("272264", "学校教育課")
    loaded.audit("学校教育課", "token.create", "272264")
    before = snapshot(loaded)
    events = loaded.changes(0, 1000)
    loaded.rebuild(reversed(CORPUS))
    assert snapshot(loaded) == before
    assert loaded.changes(0, 1000) == events  # cursors stay valid: nothing renumbered
    loaded.rebuild(CORPUS)
    assert snapshot(loaded) == before
    check_search_index(loaded)
    # the FTS triggers still work after a rebuild: a later publish is found by a 3+ char term
    loaded.record_version(rec("132241/staff-lunch-survey", "2.0.0", "職員ランチ満足度調査",
                              "2026-07-01T00:00:00Z", category="職員"))
    assert names(loaded.search(q="満足度")[0]) == ["132241/staff-lunch-survey"]
    assert names(loaded.search(q="実態")[0]) == []  # the old title's word is gone
    check_search_index(loaded)
    assert loaded.verify_token(token) is not None  # tokens survive
    assert [a.action for a in loaded.audit_log(10)] == ["token.create"]  # so does the audit log

    # From an empty database (index lost): the same view, and a feed in publication order.
    with fresh_index(backend_url, "rebuilt") as other:
        deprecated = msgspec.structs.replace(CORPUS[8], deprecated=True,
                                             deprecated_reason="旧様式です")
        other.rebuild([*CORPUS[:8], deprecated, *CORPUS[9:]])
        feed = other.changes(0, 1000)
        assert [e.at for e in feed[:-1]] == sorted(e.at for e in events)
        assert (feed[-1].kind, feed[-1].version, feed[-1].detail) == ("deprecated", "1.9.0",
                                                                      "旧様式です")
        other.rebuild([*CORPUS[:8], deprecated, *CORPUS[9:]])
        assert other.changes(0, 1000) == feed


def check_search_index(index: SqlIndex) -> None:
    """SQLite: the FTS5 index agrees with the templates table and its three triggers exist."""
    if index.dialect != "sqlite":
        return
    with index.engine.begin() as conn:
        conn.execute(text("INSERT INTO templates_fts(templates_fts, rank) "
                          "VALUES ('integrity-check', 1)"))
        triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                     "ORDER BY name")).scalars().all()
    assert triggers == ["templates_fts_ad", "templates_fts_ai", "templates_fts_au"]


def test_rebuild_is_one_transaction(loaded: SqlIndex) -> None:
    before = snapshot(loaded)
    # NOT NULL fails in the database, after the old rows were deleted
    broken = msgspec.structs.replace(CORPUS[-1], category=None)
    with pytest.raises(IntegrityError, match=r"(?i)null"):
        loaded.rebuild([*CORPUS[:-1], broken])
    assert snapshot(loaded) == before
    check_search_index(loaded)


def test_rebuild_drops_what_git_no_longer_has(loaded: SqlIndex) -> None:
    loaded.rebuild(CORPUS[:2])
    assert search_all(loaded) == ["272264/absence-notice"]
    summary = loaded.get_template("272264", "absence-notice")
    assert summary is not None
    assert summary.fork_count == 0
    assert loaded.search(tag="届出")[0] == []



# -- units of work (one transaction for what a publish writes after its git commit) ----------

def test_a_unit_commits_everything_or_nothing(index: SqlIndex, backend_url: str) -> None:
    first, second = CORPUS[0], CORPUS[1]
    other = open_index(backend_url)  # another process's view of the same database
    with index.unit():
        index.record_version(first)
        index.audit("学校教育課", "publish", "272264/absence-notice@1.0.0", commit=first.commit)
        with index.unit():  # an inner unit joins the outer one
            index.set_state("git_tip", first.commit)
        # reads inside the unit see its own writes; nobody else does before it commits
        assert [v.version for v in index.versions(first.lg, first.slug)] == ["1.0.0"]
        assert other.versions(first.lg, first.slug) == []
        assert other.state("git_tip") is None
    assert [v.version for v in other.versions(first.lg, first.slug)] == ["1.0.0"]
    assert other.audited_commits([first.commit]) == {first.commit}
    assert other.state("git_tip") == first.commit

    def fails_midway() -> None:
        with index.unit():
            index.record_version(second)
            index.audit("学校教育課", "publish", "272264/absence-notice@1.1.0", commit=second.commit)
            raise RuntimeError("the index is down")

    with pytest.raises(RuntimeError, match="the index is down"):
        fails_midway()
    assert [v.version for v in other.versions(first.lg, first.slug)] == ["1.0.0"]
    assert other.audited_commits([second.commit]) == set()
    assert [e.version for e in other.changes(0, 100)] == ["1.0.0"]
    assert other.state("git_tip") == first.commit
    other.close()


def test_an_error_caught_inside_a_unit_still_fails_it(index: SqlIndex) -> None:
    from registry.storage.sql_index import IndexUnitFailed

    def catches_a_failed_write() -> None:
        with index.unit():
            index.record_version(CORPUS[0])
            with pytest.raises(NotFound):
                index.mark_deprecated("272264", "absence-notice", "9.9.9", "古い", "admin",
                                      "2026-01-01T00:00:00Z")

    with pytest.raises(IndexUnitFailed):
        catches_a_failed_write()
    assert index.versions("272264", "absence-notice") == []
    assert index.changes(0, 100) == []
    index.record_version(CORPUS[0])  # the index is usable afterwards
    assert [v.version for v in index.versions("272264", "absence-notice")] == ["1.0.0"]


# -- audit and tokens -------------------------------------------------------------------------

def test_audit_log(index: SqlIndex) -> None:
    index.audit("情報政策課", "publish", "132241/staff-lunch-survey@1.0.0", "minor", "192.0.2.1")
    index.audit("admin", "token.revoke", "132241/情報政策課")
    newest, oldest = index.audit_log(10)
    assert (newest.actor, newest.action, newest.target, newest.detail, newest.remote_addr) == (
        "admin", "token.revoke", "132241/情報政策課", None, None)
    assert (oldest.detail, oldest.remote_addr) == ("minor", "192.0.2.1")
    assert newest.id > oldest.id
    assert index.audit_log(1) == [newest]


def test_tokens(index: SqlIndex) -> None:
    token = index.create_token("132241", "情報政策課")
    assert len(token) >= 43
    info = index.verify_token(token)
    assert info is not None
    assert (info.municipality, info.name, info.admin) == ("132241", "情報政策課", False)
    assert info.last_used_at is not None
    assert index.verify_token(token + "x") is None
    assert index.verify_token("") is None
    with index.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert stored == [token_hash(token)]
    assert token not in stored
    with pytest.raises(Conflict):
        index.create_token("132241", "情報政策課")
    admin = index.create_token("", "運用者", admin=True)
    admin_info = index.verify_token(admin)
    assert admin_info is not None
    assert admin_info.admin
    assert [t.name for t in index.list_tokens("132241")] == ["情報政策課"]
    index.revoke_token("132241", "情報政策課")
    assert index.verify_token(token) is None
    assert index.list_tokens("132241") == []
    with pytest.raises(NotFound):
        index.revoke_token("132241", "情報政策課")
    again = index.create_token("132241", "情報政策課")  # the name is free again
    assert index.verify_token(again) is not None
    with pytest.raises(NotFound):
        index.create_token("132240", "誤り")  # wrong check digit
    with pytest.raises(UsageError):
        index.create_token("132241", "  ")


# -- concurrency ------------------------------------------------------------------------------

def _migrate_and_publish(args: tuple[str, int]) -> None:
    url, worker = args
    ix = SqlIndex(url)
    ix.migrate()  # every process migrates the fresh database at once: they must serialise
    for n in range(10):
        ix.record_version(rec("132241/shared", f"{worker}.{n}.0", "共有様式",
                              f"2026-01-01T00:{worker:02d}:{n:02d}Z"))
        ix.record_version(rec(f"132241/own-{worker}", f"1.{n}.0", "個別様式",
                              f"2026-01-01T00:{worker:02d}:{n:02d}Z"))
    ix.close()


def test_concurrent_migrations_and_writers(backend_url: str) -> None:
    # fork: the parent holds no database connection yet, and spawning costs seconds per process
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        pool.map(_migrate_and_publish, [(backend_url, w) for w in range(1, 5)])
    index = SqlIndex(backend_url)
    with index.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0007"]
    assert len(index.versions("132241", "shared")) == 40
    summary = index.get_template("132241", "shared")
    assert summary is not None
    assert summary.latest_version == "4.9.0"
    events = index.changes(0, 1000)
    assert len(events) == 80
    assert len({e.id for e in events}) == 80
    assert len(index.search(limit=100)[0]) == 5
    index.close()


# -- helpers ----------------------------------------------------------------------------------

@contextmanager
def fresh_index(url: str, name: str) -> Iterator[SqlIndex]:
    """A second migrated index on the same backend as ``url``."""
    if url.startswith("sqlite"):
        ix = open_index(url.replace("index.sqlite3", f"{name}.sqlite3"))
        yield ix
        ix.close()
        return
    with fresh_database() as pg_url:
        ix = open_index(pg_url)
        yield ix
        ix.close()


def test_searches_during_a_rebuild_see_the_old_index_or_the_new(loaded: SqlIndex) -> None:
    """A rebuild is one transaction (PostgreSQL: a new search_terms table swapped in at its
    end): searches running meanwhile never fail and never see a half-built index."""
    import threading

    expected = [s.slug for s in loaded.search(q="欠席", limit=50)[0]]
    assert expected
    seen: list[list[str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            try:
                seen.append([s.slug for s in loaded.search(q="欠席", limit=50)[0]])
            except BaseException as exc:  # any failure is the finding
                errors.append(exc)
                return

    readers = [threading.Thread(target=search) for _ in range(2)]
    for r in readers:
        r.start()
    try:
        for _ in range(5):
            loaded.rebuild(CORPUS)
    finally:
        stop.set()
        for r in readers:
            r.join()
    assert errors == []
    assert seen
    assert all(slugs == expected for slugs in seen)


