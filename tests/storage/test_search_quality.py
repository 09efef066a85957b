"""Search by meaning: the staff query set (tests/data/search/queries.json) on the catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.config import Settings
from registry.search.quality import evaluate, load_queries, summary
from registry.seeding import seed
from registry.service import RegistryService
from registry.wiring import open_service

QUERIES = Path(__file__).parent.parent / "data" / "search" / "queries.json"
CATALOGUE = Path(__file__).parent.parent.parent / "templates_repo"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryService]:
    root = tmp_path_factory.mktemp("quality")
    settings = Settings(data_dir=root, database_url=f"sqlite:///{root / 'index.db'}",
                        repo_path=root / "repo.git")
    svc = open_service(settings)
    seed(svc, CATALOGUE)
    return svc


def names(svc: RegistryService, q: str) -> list[str]:
    return [f"{s.lg}/{s.slug}" for s in svc.search(q, limit=10)[0]]


def test_query_set_is_large_and_real() -> None:
    queries = load_queries(QUERIES)
    assert len(queries) >= 100
    assert sum(1 for q in queries if not q["tuned"]) >= 100


def test_the_issues_queries_find_their_templates(seeded: RegistryService) -> None:
    assert "272264/absence-notice" in names(seeded, "欠席届")
    assert names(seeded, "欠席連絡")[0] == "272264/absence-notice"
    assert names(seeded, "遅刻連絡")[0] == "272264/absence-notice"
    assert names(seeded, "けっせき")[0] == "272264/absence-notice"
    assert "132241/staff-lunch-survey" in names(seeded, "あんけーと")
    assert "132250/nursery-admission-application" in names(seeded, "保育園")[:2]
    hits, _ = seeded.search("郵便番号", limit=10)
    assert len(hits) == 10
    assert hits[0].match_reason == "項目『郵便番号』に一致"


def test_recall_and_mrr_reach_the_measured_thresholds(seeded: RegistryService) -> None:
    results = evaluate(lambda q: names(seeded, q), load_queries(QUERIES))
    recall, mrr = summary(results)
    untuned = [r for r in results if not r.tuned]
    u_recall, u_mrr = summary(untuned)
    # Measured 2026-12-05 (see docs/decisions.md); a drop below these is a regression.
    assert recall >= RECALL, [(r.q, r.missing) for r in results if r.missing]
    assert mrr >= MRR
    assert u_recall >= RECALL_UNTUNED
    assert u_mrr >= MRR_UNTUNED


# Measured: all 120 queries recall@10 0.967, MRR 0.963; the 113 untuned 0.965 / 0.965.
RECALL, MRR, RECALL_UNTUNED, MRR_UNTUNED = 0.96, 0.95, 0.96, 0.96
