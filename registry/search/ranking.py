"""Scoring the postings of a query and wording why a result matched.

Order of results: score (below), then most recently updated, then most forked, then lg, slug.
Score, highest first:

1. the title equals the query (normalised) — exact over partial: +100,000;
2. every group of every query term matched the title (or the English title): +10,000;
3. per query group, its best posting: the weight of the field — title 4, tags 3, field titles
   2, description and municipality name 1 — doubled when the key is the word as typed rather
   than a synonym, a reading or the whole compound.

A template is a result when, for every query term, the groups it matched cover more than
half of the term's characters (「欠席届」 finds 欠席・遅刻・早退連絡 through 欠席; 「稲城市」 does not
find every city through 市), and a number or latin code in the query matches. Templates that
only contain every term of three or more characters as text (the earlier substring rule, kept
so nothing found before is lost) follow all of these, newest first.

Every part of the score is monotone in each group's best posting: that is what lets
``registry.search.topk`` stop reading long posting lists early.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from registry.search.analyser import Query

TITLE, TITLE_EN, TAG, FIELD, DESCRIPTION, MUNICIPALITY = "title", "title_en", "tag", "field", "description", "municipality"
WEIGHTS = {TITLE: 4, TITLE_EN: 4, TAG: 3, FIELD: 2, DESCRIPTION: 1, MUNICIPALITY: 1}
KIND_OF_WEIGHT = {4: TITLE, 3: TAG, 2: FIELD, 1: DESCRIPTION}
# The stored posting's weight code tells the field: 40 title, 41 title_en, 30 tag, 20 field,
# 10 description, 11 municipality name.
CODES = {TITLE: 40, TITLE_EN: 41, TAG: 30, FIELD: 20, DESCRIPTION: 10, MUNICIPALITY: 11}
FIELD_OF_CODE = {v: k for k, v in CODES.items()}


@dataclass(frozen=True)
class Posting:
    code: int          # see CODES
    pos: int           # index of the tag or field title it came from (0 otherwise)


@dataclass
class Scored:
    score: int
    reason: tuple[str, int] | None   # (field, pos) of the best match


class Scorer:
    """``evaluate`` for one query, its groups prepared once (a search scores many templates)."""

    def __init__(self, query: Query) -> None:
        self.terms = [
            (sum(len(g.text) for g in term_groups),
             [(g.text, len(g.text), g.text.isascii() and g.text.isalnum(), sorted(g.alternatives))
              for g in term_groups])
            for term_groups in query.groups]

    def required(self) -> list[list[str]]:
        """The alternatives of each group every result must match (see ``evaluate``)."""
        out = []
        for total, groups in self.terms:
            for _text, size, code, alts in groups:
                if code or (total - size) * 2 <= total:
                    out.append(alts)
        return out

    def __call__(self, postings: dict[str, Posting], title_equal: bool = False) -> Scored | None:
        total = 0
        best: Posting | None = None
        all_title = True
        for term_total, groups in self.terms:
            covered = 0
            for text, size, code, alts in groups:
                top_score, top = 0, None
                title = False
                for k in alts:
                    p = postings.get(k)
                    if p is None:
                        continue
                    weight = p.code // 10
                    title = title or weight == 4
                    s = weight * 2 if k == text else weight
                    if s > top_score or (s == top_score and top is not None and p.code > top.code):
                        top_score, top = s, p
                if top is None:
                    if code:
                        return None  # a number or a code in the query (様式12号) must be there
                    all_title = False
                    continue
                covered += size
                total += top_score
                all_title = all_title and title
                if best is None or top.code // 10 > best.code // 10:
                    best = top
            if covered * 2 <= term_total:
                return None
        if best is None:
            return None
        value = total + (10_000 if all_title else 0) + (100_000 if title_equal else 0)
        return Scored(value, (FIELD_OF_CODE[best.code], best.pos))


def evaluate(query: Query, postings: dict[str, Posting], *,
             title_equal: bool = False) -> Scored | None:
    """The score of one template from its postings for the query's keys; None if not a result."""
    return Scorer(query)(postings, title_equal)


def text_only(postings: dict[str, Posting]) -> Scored:
    """A template found only because it contains every term as text (after all others)."""
    best = max(postings.values(), key=lambda p: p.code // 10, default=None)
    return Scored(0, (FIELD_OF_CODE[best.code], best.pos) if best else None)


def reason_text(reason: tuple[str, int] | None, row: Any) -> tuple[str | None, str | None]:
    """(Japanese, English) wording of why a result matched, from the template's row."""
    if reason is None:
        return "説明・タグなどに一致", "matches the description, tags or other text"
    kind, pos = reason
    if kind == TITLE:
        return "タイトルに一致", "matches the title"
    if kind == TITLE_EN:
        return "英語タイトルに一致", "matches the English title"
    if kind == TAG:
        tags = json.loads(row["tags"])
        tag = tags[pos] if pos < len(tags) else ""
        return f"タグ『{tag}』に一致", f"matches the tag “{tag}”"
    if kind == FIELD:
        fields = json.loads(row["field_titles"] or "[]")
        name = fields[pos] if pos < len(fields) else ""
        return f"項目『{name}』に一致", f"matches the field “{name}”"
    if kind == MUNICIPALITY:
        return "自治体名に一致", "matches the municipality's name"
    return "説明に一致", "matches the description"
