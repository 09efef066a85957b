"""Completeness of the diff engine over small finite domains, against a brute-force oracle.

Every schema here accepts only values from a small universe (a closed object with a number
field in 0..5 on the 0.5 lattice, a string field of at most two letters from {a, b}, a choice field over three
values, each possibly null), so the truth of ``L(old) ⊆ L(new)`` is decided by validating every
value of the universe with jsonschema-rs against both schemas. Pairs are random (fixed seeds:
reproducible) and written the ways forms write them: bounds, exclusive bounds, ``multipleOf``,
``enum``/``const``/``oneOf`` of consts, ``not``, ``anyOf`` with null, patterns, ``required``,
``if``/``then``/``else`` on the choice, ``dependentRequired``, size bounds.

The engine must never be unsound (``compatible`` where a value of the universe separates the
schemas). The share of directions decided exactly (the engine's verdict equals the truth) is
printed (``pytest -s``) and must stay at 100 %: a miss names its pair so that it can be fixed or
listed with its reason in docs/diff.md "Completeness".
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from typing import Any

import jsonschema_rs
import pytest

from registry.diff import Policy, diff

INTS: list[Any] = [0, 1, 2, 3, 4, 5]
NUMS: list[Any] = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]
STRS: list[Any] = ["", "a", "b", "aa", "ab", "ba", "bb"]
CHOICES: list[Any] = ["x", "y", "z"]
PATTERNS = ["^a", "b$", "^[ab]b", "a", "^(a|bb)$", "^[ab]?$", "^a*$", "^(?:a|b)b?$"]
PAIRS = 400


def _universe() -> list[dict[str, Any]]:
    out = []
    for a, b, c in itertools.product([None, *NUMS, "null"], [None, *STRS, "null"], [None, *CHOICES, "null"]):
        v: dict[str, Any] = {}
        for key, val in (("a", a), ("b", b), ("c", c)):
            if val == "null":
                v[key] = None
            elif val is not None:
                v[key] = val
        out.append(v)
    return out


UNIVERSE = _universe()


def _int_field(rng: random.Random) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 5}
    for _ in range(rng.randint(0, 2)):
        op = rng.randrange(7)
        if op == 0:
            s["minimum"] = rng.randint(0, 3)
        elif op == 1:
            s["maximum"] = rng.randint(2, 5)
        elif op == 2:
            s["exclusiveMinimum"] = rng.randint(-1, 2)
        elif op == 3:
            s["multipleOf"] = rng.choice([1, 2, 3, 0.5])
        elif op == 4:
            s = {"enum": rng.sample(INTS, rng.randint(1, 4))}
        elif op == 5:
            s["not"] = {"const": rng.choice(INTS)}
        else:
            s = {"type": "number", "multipleOf": 1, "minimum": 0, "maximum": rng.randint(3, 5)}
    if rng.random() < 0.2:
        s = {"anyOf": [s, {"type": "null"}]}
    return s


def _str_field(rng: random.Random) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "string", "maxLength": 2, "pattern": "^[ab]*$"}
    for _ in range(rng.randint(0, 2)):
        op = rng.randrange(6)
        if op == 0:
            s["minLength"] = rng.randint(0, 2)
        elif op == 1:
            s["maxLength"] = rng.randint(0, 2)
        elif op == 2:
            s = {"allOf": [s, {"pattern": rng.choice(PATTERNS)}]}
        elif op == 3:
            s = {"enum": rng.sample(STRS, rng.randint(1, 4))}
        elif op == 4:
            s = {"allOf": [s, {"not": {"pattern": rng.choice(PATTERNS)}}]}
        else:
            s = {"type": "string", "pattern": rng.choice(["^[ab]{0,2}$", "^[ab]?[ab]?$", "^(a|b){0,2}$"])}
    if rng.random() < 0.2:
        s = {"type": [s["type"], "null"], **{k: v for k, v in s.items() if k != "type"}} if "type" in s \
            else {"anyOf": [s, {"type": "null"}]}
    return s


def _choice_field(rng: random.Random) -> dict[str, Any]:
    vals = rng.sample(CHOICES, rng.randint(1, 3))
    form = rng.randrange(4)
    if form == 0:
        s: dict[str, Any] = {"enum": vals}
    elif form == 1:
        s = {"oneOf": [{"const": v, "title": v.upper()} for v in vals]}
    elif form == 2:
        s = {"anyOf": [{"const": v} for v in vals]}
    else:
        s = {"type": "string", "enum": CHOICES, "not": {"enum": [v for v in CHOICES if v not in vals] or ["w"]}}
    if rng.random() < 0.15:
        s = {"anyOf": [s, {"type": "null"}]}
    return s


def _schema(rng: random.Random) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "object",
                         "properties": {"a": _int_field(rng), "b": _str_field(rng), "c": _choice_field(rng)},
                         "additionalProperties": False}
    req = sorted(k for k in "abc" if rng.random() < 0.4)
    if req:
        s["required"] = req
    _extras(rng, s)
    return s


def _extras(rng: random.Random, s: dict[str, Any]) -> None:
    if rng.random() < 0.35:
        vals = rng.sample(CHOICES, rng.randint(1, 2))
        cond = {"const": vals[0]} if len(vals) == 1 else {"enum": vals}
        rule: dict[str, Any] = {"if": {"properties": {"c": cond}, "required": ["c"]},
                                "then": {"required": [rng.choice("ab")]}}
        if rng.random() < 0.3:
            rule["else"] = {"properties": {"a": {"maximum": rng.randint(1, 4)}}}
        s["allOf"] = [rule]
    if rng.random() < 0.15:
        s["dependentRequired"] = {"a": ["b"]}
    if rng.random() < 0.15:
        s["minProperties" if rng.random() < 0.5 else "maxProperties"] = rng.randint(1, 2)


def _mutate(rng: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(base)
    for _ in range(rng.randint(1, 2)):
        op = rng.randrange(6)
        if op == 0:
            new["properties"]["a"] = _int_field(rng)
        elif op == 1:
            new["properties"]["b"] = _str_field(rng)
        elif op == 2:
            new["properties"]["c"] = _choice_field(rng)
        elif op == 3:
            req = set(new.get("required", []))
            req ^= {rng.choice("abc")}
            new["required"] = sorted(req)
        elif op == 4:
            for k in ("allOf", "dependentRequired", "minProperties", "maxProperties"):
                new.pop(k, None)
            _extras(rng, new)
        else:
            # The same field written another way: wrap it in allOf / a one-branch anyOf.
            k = rng.choice("abc")
            new["properties"][k] = {rng.choice(["allOf", "anyOf"]): [new["properties"][k]]}
    return new


def _truth(old: Any, new: Any) -> tuple[str, str]:
    vo, vn = jsonschema_rs.validator_for(old), jsonschema_rs.validator_for(new)
    acc_o = [vo.is_valid(v) for v in UNIVERSE]
    acc_n = [vn.is_valid(v) for v in UNIVERSE]
    back = "breaking" if any(o and not n for o, n in zip(acc_o, acc_n, strict=True)) else "compatible"
    fwd = "breaking" if any(n and not o for o, n in zip(acc_o, acc_n, strict=True)) else "compatible"
    return back, fwd


def _pairs() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    rng = random.Random(20261204)
    out = []
    for _ in range(PAIRS):
        base = _schema(rng)
        edited = _mutate(rng, base)
        out.append((base, edited) if rng.random() < 0.5 else (edited, base))
    return out


@pytest.mark.slow
def test_completeness_over_small_finite_domains() -> None:
    """Every direction of 400 random pairs decided exactly (never unsoundly)."""
    exact = total = 0
    misses: list[str] = []
    unsound: list[str] = []
    for old, new in _pairs():
        truth = _truth(old, new)
        d = diff(old, new, Policy("strict"))
        for direction, t, a in zip(("backward", "forward"), truth, (d.backward, d.forward), strict=True):
            total += 1
            if a == t:
                exact += 1
                continue
            line = f"{direction}: engine {a}, truth {t}\n  old={json.dumps(old)}\n  new={json.dumps(new)}"
            (unsound if (t == "breaking" and a == "compatible") else misses).append(line)
    print(f"\ncompleteness: {exact}/{total} directions decided exactly ({100 * exact / total:.1f} %)")
    for m in misses:
        print("MISS", m)
    assert not unsound, "\n".join(unsound)
    assert not misses, f"{len(misses)} directions not decided exactly:\n" + "\n".join(misses[:10])
