"""Strings: length bounds (code points) and ECMA-262 patterns as regular languages.

Inclusion of patterns is decided by ``registry.diff.patterns`` (automata from the regress-based
parser, a product construction with a state bound; lookaround and back-references: unknown).
Everything else here is exact: length intervals, equal pattern sets, finite candidates.
``format`` constrains only under ``--format-assertion``; two different formats are unknown.
"""

from __future__ import annotations

import functools
from typing import Any

from registry.diff.atoms import Opaque, Str
from registry.diff.normalize import canon as value_key
from registry.syntax import regexes

MAX_STATES = 2000
FORMAT_SAMPLES = {
    "date": "2024-04-01", "date-time": "2024-04-01T09:00:00+09:00", "time": "09:00:00+09:00",
    "email": "taro@example.jp", "idn-email": "taro@example.jp", "uri": "https://example.jp/",
    "uri-reference": "https://example.jp/", "iri": "https://example.jp/",
    "uuid": "123e4567-e89b-12d3-a456-426614174000", "ipv4": "192.0.2.1", "ipv6": "2001:db8::1",
    "hostname": "example.jp", "duration": "P1D",
}


def build(e: dict[str, Any], formats: bool, hints: tuple[Any, ...]) -> Str:
    """The string atom of a schema's string keywords."""
    lo = e.get("minLength", 0)
    hi = e.get("maxLength")
    pat = e.get("pattern")
    fmt = e.get("format") if formats else None
    return Str(lo if isinstance(lo, int) and not isinstance(lo, bool) else 0,
               hi if isinstance(hi, int) and not isinstance(hi, bool) else None,
               (pat,) if isinstance(pat, str) else (), (),
               (fmt,) if isinstance(fmt, str) else (), {},
               tuple(h for h in hints if isinstance(h, str)))


def meet(a: Str, b: Str) -> Str | None:
    """a ∧ b."""
    hi = b.hi if a.hi is None else a.hi if b.hi is None else min(a.hi, b.hi)
    out = Str(max(a.lo, b.lo), hi, tuple(dict.fromkeys(a.patterns + b.patterns)),
              tuple(dict.fromkeys(a.neg + b.neg)), tuple(dict.fromkeys(a.formats + b.formats)),
              {**a.excluded, **b.excluded}, a.hints + b.hints)
    if out.hi is not None and out.lo > out.hi:
        return None
    if set(out.patterns) & set(out.neg):
        return None
    return out


def complement(a: Str) -> list[Any]:
    """Strings outside a (a format's complement is not represented: Opaque)."""
    out: list[Any] = []
    if a.lo > 0:
        out.append(Str(hi=a.lo - 1))
    if a.hi is not None:
        out.append(Str(lo=a.hi + 1))
    out += [Str(neg=(p,)) for p in a.patterns]
    out += [Str(patterns=(p,)) for p in a.neg]
    if a.formats:
        out.append(Opaque("string", "strings outside a format"))
    return out


def _search(pattern: str, s: str) -> bool | None:
    try:
        return regexes.search(pattern, s)
    except Exception:
        return None


def member(a: Str, v: Any) -> bool | None:
    """Is v in a? (None: a format cannot be checked here)."""
    if not isinstance(v, str):
        return False
    n = len(v)
    if n < a.lo or (a.hi is not None and n > a.hi):
        return False
    if value_key(v) in a.excluded:
        return False
    for p in a.patterns:
        m = _search(p, v)
        if m is not True:
            return m
    for p in a.neg:
        m = _search(p, v)
        if m is not False:
            return None if m is None else False
    unsure = False
    for f in a.formats:
        ok = _format_ok(f, v)
        if ok is False:
            return False
        unsure = unsure or ok is None
    return None if unsure else True


def _char(cs: regexes.CharSet) -> str | None:
    for lo, hi in cs.intervals:
        if hi < 0x21:
            continue
        cp = max(lo, 0x21)
        if 0x2028 <= cp <= 0x2029 or 0xD800 <= cp <= 0xDFFF:
            continue
        return chr(cp)
    for lo, _hi in cs.intervals:
        if lo >= 0:
            return chr(lo)
    return None


def regex_sample(node: regexes.Node, longer: int, depth: int = 0) -> str | None:
    """A string the pattern tree matches: first alternatives, repetitions ``longer`` times
    beyond their minimum (within their maximum)."""
    if depth > 100:
        return None
    if node.kind == "chars":
        return _char(node.chars) if node.chars is not None else None
    if node.kind == "seq":
        parts = [regex_sample(c, longer, depth + 1) for c in node.children]
        return None if any(p is None for p in parts) else "".join(p for p in parts if p is not None)
    if node.kind == "alt":
        return regex_sample(node.children[0], longer, depth + 1) if node.children else ""
    if node.kind == "repeat":
        if node.min > 200:
            return None
        count = node.min + longer if node.max is None else min(node.max, node.min + longer)
        one = regex_sample(node.children[0], longer, depth + 1) if node.children else ""
        return None if one is None else one * count
    return ""


@functools.lru_cache(maxsize=1024)
def pattern_tree(pattern: str) -> regexes.Node | None:
    try:
        return regexes.parse(pattern)
    except Exception:
        return None


def pattern_samples(pattern: str, lo: int = 0, hi: int | None = None) -> list[str]:
    """Strings matching a pattern, the first ones fitting the length bounds."""
    tree = pattern_tree(pattern)
    if tree is None:
        return []
    out: list[str] = []
    for longer in range(10):
        s = regex_sample(tree, longer)
        if s is None:
            break
        if lo <= len(s) and (hi is None or len(s) <= hi):
            out.insert(0, s) if not out else out.append(s)
            if len(out) >= 2:
                break
        elif not out and longer == 0:
            out.append(s)
    return out


def string_set(a: Str) -> Any:
    """The atom's lengths and patterns as a ``patterns.StringSet`` (the automata's view)."""
    from registry.diff.patterns import StringSet

    gone = tuple(literal(v) for v in a.excluded.values() if isinstance(v, str))
    return StringSet(a.lo, a.hi, a.patterns, a.neg + gone, max_states=MAX_STATES)


def literal(text: str) -> str:
    """A pattern matching exactly ``text`` (ECMA-262 syntax characters escaped)."""
    return "^" + "".join("\\" + ch if ch in "\\^$.|?*+()[]{}/" else ch for ch in text) + "$"


def candidates(a: Str) -> list[str]:
    """Strings likely in a: hints, the patterns' samples fitted to the length bounds, fillers."""
    out = [h for h in a.hints if isinstance(h, str)]
    for f in a.formats:
        if f in FORMAT_SAMPLES:
            out.append(FORMAT_SAMPLES[f])
    lo, hi = a.lo, a.hi
    if a.patterns or a.neg:
        prefer = next((h for h in a.hints if isinstance(h, str)), None)
        w = string_set(a).witness(prefer=prefer)
        if w is not None:
            out.append(w)
        for p in a.patterns:
            out += pattern_samples(p, lo, hi)
    else:
        for n in (lo, max(lo, 1), max(lo, 3), hi if hi is not None else lo + 5):
            if hi is None or n <= hi:
                out.append(("あいうえおかきくけこ" * (n // 10 + 1))[:n])
                out.append("a" * n)
    return out


def sample(a: Str) -> str | None:
    """A string in a (None when none is found)."""
    for s in candidates(a):
        if member(a, s) is True:
            return s
    return None


def included(a: Str, b: Str) -> tuple[bool | None, Any]:
    """Is a ⊆ b? (True, None) / (False, counterexample) / (None, None)."""
    unknown = False
    if not (set(b.patterns) <= set(a.patterns) and set(b.neg) <= set(a.neg)
            and a.lo >= b.lo and (b.hi is None or (a.hi is not None and a.hi <= b.hi))):
        sa, sb = string_set(a), string_set(b)
        r = sa.included_in(sb)
        if r is False:
            w = sa.witness_not_in(sb)
            if w is not None and member(a, w) is True and member(b, w) is False:
                return False, w
            # The shortest outsider may be one of a's excluded values: look among samples.
            for s in candidates(a):
                if member(a, s) is True and member(b, s) is False:
                    return False, s
            unknown = True
        elif r is None:
            unknown = True
    for f in b.formats:
        if f not in a.formats:
            got = sample(a)
            if got is not None and _format_ok(f, got) is False:
                return False, got
            unknown = True
    if b.excluded:
        for v in b.excluded.values():
            m = member(a, v)
            if m is True:
                return False, v
            unknown = unknown or m is None
    return (None, None) if unknown else (True, None)


@functools.lru_cache(maxsize=64)
def _format_validator(fmt: str) -> Any:
    from registry.syntax import validators

    try:
        return validators.compile_schema({"format": fmt}, validate_formats=True)
    except Exception:
        return None


def _format_ok(fmt: str, s: str) -> bool | None:
    """Does jsonschema-rs (the project's validator) accept ``s`` as ``fmt``? None: unknown format."""
    v = _format_validator(fmt)
    if v is None:
        return None
    try:
        return bool(v.is_valid(s))
    except Exception:
        return None


def empty(a: Str) -> bool:
    """Provably no string (length bounds only; patterns: asks the automata)."""
    if a.hi is not None and a.lo > a.hi:
        return True
    if a.patterns or a.neg:
        return string_set(a).is_empty() is True
    return False
