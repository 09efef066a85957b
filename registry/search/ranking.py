"""Scoring the postings of a query and wording why a result matched.

Order of results: score (below), then most recently updated, then most forked, then lg, slug.
Score, highest first:

1. the title equals the query (normalised) — exact over partial;
2. the title contains every query term as typed;
3. per query group, the weight of the best field it matched — title 4, tags 3, field titles
   2, description and municipality name 1 — doubled when the group matched the word as
   typed rather than through a synonym, a reading or the whole compound.

A template is a result when, for every query term, the groups it matched cover more than
half of the term's characters (「欠席届」 finds 欠席・遅刻・早退連絡 through 欠席; 「稲城市」 does not
find every city through 市); a number or latin code in the query must match, or when it contains every term as a
substring (the earlier rule, kept so nothing found before is lost).
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


def score(query: Query, title_norm: str, substring_hit: bool,
          postings: dict[str, Posting]) -> Scored | None:
    """The score of one template, or None when it is not a result."""
    joined = " ".join(query.terms)
    total = 0
    best: tuple[int, Posting] | None = None
    ok = True
    for term_groups in query.groups:
        matched = 0
        covered = 0
        for g in term_groups:
            hits = [postings[k] for k in g.alternatives if k in postings]
            if not hits:
                if g.text.isascii() and g.text.isalnum():
                    ok = False  # a number or a code in the query (様式12号) must be there
                continue
            matched += 1
            covered += len(g.text)
            top = max(hits, key=lambda p: p.code // 10)
            weight = top.code // 10
            exact = g.text in postings and postings[g.text].code // 10 == weight
            total += weight * (2 if exact else 1)
            if best is None or weight > best[0]:
                best = (weight, top)
        if covered * 2 <= sum(len(g.text) for g in term_groups):
            ok = False
    if not ok and not substring_hit:
        return None
    value = total
    if all(t in title_norm for t in query.terms):
        value += 10_000
    if title_norm == joined:
        value += 100_000
    reason = (FIELD_OF_CODE[best[1].code], best[1].pos) if best else None
    if substring_hit and all(t in title_norm for t in query.terms):
        reason = (TITLE, 0)
    return Scored(value, reason)


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
