"""Pattern inclusion (registry.diff.patterns) on the catalogue's form patterns, beside jsoncompat.

    .venv/bin/python bench/patterns.py [--runs 7]

For each pair (old, new) of ``pattern``s: the DFA sizes, the time to compile both patterns
from scratch (caches cleared), to decide both directions with compiled automata, and to find
a counterexample and a sample; the verdicts (backward = old ⊆ new, forward = new ⊆ old); and
jsoncompat's ``check_compat`` on ``{"type": "string", "pattern": …}`` for the same directions
(its time and verdict). Every "breaking" of ours comes with a counterexample that is checked
here with jsonschema-rs against both patterns; a jsoncompat "compatible" against such a
counterexample is marked ``WRONG``. Times are medians of ``--runs`` runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jsonschema_rs  # noqa: E402

from registry.diff import patterns  # noqa: E402

try:
    import jsoncompat
except ImportError:  # the dev extra is not installed: print our figures alone
    jsoncompat = None

PAIRS = [
    ("郵便番号 hyphen optional", r"^[0-9]{3}-[0-9]{4}$", r"^[0-9]{3}-?[0-9]{4}$"),
    ("郵便番号 [0-9] → \\d", r"^[0-9]{3}-[0-9]{4}$", r"^\d{3}-\d{4}$"),
    ("電話番号 last part 3-4 → 4", r"^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}$",
     r"^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{4}$"),
    ("時刻 hours 2 → 1-2 digits", r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
     r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"),
    ("フリガナ space added", r"^[ァ-ヶー]+$", r"^[ァ-ヶー　]+$"),
    ("フリガナ catalogue vs simple", r"^[ァ-ヶー][ァ-ヶー・　 ]*$", r"^[ァ-ヶー　]+$"),
    ("氏名 Han+kana by \\p", r"^[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー]+$",
     r"^[一-鿿ぁ-ゖァ-ヺー]+$"),
    ("法人番号 T prefix", r"^[0-9]{13}$", r"^T?[0-9]{13}$"),
    ("version semver", r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$",
     r"^[0-9]+\.[0-9]+\.[0-9]+$"),
    ("e-mail", r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$", r"^\S+@\S+$"),
    ("free text 200", r"^.{0,200}$", r"^[^\n]{0,300}$"),
    ("state bound: 2^12+1 states", r"^(a|b)*a(a|b){11}$", r"^[ab]{12,}$"),
    ("past the bound: 2^13+1", r"^(a|b)*a(a|b){12}$", r"^[ab]{13,}$"),
]


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def verdict(included: bool | None) -> str:
    return {True: "compatible", False: "breaking", None: "unknown"}[included]


def rs(pattern: str, text: str) -> bool:
    return bool(jsonschema_rs.validator_for({"pattern": pattern}).is_valid(text))


def _short(text: str) -> str:
    return repr(text) if len(text) <= 16 else f"{text[:12]!r}…({len(text)} chars)"


def row(name: str, old: str, new: str, runs: int) -> list[str]:
    def cold() -> None:
        patterns.clear_cache()
        patterns.compile_pattern(old)
        patterns.compile_pattern(new)

    compile_ms = median_ms(cold, runs)
    a, b = patterns.compile_pattern(old), patterns.compile_pattern(new)
    decide_ms = median_ms(lambda: (patterns.pattern_included(old, new),
                                   patterns.pattern_included(new, old)), runs)
    backward, forward = patterns.pattern_included(old, new), patterns.pattern_included(new, old)
    witnesses = {"backward": patterns.counterexample(old, new),
                 "forward": patterns.counterexample(new, old)}
    for direction, text in witnesses.items():
        if text is not None:
            inside, outside = (old, new) if direction == "backward" else (new, old)
            if not rs(inside, text) or rs(outside, text):
                raise SystemExit(f"{name}: {direction} counterexample {text!r} not confirmed")
    sample_ms = median_ms(lambda: patterns.sample(new), runs)
    cells = [name, f"{a.states if a else '-'}/{b.states if b else '-'}", f"{compile_ms:.2f}",
             f"{decide_ms:.2f}", f"{sample_ms:.2f}",
             f"{verdict(backward)}/{verdict(forward)}",
             ", ".join(_short(w) for w in witnesses.values() if w is not None) or "-"]
    if jsoncompat is not None:
        old_j = json.dumps({"type": "string", "pattern": old})
        new_j = json.dumps({"type": "string", "pattern": new})
        theirs: list[str] = []
        for role, ours in (("deserializer", backward), ("serializer", forward)):
            ok = jsoncompat.check_compat(old_j, new_j, role)
            text = "compatible" if ok else "breaking"
            theirs.append(text + (" WRONG" if ok and ours is False else ""))
        jc_ms = median_ms(lambda: jsoncompat.check_compat(old_j, new_j, "both"), runs)
        cells += [f"{jc_ms:.2f}", "/".join(theirs)]
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    header = ["pair", "DFA states old/new", "compile ms", "both dirs ms", "sample ms",
              "Yoshiki backward/forward", "counterexamples"]
    if jsoncompat is not None:
        header += ["jsoncompat both ms", "jsoncompat backward/forward"]
    rows = [header] + [row(name, old, new, args.runs) for name, old, new in PAIRS]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    print(f"\nmedian of {args.runs} runs; default bound {patterns.MAX_STATES} DFA states "
          f"per pattern, {patterns.MAX_STATES * 20} product states")


if __name__ == "__main__":
    main()
