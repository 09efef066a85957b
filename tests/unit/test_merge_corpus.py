"""The merge corpus: every ``tests/data/merge/<case>.json`` is one case, picked up automatically.

A case is ``{"description", "base", "ours", "theirs", "expected": {"merged": ...} |
{"conflicts": [{"pointer", "kind"}]}}``, optionally with ``"mode": "template"`` (merge_template)
and ``"resolutions": {pointer: "ours" | "theirs" | {"value": ...}}`` (resolve).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registry.merge import MergeResult, Value, merge, merge_template, resolve

CASES = sorted((Path(__file__).resolve().parent.parent / "data" / "merge").glob("*.json"))


def _symmetric(path: Path) -> bool:
    # Template merges (own fields from ours) and resolutions are one-sided by design.
    case = json.loads(path.read_text(encoding="utf-8"))
    return case.get("mode") != "template" and "resolutions" not in case


SYMMETRIC = [p for p in CASES if _symmetric(p)]


def _run(case: dict[str, Any], swap: bool = False) -> MergeResult:
    base, ours, theirs = case["base"], case["ours"], case["theirs"]
    if swap:
        ours, theirs = theirs, ours
    resolutions = {ptr: Value(r["value"]) if isinstance(r, dict) else r
                   for ptr, r in case.get("resolutions", {}).items()}
    if case.get("mode") == "template":
        return merge_template(base, ours, theirs, resolutions=resolutions)
    if resolutions:
        return resolve(base, ours, theirs, resolutions)
    return merge(base, ours, theirs)


def _exact(value: Any) -> str:
    # Key order and true-vs-1 both matter, so compare the serialised text, not Python ==.
    return json.dumps(value, ensure_ascii=False)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert case["description"]
    result = _run(case)
    expected = case["expected"]
    found = [{"pointer": c.pointer, "kind": c.kind} for c in result.conflicts]
    if "merged" in expected:
        assert found == []
        assert _exact(result.merged) == _exact(expected["merged"])
    else:
        assert found == expected["conflicts"]
        assert result.merged is None
        assert result.partial is not None


@pytest.mark.parametrize("path", SYMMETRIC, ids=[p.stem for p in SYMMETRIC])
def test_case_swapped_sides_find_the_same_conflicts(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    straight = {(c.pointer, c.kind) for c in _run(case).conflicts}
    swapped = {(c.pointer, c.kind) for c in _run(case, swap=True).conflicts}
    assert straight == swapped
