"""Pattern inclusion on automata (registry.diff.patterns), checked against jsonschema-rs.

jsonschema-rs is the oracle: every counterexample is run through ``{"pattern": …}`` validators
of both patterns, the automata's acceptance is compared with jsonschema-rs on strings that
probe the classes (non-ASCII digits, line terminators, astral characters), and a property
compares inclusion with exhaustive enumeration of short strings for random small patterns.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from registry.diff import patterns
from registry.diff.patterns import StringSet
from registry.syntax import regexes, unicode_tables, validators

CASES = json.loads(
    (Path(__file__).parents[1] / "data" / "patterns" / "inclusion.json").read_text(
        encoding="utf-8"))["cases"]


@functools.lru_cache(maxsize=4096)
def _validator(pattern: str) -> Any:
    """The project's validator (registry/syntax/validators.py), the one every check runs."""
    return validators.compile_schema({"pattern": pattern})


def rs_accepts(pattern: str, text: str) -> bool:
    """What jsonschema-rs says of ``text`` under ``{"pattern": pattern}``."""
    return bool(_validator(pattern).is_valid(text))


@functools.lru_cache(maxsize=4096)
def _fancy_validator(pattern: str) -> Any:
    """jsonschema-rs with its default engine, fancy-regex (rewrites ``X+ M? X+``)."""
    return jsonschema_rs.validator_for({"pattern": pattern})


@pytest.mark.parametrize("case", CASES, ids=[f"{c['family']}:{c['a']}⊆{c['b']}" for c in CASES])
def test_inclusion_corpus(case: dict[str, Any]) -> None:
    a, b, expected = case["a"], case["b"], case["included"]
    assert patterns.pattern_included(a, b) is expected
    witness = patterns.counterexample(a, b)
    if expected is False:
        assert witness is not None
        assert rs_accepts(a, witness), (witness, "a must accept it")
        assert not rs_accepts(b, witness), (witness, "b must reject it")
        assert patterns.pattern_equivalent(a, b) is False
    else:
        assert witness is None
    if expected is True:
        member = patterns.sample(a)
        if member is not None:  # a may accept nothing (a^b)
            assert rs_accepts(a, member)
            assert rs_accepts(b, member)


def test_the_table_of_issue_12() -> None:
    old, new = r"^[0-9]{2}:[0-5][0-9]$", r"^[0-9]{1,2}:[0-5][0-9]$"
    assert patterns.pattern_included(old, new) is True
    assert patterns.pattern_included(new, old) is False
    assert patterns.counterexample(new, old) == "1:23"
    assert patterns.pattern_equivalent("[0-9]", r"\d") is True
    assert patterns.pattern_equivalent(r"^[0-9]{3}-[0-9]{4}$", r"^\d{3}-\d{4}$") is True


def test_counterexample_is_shortest() -> None:
    assert patterns.counterexample(r"^a{1,5}$", r"^a{2,4}$") == "a"
    assert patterns.counterexample(r"^a{2,}$", r"^a{2,50}$") == "a" * 51
    assert patterns.counterexample("", "x") == ""
    assert patterns.counterexample(r"^\d+$", r"^[０-９]+$") == "1"


# --- the alphabet as jsonschema-rs reads it -------------------------------------------------

PROBES = ["３", "٣", "3", "a", "é", "ſ", "K", "_", "\n", "\r", "\u2028", "\u2029", "\x85",
          "\u3000", "\xa0", "\ufeff", "\u180e", "\t", "\x0b", " ", "😀", "あ", "ア", "ー", "-",
          "", "a\n", "\na", "😀😀", "a3", "３５６-９７９２", "356-9792"]
SEMANTIC_PATTERNS = [r"\d", r"\D", r"\w", r"\W", r"\s", r"\S", r".", r"^.$", r"^..$", r"^$",
                     r"^[^a]$", r"[^\d\s]", r"^\d{3}-\d{4}$", r"^[ァ-ヶー　]+$", r"a$", r"^a",
                     r"^[\s\S]$", r"[\u{1F600}]", r"^\u{1F600}{2}$", r"\u3000",
                     r"^[\w-]+$", r"^(?:\r\n|\n)$", r"^\S*$"]


@pytest.mark.parametrize("pattern", SEMANTIC_PATTERNS)
def test_automaton_agrees_with_jsonschema_rs(pattern: str) -> None:
    automaton = patterns.compile_pattern(pattern)
    assert automaton is not None
    for text in PROBES:
        assert automaton.matches(text) == rs_accepts(pattern, text), (pattern, text)


def test_the_validator_does_not_run_fancy_regex_rewrites() -> None:
    """jsonschema-rs 0.60's default engine (fancy-regex) rewrites ``X+ M? X+`` to ``X+ (M X+)?``.

    ECMA-262 (regress) rejects "1" for ``^\\d+-?\\d+$``; fancy-regex accepts it. The project's
    validator runs such patterns on the regex crate (registry/syntax/validators.py), which
    rejects it like ECMA-262, and the automaton follows it. When the fancy half fails,
    jsonschema-rs changed: the fallback's caveat in validators.py may go.
    """
    for pattern, text in [(r"^\d+-?\d+$", "1"), (r"^[0-9]+\.?[0-9]+$", "1"), (r"^a+b*a+$", "a"),
                          (r"^a+b{0,2}a+$", "a"), (r"^(a)+b?(a)+$", "a"),
                          (r"^x(?:a+b?a+)y$", "xay"), (r"^a+b*?a+$", "a"),
                          (r"^[ァ-ヶ]+　?[ァ-ヶ]+$", "ア"), (r"^a+b?a+b?a+$", "aa"),
                          (r"^[0-9]+-?\d+$", "1"), (r"^(a)+b?(?<n>a)+$", "a")]:
        assert _fancy_validator(pattern).is_valid(text), pattern
        assert not rs_accepts(pattern, text), pattern
        assert regexes.search(pattern, text) is False, pattern
        automaton = patterns.compile_pattern(pattern)
        assert automaton is not None, pattern
        assert not automaton.matches(text), pattern
    # once rewritten or possibly rewritten, now decided as ECMA-262 says
    assert patterns.compile_pattern(r"^(a)+b?(?:a)+$") is not None
    assert patterns.pattern_equivalent(r"^\d+-?\d+$", r"^\d+(?:-\d+)?$") is False
    assert patterns.counterexample(r"^\d+(?:-\d+)?$", r"^\d+-?\d+$") == "1"
    assert patterns.pattern_equivalent(r"^\d+-?\d+$", r"^\d+-?\d$|^\d+-?\d+\d$") is True
    # a schema with a look-around falls back to fancy-regex for all its patterns (documented)
    mixed = validators.compile_schema({"properties": {"a": {"pattern": "^(?=x)"},
                                                      "b": {"pattern": r"^\d+-?\d+$"}}})
    assert mixed.is_valid({"b": "1"})
    assert patterns.compile_pattern("^(?=x)") is None


def test_jsonschema_rs_facts_the_module_relies_on() -> None:
    assert not rs_accepts(r"^\d{3}-\d{4}$", "３５６-９７９２")
    assert not rs_accepts(r"^\d{3}-\d{4}$", "356-9792\n")
    assert rs_accepts(r"^.$", "\r")
    assert not rs_accepts(r"^.$", "\n")
    assert rs_accepts(r"^.$", "😀")
    assert not rs_accepts(r"^..$", "😀")
    assert jsonschema_rs.is_valid({"maxLength": 1}, "😀")  # lengths count code points
    assert not jsonschema_rs.is_valid({"minLength": 2}, "😀")


# --- samples -----------------------------------------------------------------------------


def test_sample_reads_like_a_submission() -> None:
    assert patterns.sample(r"^\d{3}-\d{4}$") == "123-4567"
    assert patterns.sample(r"^[0-9]{2}:[0-5][0-9]$") == "12:34"
    assert patterns.sample(r"^[ァ-ヶー　]+$", min_length=3) == "ヤマダ"
    assert patterns.sample(r"^.{4}$", prefer="山田太郎") == "山田太郎"
    assert patterns.sample(r"^.+$", prefer="山田", min_length=5) == "山田山田山"
    assert patterns.sample(r"^\d{3}$", max_length=2) is None
    assert patterns.sample(r"a^b") is None
    assert patterns.sample(r"(?=a)a") is None


@pytest.mark.parametrize("pattern", [r"^0\d{1,4}-\d{1,4}-\d{4}$", r"^[ぁ-ん]+$", r"^\S+@\S+$",
                                     r"^[\u4E00-\u9FFF]{2,}$", r"^\p{sc=Han}+$", r"^[^\x00-\x7f]$",
                                     r"^\s$", r"^[^\s\S]?$"])
def test_sample_is_accepted_by_jsonschema_rs(pattern: str) -> None:
    for low, high in [(0, None), (3, 10), (12, None)]:
        text = patterns.sample(pattern, min_length=low, max_length=high)
        if text is None:
            continue
        assert rs_accepts(pattern, text), (pattern, text)
        assert low <= len(text) <= (high or len(text))


# --- unsupported constructs and bounds ------------------------------------------------------


@pytest.mark.parametrize("pattern", [r"(?=a)", r"(?!a)b", r"(?<=a)b", r"(?<!a)b", r"(a)\1",
                                     r"(?<n>a)\k<n>", r"(?i:a)",
                                     r"\p{NoSuchProperty}", "(", r"\x{41}", "[]", "[^]", r"\0",
                                     r"[\b]"])
def test_unsupported_patterns_compile_to_none(pattern: str) -> None:
    assert patterns.compile_pattern(pattern) is None
    assert patterns.pattern_included(pattern, ".*") is None
    assert patterns.pattern_included(".*", pattern) is None
    assert patterns.counterexample(pattern, "a") is None
    assert patterns.pattern_included(pattern, pattern) is True
    assert patterns.pattern_equivalent(pattern, pattern) is True


def test_state_bound() -> None:
    assert patterns.compile_pattern(r"(a|b)*a(a|b){8}") is not None
    assert patterns.compile_pattern(r"(a|b)*a(a|b){8}", max_states=100) is None
    assert patterns.pattern_included(r"^(a|b)*a(a|b){8}$", r"^[ab]{9,}$", max_states=100) is None
    assert patterns.pattern_included(r"^(a|b)*a(a|b){8}$", r"^[ab]{9,}$") is True
    assert patterns.pattern_included(r"^\d{1,2000}$", r"^\d+$") is True
    assert patterns.compile_pattern(r"^\d{1,100000}$") is None


# --- the string combinator ---------------------------------------------------------------


def test_string_set_lengths_count_code_points() -> None:
    astral = StringSet(0, 1, (r"^\u{1F600}+$",))
    assert astral.witness() == "😀"
    assert jsonschema_rs.is_valid({"maxLength": 1, "pattern": r"^\u{1F600}+$"}, "😀")
    assert StringSet(2, None, (r"^\u{1F600}+$",)).witness() == "😀😀"


def test_string_set_inclusion() -> None:
    postal = StringSet(patterns=(r"^\d{3}-\d{4}$",))
    assert postal.included_in(StringSet(8, 8)) is True
    assert postal.included_in(StringSet(0, 7)) is False
    assert postal.witness_not_in(StringSet(0, 7)) == "123-4567"
    assert StringSet(0, 200).included_in(StringSet(0, 100)) is False
    assert StringSet(0, 200).witness_not_in(StringSet(0, 100)) == "1234567890" * 10 + "1"
    assert StringSet(1, 3, (r"^\d+$",)).included_in(StringSet(0, 3, (r"^[0-9]*$",))) is True
    # conjunctions: two patterns together imply a third
    both = StringSet(patterns=(r"^\d", r"\d$"), max_length=1)
    assert both.included_in(StringSet(patterns=(r"^\d$",))) is True
    # negated patterns
    assert StringSet(patterns=(r"^[ab]$",), not_patterns=("a",)).included_in(
        StringSet(patterns=("^b$",))) is True
    assert StringSet(patterns=(r"^[ab]$",)).witness_not_in(
        StringSet(not_patterns=("a",))) == "a"
    # enums
    choices = StringSet(enum=frozenset({"早退", "遅刻"}))
    assert choices.included_in(StringSet(patterns=(r"^\p{sc=Han}+$",), max_length=2)) is True
    assert choices.included_in(StringSet(enum=frozenset({"早退"}))) is False
    assert choices.witness_not_in(StringSet(enum=frozenset({"早退"}))) == "遅刻"
    assert StringSet(patterns=(r"^(早退|遅刻)$",)).included_in(choices) is True
    assert StringSet(patterns=(r"^(早退|遅刻)",)).included_in(choices) is False
    assert StringSet(enum=frozenset({"12", "x"}), patterns=(r"^\d+$",)).included_in(
        StringSet(enum=frozenset({"12"}))) is True


def test_string_set_intersection_and_preferred_witness() -> None:
    both = StringSet(2, 10, (r"^\d+$",)).intersection(
        StringSet(0, 4, (r"^[0-5]",), enum=frozenset({"12", "123", "99", "12345"})))
    assert both == StringSet(2, 4, (r"^\d+$", r"^[0-5]"), (), frozenset({"12", "123", "99", "12345"}))
    assert both.included_in(StringSet(enum=frozenset({"12", "123"}))) is True
    assert both.witness_not_in(StringSet(2, 2)) == "123"
    name = StringSet(patterns=(r"^[ァ-ヶー　]+$",))
    assert name.witness_not_in(StringSet(0, 3), prefer="ヤマダ　タロウ") == "ヤマダ　タロウ"
    assert name.witness_not_in(StringSet(0, 3), prefer="山田") == "ヤマダタ"


def test_string_set_emptiness() -> None:
    assert StringSet(3, 2).is_empty() is True
    assert StringSet(patterns=(r"^\d{3}$",), max_length=2).is_empty() is True
    assert StringSet(patterns=(r"^\d{3}$", r"^[a-z]")).is_empty() is True
    assert StringSet(patterns=(r"^\d{3}$",), not_patterns=(r"\d",)).is_empty() is True
    assert StringSet(enum=frozenset()).is_empty() is True
    assert StringSet(enum=frozenset({"a"}), not_patterns=("a",)).is_empty() is True
    assert StringSet(patterns=("(?=a)",)).is_empty() is None
    assert StringSet().is_empty() is False


def test_string_set_unknown_is_never_a_proof() -> None:
    lookahead = StringSet(patterns=(r"^(?=.*\d).{8,}$",))
    assert lookahead.included_in(StringSet()) is True  # nothing outside the universe
    assert lookahead.included_in(StringSet(0, 20)) is None
    assert StringSet().included_in(lookahead) is None
    # an unsupported pattern is left out where that proves something: no string at all,
    # or the same pattern on both sides
    lookahead_short = StringSet(0, 3, (r"(?=a)",))
    assert lookahead_short.included_in(StringSet(0, 5)) is True
    assert StringSet(0, 10, (r"(?=a)",)).included_in(StringSet(0, 5)) is None
    assert lookahead.included_in(StringSet(patterns=(r"^(?=.*\d).{8,}$",))) is True
    assert lookahead.included_in(StringSet(patterns=(r"^(?=.*\d).{8,}$", r"\d"))) is None
    assert StringSet(patterns=(r"(?=a)", r"^\d$", "^x$")).is_empty() is True
    assert StringSet(patterns=(r"(?=a)", r"^\d$")).contains("x") is False
    assert StringSet(patterns=(r"(?=a)", r"^\d$")).contains("1") is None
    assert StringSet(patterns=(r"(?=a)", r"^\d$")).witness() is None
    # a decided disjunct still yields its witness
    assert StringSet(0, 10).witness_not_in(StringSet(0, 5, ("(?=a)",))) == "123456"
    assert StringSet(0, 10).included_in(StringSet(0, 5, ("(?=a)",))) is False


# --- the property: inclusion against exhaustive enumeration -----------------------------------

ALPHABET = ["a", "b", "1", "\n", "\r"]
SHORT = ["".join(p) for n in range(5) for p in itertools.product(ALPHABET, repeat=n)]

_atoms = st.sampled_from(["a", "b", "1", "[ab]", "[^a]", ".", r"\d", r"\D", r"\s", r"\w",
                          "[a1]", r"\n", "(?:)", "[b-b]", "^", "$", r"[^\n]", r"\r", r"\b",
                          r"\B"])


def _regex() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        quantifier = st.sampled_from(["*", "+", "?", "{2}", "{0,2}", "{1,}", "*?"])
        return st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map("|".join),
            inner.map(lambda r: f"(?:{r})"),
            st.tuples(inner.map(lambda r: f"(?:{r})"), quantifier).map("".join),
        )

    body = st.recursive(_atoms, extend, max_leaves=5)
    return st.tuples(st.sampled_from(["", "^"]), body, st.sampled_from(["", "$"])).map("".join)


@st.composite
def _pair(draw: st.DrawFn) -> tuple[str, str]:
    """Two patterns; half the time the second widens the first, so inclusions hold too."""
    a = draw(_regex())
    how = draw(st.sampled_from(["random", "or", "unanchored", "or-swapped"]))
    if how == "random":
        return a, draw(_regex())
    if how == "unanchored":
        return a, a.removeprefix("^").removesuffix("$") or "(?:)"
    other = draw(_regex())
    return a, (f"(?:{a})|{other}" if how == "or" else f"{other}|(?:{a})")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=_pair())
def test_inclusion_matches_enumeration(pair: tuple[str, str]) -> None:
    a, b = pair
    assert regexes.compile_error(a) is None
    assert regexes.compile_error(b) is None
    for pattern in (a, b):  # jsonschema-rs refuses some valid ECMA-262, such as (?:)*
        try:
            _validator(pattern)
        except jsonschema_rs.ValidationError:
            assume(False)
    automaton_a, automaton_b = patterns.compile_pattern(a), patterns.compile_pattern(b)
    # every generated construct is held exactly: no unknown answers left
    assert automaton_a is not None, a
    assert automaton_b is not None, b
    for text in SHORT:
        assert automaton_a.matches(text) == rs_accepts(a, text), (a, text)
    in_a_not_b = [t for t in SHORT if rs_accepts(a, t) and not rs_accepts(b, t)]
    included = patterns.pattern_included(a, b)
    event(f"included: {included}")
    if included is True:
        assert not in_a_not_b
    else:
        assert included is False
        witness = patterns.counterexample(a, b)
        assert witness is not None
        assert rs_accepts(a, witness)
        assert not rs_accepts(b, witness)
        if in_a_not_b:  # shortest: no enumerated counterexample is shorter
            assert len(witness) <= min(len(t) for t in in_a_not_b)


# --- \p{…} tables -------------------------------------------------------------------------


def test_unicode_tables_agree_with_jsonschema_rs() -> None:
    """Every interval's ends are in, the code points around it out; plus random interior points."""
    rng = random.Random(12)
    for key in unicode_tables.TABLE_KEYS:
        chars = unicode_tables.lookup(key)
        if chars is None:  # refused by jsonschema-rs (\p{Cs})
            with pytest.raises(jsonschema_rs.ValidationError):
                _validator(f"^\\p{{{key}}}$")
            continue
        pattern = f"^\\p{{{key}}}$"
        probes: set[int] = set()
        for lo, hi in chars.intervals:
            probes.update((lo - 1, lo, hi, hi + 1))
        probes.update(rng.randrange(0x110000) for _ in range(300))
        for code in sorted(probes):
            if 0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                expected = any(lo <= code <= hi for lo, hi in chars.intervals)
                assert rs_accepts(pattern, chr(code)) == expected, (key, hex(code))


def test_word_boundary_table_agrees_with_jsonschema_rs() -> None:
    """\\b's word characters (Unicode-aware in jsonschema-rs, unlike \\w): ends and neighbours."""
    chars = unicode_tables.word_characters()
    assert chars is not None
    rng = random.Random(8)
    probes = {rng.randrange(0x110000) for _ in range(300)}
    for lo, hi in chars.intervals:
        probes.update((lo - 1, lo, hi, hi + 1))
    for code in sorted(probes):
        if 0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF and code != 10:
            expected = any(lo <= code <= hi for lo, hi in chars.intervals)
            assert rs_accepts(r"^\b.$", chr(code)) == expected, hex(code)
    automaton = patterns.compile_pattern(r"^\b.$")
    assert automaton is not None
    for text, word in [("é", True), ("３", True), ("あ", True), ("ー", True), ("・", False)]:
        assert rs_accepts(r"^\b.$", text) is word
        assert automaton.matches(text) is word


@pytest.mark.parametrize(("spelling", "key"), [
    ("L", "gc=L"), ("Letter", "gc=L"), ("gc=L", "gc=L"), ("General_Category=Letter", "gc=L"),
    ("Lu", "gc=Lu"), ("digit", "gc=Nd"), ("sc=Hira", "sc=Hiragana"),
    ("Script=Hiragana", "sc=Hiragana"), ("scx=Kana", "scx=Katakana"),
    ("Script_Extensions=Katakana", "scx=Katakana"), ("sc=Hani", "sc=Han"), ("space", "White_Space"),
])
def test_unicode_property_spellings(spelling: str, key: str) -> None:
    assert unicode_tables.canonical_key(spelling) == key
    assert patterns.pattern_equivalent(f"^\\p{{{spelling}}}$", f"^\\p{{{key}}}$") is True


def test_unicode_properties_in_patterns() -> None:
    assert patterns.pattern_included(r"^\p{sc=Hiragana}+$", r"^[ぁ-ゟ]+$") is False  # 𛀁 (U+1B001)
    witness = patterns.counterexample(r"^\p{sc=Hiragana}+$", r"^[ぁ-ゟ]+$")
    assert witness is not None
    assert rs_accepts(r"^\p{sc=Hiragana}+$", witness)
    assert not rs_accepts(r"^[ぁ-ゟ]+$", witness)
    assert patterns.pattern_included(r"^[ぁ-ゖ]+$", r"^\p{sc=Hiragana}+$") is True
    assert patterns.pattern_included(r"^\p{sc=Katakana}+$", r"^\p{scx=Katakana}+$") is True
    assert patterns.counterexample(r"^\p{scx=Katakana}+$", r"^\p{sc=Katakana}+$") is not None
    assert patterns.pattern_equivalent(r"^\P{L}$", r"^[^\p{L}]$") is True
    assert patterns.pattern_included(r"^\p{Nd}$", r"^\d$") is False
    assert patterns.pattern_included(r"^\d$", r"^\p{Nd}$") is True
    assert patterns.compile_pattern(r"\p{Emoji}") is None  # no table: undecided


_WIDE_ATOMS = st.sampled_from([
    r"\d", r"\D", r"\w", r"\W", r"\s", r"\S", ".", r"[^a]", r"[ぁ-ん]", r"[ァ-ヶー]", r"\u3000",
    r"\p{L}", r"\P{L}", r"\p{sc=Han}", r"\p{scx=Katakana}", r"\p{Nd}", r"[\u{1F600}-\u{1F64F}]",
    r"[０-９]", "a", "3", "-", r"[\s\S]", r"[^\d\s]", r"\p{Zs}", r"\p{White_Space}", r"\b",
    r"\B"])
_WIDE_TEXT = st.text(alphabet=st.sampled_from(
    ["a", "3", "３", "٣", "-", " ", "\u3000", "\n", "\r", "\u2028", "\x85", "\xa0", "あ", "ア",
     "ー", "ｱ", "漢", "😀", "🙏", "é", "ſ", "_", "\ufeff", "\u180e"]), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=st.tuples(
    st.sampled_from(["", "^"]),
    st.lists(st.tuples(_WIDE_ATOMS, st.sampled_from(["", "+", "?", "{2}", "*"])), min_size=1,
             max_size=3),
    st.sampled_from(["", "$"])).map(lambda t: t[0] + "".join(a + q for a, q in t[1]) + t[2]),
    texts=st.lists(_WIDE_TEXT, min_size=1, max_size=20))
def test_wide_alphabet_matches_jsonschema_rs(pattern: str, texts: list[str]) -> None:
    """Acceptance agrees with jsonschema-rs on non-ASCII digits, spaces, kana, astral text."""
    automaton = patterns.compile_pattern(pattern)
    assume(automaton is not None)  # see test_inclusion_matches_enumeration
    assert automaton is not None
    for text in texts:
        assert automaton.matches(text) == rs_accepts(pattern, text), (pattern, text)
    text = patterns.sample(pattern)
    if text is not None:
        assert rs_accepts(pattern, text)


_BODY = st.recursive(st.sampled_from(["a", "b", "1", "[ab]", ".", r"\d", r"\w"]),
                     lambda inner: st.tuples(inner, inner).map("".join)
                     | st.tuples(inner, inner).map("|".join), max_leaves=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=_BODY, m=_BODY, q1=st.sampled_from(["+", "*", "{1,}", "+?"]),
       q2=st.sampled_from(["?", "*", "{0,2}", "??"]), q3=st.sampled_from(["+", "*", "{1,}", "+?"]),
       ends=st.sampled_from([("^", "$"), ("", ""), ("^1", "b$")]))
def test_engine_rewrite_matches_jsonschema_rs(x: str, m: str, q1: str, q2: str, q3: str,
                                              ends: tuple[str, str]) -> None:
    """``X+ M? X+`` in every form: the automaton follows the project's validator (which does not
    run fancy-regex's rewrite) and ECMA-262 (regress)."""
    pattern = f"{ends[0]}(?:{x}){q1}(?:{m}){q2}(?:{x}){q3}{ends[1]}"
    try:
        _validator(pattern)
    except jsonschema_rs.ValidationError:
        assume(False)
    automaton = patterns.compile_pattern(pattern)
    assert automaton is not None
    fancy = _fancy_validator(pattern)
    event(f"fancy-regex differs: {any(fancy.is_valid(t) != rs_accepts(pattern, t) for t in SHORT)}")
    for text in SHORT:
        assert automaton.matches(text) == rs_accepts(pattern, text), (pattern, text)
        if not {"\r", "\u2028", "\u2029"} & set(text):  # `.` departs there (validators.py)
            assert automaton.matches(text) == regexes.search(pattern, text), (pattern, text)


_HOSTILE = [*"ab()[]{}^$|*+?.-\\,0129dDwWsSbBpPuxk<>=!:", "あ", "\ud800", "😀"]


@settings(max_examples=300, deadline=None)
@given(source=st.text(alphabet=st.sampled_from(_HOSTILE), max_size=12))
def test_any_text_compiles_or_is_unknown(source: str) -> None:
    """Hostile input never raises: an automaton (that agrees with jsonschema-rs) or None."""
    automaton = patterns.compile_pattern(source)
    event(f"compiled: {automaton is not None}")
    assert patterns.pattern_included(source, source) is True
    if automaton is not None:
        for text in ["", "a", "ab", "1", "あ"]:
            assert automaton.matches(text) == rs_accepts(source, text), (source, text)
