"""The prefecture page at design scale: 62 municipalities × 300 templates in one prefecture.

    .venv/bin/python bench/prefecture.py [--cities 62] [--templates 300] [--runs 20] [--database URL]

Generates the lineage tables as reindex writes them (``LineageIndex.replace_all``): 東京都
owns ``--templates`` originals; every other city of 東京都 (the first ``--cities - 1`` by code)
has ``--templates`` forks of them — one in ten a fork of a neighbour's fork — each 0–4 releases
behind, one in fifty detached, with 0–3 field-level differences drawn from a pool of eight
(added fields, relaxed and tightened rules, added choices). Then serves ``/p/13`` and the JSON
APIs through the real app (Litestar TestClient, the SQL index only: no git reads on these
routes) and prints the median and p95 of ``--runs`` requests, side by side. SQLite by default;
``--database postgresql+psycopg://...`` for PostgreSQL.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.config import Settings
from registry.forktree import Divergence, ForkStatus
from registry.municipalities import all_municipalities

POOL = [
    Divergence(category="added", field="/phone_daytime", label="電話番号（日中）",
               message="The field /phone_daytime was added.", message_ja="項目『電話番号（日中）』が追加されました。"),
    Divergence(category="added", field="/email", label="メールアドレス",
               message="The field /email was added.", message_ja="項目『メールアドレス』が追加されました。"),
    Divergence(category="relaxed", field="/postal_code", label="郵便番号",
               message="The pattern of /postal_code was removed.", message_ja="『郵便番号』の入力形式がなくなりました。"),
    Divergence(category="tightened", field="/name", label="氏名",
               message="/name must now be at most 40 characters.", message_ja="『氏名』は 40 文字以内になりました。"),
    Divergence(category="choices_added", field="/kind", label="相談の種類",
               message="Option 介護 was added to /kind.", message_ja="『相談の種類』に選択肢「介護」が追加されました。"),
    Divergence(category="removed", field="/fax", label="FAX番号",
               message="The field /fax was removed.", message_ja="項目『FAX番号』が削除されました。"),
    Divergence(category="added", field="/ward", label="地区",
               message="The field /ward was added.", message_ja="項目『地区』が追加されました。"),
    Divergence(category="relaxed", field="/birth_date", label="生年月日",
               message="/birth_date is no longer required.", message_ja="『生年月日』が必須ではなくなりました。"),
]


def generate(cities: int, templates: int, seed: int = 17) -> tuple[list[ForkStatus], dict[str, list[Divergence]]]:
    rnd = random.Random(seed)
    tokyo = [m for m in all_municipalities() if m.prefecture == "東京都" and m.kind != "prefecture"]
    towns = tokyo[: cities - 1]
    statuses: list[ForkStatus] = []
    divergences: dict[str, list[Divergence]] = {}
    for i in range(templates):
        statuses.append(ForkStatus(lg="130001", slug=f"form-{i:03d}", title=f"様式 {i}",
                                   municipality_name="東京都", prefecture_code="130001",
                                   latest_version="1.4.0"))
    for t_index, town in enumerate(towns):
        for i in range(templates):
            upstream = f"130001/form-{i:03d}"
            if i % 10 == 0 and t_index > 0:
                upstream = f"{towns[t_index - 1].code}/form-{i:03d}"
            behind = rnd.choice([0, 0, 1, 2, 4])
            detached = rnd.random() < 0.02
            st = ForkStatus(lg=town.code, slug=f"form-{i:03d}", title=f"様式 {i}",
                            municipality_name=town.name, prefecture_code="130001",
                            latest_version=f"1.{rnd.randint(0, 4)}.0", upstream_template=upstream,
                            upstream_version=f"1.{4 - behind}.0", upstream_latest="1.4.0",
                            behind=0 if detached else behind, detached=detached)
            statuses.append(st)
            divergences[st.name] = rnd.sample(POOL, rnd.randint(0, 3))
    return statuses, divergences


def timed(client, url: str, runs: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    times = []
    size = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(url, headers={"accept": "text/html"})
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        size = len(r.content)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cities", type=int, default=62)
    ap.add_argument("--templates", type=int, default=300)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--database", default=None)
    args = ap.parse_args()

    from litestar.testing import TestClient

    from registry.web.app import create_app
    from registry.wiring import open_service

    data = Path(tempfile.mkdtemp(prefix="yoshiki-pref-"))
    settings = Settings.for_data_dir(data)
    if args.database:
        settings = replace(settings, database_url=args.database)
    service = open_service(settings)
    statuses, divergences = generate(args.cities, args.templates)
    t0 = time.perf_counter()
    service.index.lineage.replace_all(statuses, divergences)
    load_ms = (time.perf_counter() - t0) * 1000
    rows = sum(len(v) for v in divergences.values())
    print(f"scale: {args.cities} municipalities × {args.templates} templates = {len(statuses)} "
          f"templates, {len(statuses) - args.templates} forks, {rows} divergence rows "
          f"({service.index.dialect}); tables written in {load_ms:.0f} ms")  # type: ignore[attr-defined]
    with TestClient(create_app(settings, service=service)) as client:
        print(f"{'request':58} {'median ms':>10} {'p95 ms':>8} {'bytes':>8}")
        for url in ("/p/13", "/p/13?page=2", "/p/13?template=130001/form-007",
                    "/api/v1/prefectures/13/adoption", "/api/v1/prefectures/13/divergence",
                    "/api/v1/prefectures/13/divergence?template=130001/form-007",
                    "/api/v1/templates/130001/form-000/lineage"):
            timed(client, url, 2)  # warm
            med, p95, size = timed(client, url, args.runs)
            print(f"{url:58} {med:10.1f} {p95:8.1f} {size:8d}")


if __name__ == "__main__":
    main()
