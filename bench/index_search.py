"""SqlIndex: rebuild time and search latency over 10,000 templates × 3 versions, SQLite and PostgreSQL.

    .venv/bin/python bench/index_search.py [--templates 10000] [--versions 3] [--no-postgres]

Prints rebuild seconds (and records/s), single-version record_version throughput, and search
latency (median, p99) for a mix of queries: 1-, 2- and ≥ 3-character terms, two terms, filters,
no query, and a second page. Goal: search p99 < 50 ms on both backends. PostgreSQL runs in a
temporary database on 127.0.0.1:5432 (dropped afterwards).
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import municipalities  # noqa: E402
from registry.readmodels import VersionRecord  # noqa: E402
from registry.storage.sql_index import SqlIndex  # noqa: E402

WORDS = ["欠席", "遅刻", "早退", "連絡", "申込", "届", "申請", "アンケート", "予約", "交付",
         "請求", "住民票", "図書館", "保育所", "入所", "犬", "死亡", "転入", "転居", "医療券",
         "調剤券", "放課後", "児童", "教室", "参加", "意見", "募集", "パブリックコメント", "職員",
         "ランチ", "母子健康手帳", "妊娠", "入札", "資格", "審査", "講座", "イベント", "相談",
         "証明書", "ごみ", "粗大ごみ", "収集", "補助金", "給付", "登録", "変更", "廃止", "健診"]
TAGS = ["学校", "子育て", "福祉", "届出", "イベント", "アンケート", "職員", "くらし", "健康"]
CATEGORIES = ["教育", "子育て", "福祉", "くらし", "職員", "行政", "健康"]
QUERIES: list[dict[str, Any]] = [
    {"q": "犬"}, {"q": "欠席"}, {"q": "遅刻・早退"}, {"q": "アンケート"},
    {"q": "欠席 連絡"}, {"q": "パブリックコメント"}, {"q": "見つからない様式"},
    {"q": "市"}, {"q": "多摩市"}, {"q": "Form"}, {}, {"category": "教育"},
    {"tag": "学校"}, {"prefecture": "東京都"}, {"municipality": "132241"},
    {"q": "申込", "prefecture": "大阪府"}, {"q": "届", "tag": "届出"},
]


def generate(templates: int, versions: int, seed: int = 7) -> list[VersionRecord]:
    """Deterministic records: Japanese titles from form words, real municipality codes."""
    rnd = random.Random(seed)
    places = [m.code for m in municipalities.all_municipalities() if m.kind != "prefecture"]
    out: list[VersionRecord] = []
    for n in range(templates):
        lg = places[n % len(places)]
        words = rnd.sample(WORDS, 3)
        title = f"{words[0]}・{words[1]}の{words[2]}"
        tags = rnd.sample(TAGS, 2)
        upstream = None
        if n % 10 == 9:  # every tenth template is a fork of an earlier one
            up = rnd.randrange(n)
            upstream = f"{places[up % len(places)]}/form-{up}"
        for v in range(versions):
            day = 1 + (n * versions + v) % 28
            out.append(VersionRecord(
                lg=lg, slug=f"form-{n}", version=f"1.{v}.0", title=title,
                title_en=f"Form {n}", description=f"{words[2]}のための様式です（{n}）",
                category=rnd.choice(CATEGORIES), tags=tags,
                commit=secrets.token_hex(20), published_at=f"2026-{1 + v:02d}-{day:02d}T09:{n % 60:02d}:00Z",
                author_name="情報政策課", author_email="joho@example.invalid",
                upstream_template=upstream, upstream_version="1.0.0" if upstream else None,
                event="forked" if upstream and v == 0 else "published"))
    return out


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], object]) -> float:
    """Milliseconds one call takes."""
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def run(name: str, url: str, records: list[VersionRecord], rounds: int) -> None:
    """Rebuild, then time searches and single writes on one backend."""
    index = SqlIndex(url)
    index.migrate()
    t = time.perf_counter()
    index.rebuild(records)
    first = time.perf_counter() - t
    t = time.perf_counter()
    index.rebuild(records)
    second = time.perf_counter() - t
    print(f"{name}: rebuild {len(records):,} versions: {first:.2f} s into an empty index "
          f"({len(records) / first:,.0f}/s), {second:.2f} s replacing a full one")
    latencies: dict[str, list[float]] = {}
    kwargs_of = {repr(q): q for q in QUERIES} | {"page 2 of q=申込": {"q": "申込"}}
    for _ in range(rounds):
        for query in QUERIES:
            latencies.setdefault(repr(query), []).append(timed(lambda q=query: index.search(**q)))
        _, cursor = index.search(q="申込")
        latencies.setdefault("page 2 of q=申込", []).append(
            timed(lambda c=cursor: index.search(q="申込", cursor=c)))
    every = [ms for values in latencies.values() for ms in values]
    print(f"{name}: search over {len(records) // 3:,} templates, {len(every)} calls: "
          f"median {statistics.median(every):.1f} ms, p99 {percentile(every, 99):.1f} ms "
          f"(goal < 50 ms: {percentile(every, 99) / 50:.2f}× the budget)")
    worst = sorted(latencies.items(), key=lambda kv: -percentile(kv[1], 99))[:4]
    for query, values in worst:
        print(f"    slowest: {query:<40} median {statistics.median(values):6.1f} ms, "
              f"p99 {percentile(values, 99):6.1f} ms, {len(index.search(**kwargs_of[query])[0])} hits on page 1")
    extra = [VersionRecord(lg="132241", slug=f"bench-{i}", version="1.0.0", title="追加の様式",
                           category="行政", commit=secrets.token_hex(20),
                           published_at="2026-06-01T00:00:00Z", author_name="bench",
                           author_email="bench@example.invalid") for i in range(200)]
    t = time.perf_counter()
    for r in extra:
        index.record_version(r)
    print(f"{name}: record_version one at a time: {len(extra) / (time.perf_counter() - t):,.0f}/s")
    index.close()


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A temporary database, dropped afterwards."""
    import psycopg

    name = f"yoshiki_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield "postgresql+psycopg://" + admin_url.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Run the benchmark on SQLite, then PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    records = generate(args.templates, args.versions)
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/index.sqlite3", records, args.rounds)
    if not args.no_postgres:
        with postgres_database(args.postgres) as url:
            run("postgresql", url, records, args.rounds)


if __name__ == "__main__":
    main()
