"""Recall@10 and MRR of a query set (tests/data/search/queries.json) against a search function."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class QueryResult:
    q: str
    tuned: bool
    recall: float
    rr: float
    missing: list[str]


def load_queries(path: Path) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def evaluate(search: Callable[[str], list[str]], queries: list[dict[str, object]]) -> list[QueryResult]:
    """Per query: recall@10 (found in the top 10 / min(expected, 10)) and reciprocal rank."""
    out = []
    for row in queries:
        q = str(row["q"])
        expect = [str(e) for e in row["expect"]]  # type: ignore[attr-defined]
        got = search(q)[:10]
        found = [e for e in expect if e in got]
        rr = next((1.0 / (i + 1) for i, name in enumerate(got) if name in expect), 0.0)
        out.append(QueryResult(q, bool(row.get("tuned")), len(found) / min(len(expect), 10), rr,
                               [e for e in expect if e not in got]))
    return out


def summary(results: list[QueryResult]) -> tuple[float, float]:
    """Mean recall@10 and mean reciprocal rank."""
    n = len(results) or 1
    return sum(r.recall for r in results) / n, sum(r.rr for r in results) / n
