"""The diff corpus: every ``tests/data/diff/<family>/<case>.json`` is one case, picked up automatically.

A case is ``{"description", "policy"?, "format_assertion"?, "allow_unknown"?,
"allow_conservative"?, "old", "new", "expected": {"backward", "forward", "kinds", "bump"?},
"witness_backward"?, "witness_forward"?}``.

The expected verdicts are the truth of set semantics (backward: every value valid under OLD is
valid under NEW; forward: NEW → OLD), decided by reasoning, and the corpus checks itself without
the engine: every expected ``breaking`` carries a witness that jsonschema-rs accepts on one side
and rejects on the other (under ``lenient`` the witness also carries only declared properties).

Against the engine (``registry.diff.diff``), for each direction with truth T and answer A:
- A == T passes;
- T breaking, A compatible is UNSOUND and always fails;
- A unknown passes only where the case says ``allow_unknown`` (inclusion not cheaply decidable,
  e.g. two different patterns) or ``allow_conservative``;
- T compatible, A breaking passes only where the case says ``allow_conservative`` (an equivalence
  across keywords, e.g. ``multipleOf: 1`` on a number ≡ integer, that the documented engine does
  not claim to see);
- the expected kinds must all be reported, the bump must match when the backward verdict does,
  and every witness the engine attaches must really discriminate.
A case without ``policy`` holds under both policies and runs under both.
"""

from __future__ import annotations

import collections
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from diffcheck.lenient import declared_only

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "diff"
CASES = sorted(CORPUS.glob("*/*.json"))
VERDICTS = {"compatible", "breaking", "unknown"}
CASE_KEYS = {"description", "policy", "format_assertion", "allow_unknown", "allow_conservative",
             "old", "new", "expected", "witness_backward", "witness_forward"}
# Issue 4, item 2: every keyword the engine covers must occur in some corpus schema.
KEYWORDS = {
    "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minLength", "maxLength", "pattern", "format", "properties", "required",
    "additionalProperties", "patternProperties", "propertyNames", "minProperties",
    "maxProperties", "dependentRequired", "dependentSchemas", "unevaluatedProperties", "items",
    "prefixItems", "contains", "minContains", "maxContains", "minItems", "maxItems",
    "uniqueItems", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "$defs",
    "title", "description", "examples", "default",
}


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _policies(case: dict[str, Any]) -> list[str]:
    return [case["policy"]] if "policy" in case else ["lenient", "strict"]


def _validator(schema: Any, formats: bool) -> Any:
    return jsonschema_rs.validator_for(schema, validate_formats=formats)


@cache
def documented_kinds() -> frozenset[str]:
    """The change kinds named in the tables of docs/diff.md (``min_items_*`` expanded)."""
    kinds: set[str] = set()
    for line in (ROOT / "docs" / "diff.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split("|")[1]
        previous = ""
        for name in re.findall(r"`([a-z_*]+)`", first):
            if name.startswith("_"):  # "`max_properties_added` / `_decreased`"
                name = previous.rsplit("_", 1)[0] + name
            if name.endswith("_*"):
                kinds.update(name[:-1] + s for s in ("added", "removed", "increased", "decreased"))
            else:
                kinds.add(name)
            previous = name
    return frozenset(kinds)


def _walk_keys(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(k)
            if k not in ("enum", "const", "examples", "default"):
                _walk_keys(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk_keys(v, out)


def test_corpus_size_and_families() -> None:
    """At least 200 cases; print the count per family (``pytest -s`` shows it)."""
    per_family = collections.Counter(p.parent.name for p in CASES)
    print("\ndiff corpus cases per family:")
    for family, n in sorted(per_family.items()):
        print(f"  {family:24} {n:4}")
    print(f"  {'total':24} {len(CASES):4}")
    assert len(CASES) >= 200
    assert all(n >= 5 for n in per_family.values()), per_family


def test_corpus_covers_every_keyword() -> None:
    """Every keyword of issue 4 item 2 occurs in some corpus schema, and both policies are used."""
    seen: set[str] = set()
    policies: set[str] = set()
    for path in CASES:
        case = _load(path)
        _walk_keys(case["old"], seen)
        _walk_keys(case["new"], seen)
        policies.add(case.get("policy", "both"))
    assert KEYWORDS - seen == set()
    assert policies == {"lenient", "strict", "both"}


@pytest.mark.parametrize("path", CASES, ids=_id)
def test_case_is_well_formed(path: Path) -> None:
    """Known keys, valid 2020-12 schemas, documented kinds, a witness for every breaking truth."""
    case = _load(path)
    assert set(case) <= CASE_KEYS, set(case) - CASE_KEYS
    assert isinstance(case["description"], str)
    assert case["description"]
    assert case.get("policy", "lenient") in ("lenient", "strict")
    for side in ("old", "new"):
        assert jsonschema_rs.meta.is_valid(case[side]), side
    expected = case["expected"]
    assert expected["backward"] in VERDICTS
    assert expected["forward"] in VERDICTS
    assert set(expected["kinds"]) <= documented_kinds(), set(expected["kinds"]) - documented_kinds()
    assert expected.get("bump", "none") in ("none", "patch", "minor", "major")
    for direction in ("backward", "forward"):
        has_witness = f"witness_{direction}" in case
        if expected[direction] == "breaking":
            assert has_witness, f"{direction} is breaking: give a witness"
        if expected[direction] == "compatible":
            assert not has_witness, f"{direction} is compatible: a witness contradicts it"


@pytest.mark.parametrize("path", CASES, ids=_id)
def test_witnesses_discriminate(path: Path) -> None:
    """Each witness is accepted by its own side and rejected by the other (engine-independent)."""
    case = _load(path)
    formats = bool(case.get("format_assertion", False))
    old, new = _validator(case["old"], formats), _validator(case["new"], formats)
    for direction, accepts, rejects, side in (("backward", old, new, "old"),
                                              ("forward", new, old, "new")):
        key = f"witness_{direction}"
        if key not in case:
            continue
        value = case[key]
        assert accepts.is_valid(value), f"{key} must be valid under {side.upper()}"
        assert not rejects.is_valid(value), f"{key} must be invalid under the other side"
        if "lenient" in _policies(case):
            assert declared_only(value, case[side]), f"{key} carries undeclared properties"


def _judge(direction: str, truth: str, answer: str, case: dict[str, Any]) -> str | None:
    """None when the answer is acceptable for the truth; else why not."""
    if answer == truth:
        return None
    if truth == "breaking" and answer == "compatible":
        return f"UNSOUND {direction}: engine says compatible, truth is breaking"
    if answer == "unknown" and (case.get("allow_unknown") or case.get("allow_conservative")):
        return None
    if truth == "unknown" and answer == "breaking" and f"witness_{direction}" in case:
        return None
    if truth == "compatible" and answer == "breaking" and case.get("allow_conservative"):
        return None
    return f"{direction}: engine says {answer}, expected {truth}"


def _params() -> list[Any]:
    return [pytest.param(path, policy, id=f"{_id(path)}[{policy}]")
            for path in CASES for policy in _policies(_load(path))]


@pytest.mark.parametrize(("path", "policy"), _params())
def test_engine_against_case(path: Path, policy: str) -> None:
    """The engine's verdicts, kinds, bump and witnesses against the case's ground truth."""
    from registry.diff import Policy, diff

    case = _load(path)
    formats = bool(case.get("format_assertion", False))
    result = diff(case["old"], case["new"], Policy(policy, format_assertion=formats))
    expected = case["expected"]
    problems = [p for d in ("backward", "forward")
                if (p := _judge(d, expected[d], getattr(result, d), case)) is not None]
    reported = {c.kind for c in result.changes}
    missing = set(expected["kinds"]) - reported
    if missing:
        problems.append(f"kinds {sorted(missing)} not reported (reported: {sorted(reported)})")
    if "bump" in expected and result.backward == expected["backward"] and result.bump != expected["bump"]:
        problems.append(f"bump {result.bump}, expected {expected['bump']}")
    old, new = _validator(case["old"], formats), _validator(case["new"], formats)
    for change in result.changes:
        if change.witness is None:
            continue
        accepts, rejects = (old, new) if change.witness.accepted_by == "old" else (new, old)
        value = change.witness.value
        if not (accepts.is_valid(value) and not rejects.is_valid(value)):
            problems.append(f"witness of {change.kind} at {change.pointer!r} does not discriminate: {value!r}")
    assert not problems, "\n".join(problems)
