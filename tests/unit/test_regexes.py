"""ECMA-262 pattern compilation and the catastrophic-backtracking detector."""

from __future__ import annotations

import time

import pytest

from registry.syntax import regexes

EXPONENTIAL = [
    r"(a+)+b",                       # nested quantifiers
    r"^(a+)+$",
    r"(a*)*b",
    r"^(a|a)*$",                     # overlapping alternatives, repeated
    r"^(\w|\d)+$",
    r"(\w|\d)+@",
    r"^(\d+\d+)+$",                  # adjacent overlapping atoms under a further quantifier
    r"^(\w+\s?)+$",                  # the classic from email/name validators
    r"^([a-z0-9]+[.\-]?)*[a-z0-9]+@example\.jp$",
    r"^(.*,)*x$",
    r"^(\d{1,20})+$",                # a large bound counts as unbounded
    r"^(a?a?)*$",
    r"^(?:[ァ-ヶ]+|[ァ-ン]+)+$",      # two katakana ranges that overlap
    r"^(\p{scx=Katakana}|ー)+$",      # ー is in Katakana's Script_Extensions
    r"^(ab|a(b))*$|^(x+x+)+y",
    r"^(?:(?:[a-c]+|\d)+){1,5}$",   # the danger inside a bounded repetition
    r"(?:(?:(?:[a-c]{2,})*){1,5}|(?:.{1,3}|\w{1,3}\s[ab]){1,3}){2,}z",  # every character readable: the missing z fails it
    r"[a-c].+(?:b*)+$",               # fails on a final line break, which . cannot read
    r"^(?=(a+)+$)",                   # inside a look-ahead: matched with backtracking all the same
    r"^(?!(a|a)*$)x",
    r"^(?=(\w+\s?)+$).*",
]

POLYNOMIAL = [
    r"^\d+\d+$",
    r"\s+$",                         # searched: every start position retries the run of spaces
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    r"^a*a*b$",
]

HARMLESS = [
    r"^[0-9]{3}-[0-9]{4}$",
    r"^[ァ-ヶー　 ]+$",
    r"^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{4}$",
    r"^[\p{sc=Han}\p{sc=Hiragana}ー]+$",
    r"^(\p{sc=Katakana}|ー)+$",       # ー is not Script=Katakana: no overlap
    r"^\d{1,100}$",
    r"^(a|ab)*c$",                   # alternatives overlap but every split is unique
    r"^(ab|a)*$",
    r"(\w|\d)+",                     # unanchored: matches at once, nothing forces failure
    r"(a+)+",
    r"^\s+$",
    r"\S",
    r"^(北海道|青森県|岩手県|宮城県|秋田県|山形県|福島県|東京都|大阪府|京都府)$",
    r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$",
    r"^(?=.*[0-9])(?=.*[a-z])[0-9a-z]{8,32}$",
    r"^(?:(?:[a-c]*|(?:\s|\d*)?){1,3}|x)",  # matches the empty string at once
]


@pytest.mark.parametrize("pattern", EXPONENTIAL)
def test_exponential(pattern: str) -> None:
    assert regexes.compile_error(pattern) is None
    finding = regexes.find_backtracking(pattern)
    assert finding is not None
    assert finding.kind == "exponential"


@pytest.mark.parametrize("pattern", POLYNOMIAL)
def test_polynomial(pattern: str) -> None:
    finding = regexes.find_backtracking(pattern)
    assert finding is not None
    assert finding.kind == "polynomial"


@pytest.mark.parametrize("pattern", HARMLESS)
def test_harmless(pattern: str) -> None:
    assert regexes.compile_error(pattern) is None
    assert regexes.find_backtracking(pattern) is None


_PROBE = """
import sys, time, regress
pattern, prefix, pump, suffix = sys.argv[1:5]
compiled = regress.Regex(pattern, "u")
for repeat in range(1, 41):
    text = prefix + pump * repeat + suffix
    best = float("inf")
    for _ in range(3):  # the fastest of three: scheduling noise only ever adds time
        start = time.perf_counter()
        assert compiled.find(text) is None, "the attack must be a failing input"
        best = min(best, time.perf_counter() - start)
    if best >= 0.002:
        print(repeat)
        break
else:
    print("fast")
"""


@pytest.mark.parametrize("pattern", EXPONENTIAL)
def test_the_attack_is_slow_in_an_ecma_backtracking_engine(pattern: str) -> None:
    """regress backtracks like a browser: the detector's example input really blows up.

    A linear matcher reads 40 repetitions of the pumped part (a few hundred characters) in
    microseconds; an exponential one passes 2 ms long before. Run in a subprocess with a time
    limit, since a true positive may not come back at all. No ratio of timings is asserted.
    """
    import subprocess
    import sys

    finding = regexes.find_backtracking(pattern)
    assert finding is not None
    assert finding.attack is not None
    try:
        probe = subprocess.run([sys.executable, "-c", _PROBE, pattern, *finding.attack],
                               capture_output=True, text=True, timeout=5, check=True)
    except subprocess.TimeoutExpired:
        return  # still matching after 5 s: as slow as it gets
    assert probe.stdout.strip() != "fast", "no blow-up within 40 repetitions"


def test_a_finding_is_real_in_python_re() -> None:
    """Python's backtracking re shows the blow-up the detector predicts (and ECMA engines share)."""
    import re

    def seconds(pattern: str, text: str) -> float:
        start = time.perf_counter()
        re.search(pattern, text)
        return time.perf_counter() - start

    slow = seconds(r"^(\w+\s?)+$", "a" * 22 + "!")
    fast = seconds(r"^[\w\s]+$", "a" * 22 + "!")
    assert slow > 20 * fast


@pytest.mark.parametrize(("pattern", "flags", "ok"), [
    (r"^\d{3}-\d{4}$", "u", True),
    (r"^(ab$", "u", False),
    (r"^\-$", "u", False),          # identity escapes are errors with the u flag
    (r"^\-$", "", True),
    (r"^(?P<x>a)$", "u", False),    # Python-only named group
    (r"\Z", "u", False),
    (r"\p{Script=Katakana}", "u", True),
    (r"^[0-9-]+$", "u", True),
    (r"^[0-9-]+$", "v", False),     # what an HTML pattern attribute compiles with
    (r"^[0-9\-]+$", "v", True),
])
def test_compile_error(pattern: str, flags: str, ok: bool) -> None:
    assert (regexes.compile_error(pattern, flags) is None) is ok


def test_ecma_semantics_not_python() -> None:
    assert not regexes.search(r"^\d{3}-\d{4}$", "３５６-９７９２")
    assert not regexes.search(r"^\d{3}-\d{4}$", "270-2986\n")
    assert regexes.search(r"^\d{3}-\d{4}$", "270-2986")


@pytest.mark.parametrize(("pattern", "longest"), [
    (r"^[0-9]{3}-[0-9]{4}$", 8),
    (r"^(?:a|bcd)?x{2,5}$", 8),
    (r"^[A-Z]+$", None),
    (r"[0-9]{3}", None),              # searched: text around it is accepted
    (r"^[0-9]{3}", None),
    (r"^(?:abc|d)$|^x$", 3),
    (r"^(?=\d)\d{4}$", 4),
])
def test_max_match_length(pattern: str, longest: int | None) -> None:
    assert regexes.max_match_length(pattern) == longest


@pytest.mark.parametrize(("pattern", "anchors"), [
    (r"^a$", (True, True)), (r"^a", (True, False)), (r"a$", (False, True)),
    (r"^a|b$", (False, False)), (r"(?:^a)$", (True, True)),
])
def test_is_anchored(pattern: str, anchors: tuple[bool, bool]) -> None:
    assert regexes.is_anchored(pattern) == anchors


def test_large_patterns_are_analysed_quickly() -> None:
    prefectures = "|".join(f"県{i:02d}" for i in range(47))
    patterns = [f"^({prefectures})$", "^" + "[0-9]{1,12}-" * 30 + "$", "^(" + "a?" * 40 + ")+$"]
    start = time.perf_counter()
    for pattern in patterns:
        regexes.find_backtracking(pattern)
    assert time.perf_counter() - start < 5


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKENS = ["a", "b", "0", "ア", "ー", ".", "\\d", "\\w", "\\s", "\\S", "\\b", "[a-z]", "[^0-9]",
           "[\\-a]", "[ァ-ヶ]", "\\p{sc=Han}", "\\u3042", "\\x41", "\\n", "(", "(?:", "(?=", "(?<!",
           "(?<n>", ")", "|", "*", "+", "?", "{2}", "{1,3}", "{2,}", "*?", "^", "$", "\\1", "\\-"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(st.sampled_from(_TOKENS), max_size=14).map("".join))
def test_detector_never_crashes_on_valid_patterns(pattern: str) -> None:
    if regexes.compile_error(pattern) is not None:
        return
    finding = regexes.find_backtracking(pattern)
    if finding is not None and finding.attack is not None:
        text = finding.example(2)
        assert isinstance(text, str)
    regexes.max_match_length(pattern)
    regexes.min_match_length(pattern)
