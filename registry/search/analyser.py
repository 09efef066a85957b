"""Text → index keys, query → groups of alternative keys (SudachiPy + sudachidict-core).

Keys are normalised (NFKC, casefold) so half/full width and case meet. For every morpheme of
the coarsest (C) and the finest (A) split the index keeps:

* the normalised form (SudachiPy's ``normalized_form``: 申込 → 申し込み, 子供/子ども stay apart
  and meet through the synonym table), and the surface;
* the reading in hiragana (ケッセキ → けっせき), so a query typed in kana finds kanji text
  (not for numbers in digits: 2026 is read digit by digit, にれいにろく);
* the synonyms of the normalised form (``synonyms.SYNONYM_SETS``).

A query term written only in kana is one group, matched against readings and words as typed
(「けっせき」, 「あんけーと」); SudachiPy would split unknown kana into nonsense. Any other term
is split into A-unit morphemes, each one group whose alternatives also hold its C-unit word
(so 郵便番号 matches as a whole or as 郵便 + 番号) and the synonyms of both.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from registry.search.synonyms import synonyms_of

_LOCAL = threading.local()
_KANA_ONLY = re.compile(r"[\u3041-\u309f\u30a0-\u30ffー]+")
# Morphemes that carry no meaning for search: symbols, punctuation, particles, auxiliaries.
_SKIP_POS = {"補助記号", "記号", "空白", "助詞", "助動詞"}


def normalize(value: str) -> str:
    """NFKC (full-width ASCII → ASCII, ｶﾅ → カナ), then casefold."""
    return unicodedata.normalize("NFKC", value).casefold()


def hiragana(value: str) -> str:
    """Katakana folded to hiragana (ア→あ); everything else as it is."""
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in value)


def _tokenizer() -> Any:
    tok = getattr(_LOCAL, "tokenizer", None)
    if tok is None:
        from sudachipy import dictionary

        # sudachidict-core ships the dictionary in its wheel: nothing is downloaded at run time.
        tok = dictionary.Dictionary(dict="core").tokenizer()
        _LOCAL.tokenizer = tok
    return tok


@dataclass(frozen=True)
class Morpheme:
    surface: str
    norm: str
    reading: str


_BY_WORD: dict[int, Morpheme | None] = {}


def _morpheme(m: Any) -> Morpheme | None:
    """One Sudachi morpheme as a Morpheme (None for symbols, particles…); cached per word id."""
    wid = m.word_id()
    known = wid >= 0 and not m.is_oov()
    if known and wid in _BY_WORD:
        return _BY_WORD[wid]
    out: Morpheme | None = None
    if m.part_of_speech()[0] not in _SKIP_POS:
        surface = normalize(m.surface())
        if surface.strip():
            out = Morpheme(surface, normalize(m.normalized_form()),
                           hiragana(normalize(m.reading_form())))
    if known and len(_BY_WORD) < 500_000:
        _BY_WORD[wid] = out
    return out


@lru_cache(maxsize=65536)
def _analyse(text: str) -> tuple[tuple[Morpheme, ...], tuple[Morpheme, ...]]:
    """(C units, A units) of a text: one tokenisation in C, A units by splitting each C unit."""
    from sudachipy import tokenizer

    c_mode, a_mode = tokenizer.Tokenizer.SplitMode.C, tokenizer.Tokenizer.SplitMode.A
    coarse: list[Morpheme] = []
    fine: list[Morpheme] = []
    for m in _tokenizer().tokenize(text, c_mode):
        c = _morpheme(m)
        if c is None:
            continue
        coarse.append(c)
        parts = m.split(a_mode)
        if len(parts) <= 1:
            fine.append(c)
            continue
        fine.extend(a for p in parts if (a := _morpheme(p)) is not None)
    return tuple(coarse), tuple(fine)


def _split(text: str, mode: str) -> tuple[Morpheme, ...]:
    coarse, fine = _analyse(text)
    return coarse if mode == "C" else fine


def _chunks(text: str) -> Iterator[str]:
    # Sudachi limits input length; fields are short, descriptions are split on lines.
    for line in normalize(text).splitlines():
        line = line.strip()
        while line:
            yield line[:4000]
            line = line[4000:]


@lru_cache(maxsize=200_000)
def keys_of(text: str) -> frozenset[str]:
    """Every index key of a text (see the module's docstring); cached: field titles repeat."""
    keys: set[str] = set()
    for chunk in _chunks(text):
        for mode in ("C", "A"):
            for m in _split(chunk, mode):
                keys.add(m.surface)
                keys.update(synonyms_of(m.norm))
                # Not the reading of a number in digits (1 → いち, 2026 → にれいにろく): nobody
                # types it to find the number, and a query 「に」 found every 質問2.
                if m.reading and not m.surface.isdecimal() and _KANA_ONLY.fullmatch(m.reading):
                    keys.add(m.reading)
        folded = hiragana(chunk)
        if _KANA_ONLY.fullmatch(folded.replace(" ", "")):
            keys.add(folded.replace(" ", ""))
    return frozenset(keys)


@dataclass
class Group:
    """One unit of a query: it matches when any of its alternatives is a key of a field."""

    text: str
    alternatives: set[str] = field(default_factory=set)


@dataclass
class Query:
    """A parsed query: per whitespace-separated term, its groups; and the normalised terms."""

    terms: list[str]
    groups: list[list[Group]]

    def all_keys(self) -> set[str]:
        return {k for term in self.groups for g in term for k in g.alternatives}


def parse_query(q: str | None) -> Query:
    """Split a query on whitespace and analyse each term into groups."""
    terms = [t for t in normalize(q or "").split() if t]
    groups: list[list[Group]] = []
    for term in terms:
        folded = hiragana(term)
        if _KANA_ONLY.fullmatch(term):
            alts = {folded, term} | synonyms_of(term) | synonyms_of(folded)
            # A kana word Sudachi knows (こども, アンケート) also meets its kanji spellings.
            for m in _split(term, "C"):
                if len(_split(term, "C")) == 1:
                    alts |= synonyms_of(m.norm)
            groups.append([Group(term, alts)])
            continue
        term_groups: list[Group] = []
        for c in _split(term, "C"):
            whole = {c.surface} | synonyms_of(c.norm)
            parts = _split(c.surface, "A")
            if len(parts) <= 1:
                term_groups.append(Group(c.surface, whole))
                continue
            for a in parts:
                term_groups.append(Group(a.surface, {a.surface} | synonyms_of(a.norm) | whole))
        if not term_groups:
            # Only symbols or particles: match the term as typed.
            term_groups.append(Group(term, {term}))
        groups.append(term_groups)
    return Query(terms, groups)
