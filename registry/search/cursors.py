"""Search page cursors: what they hold, and the one decoder the API and the index both use.

A cursor is URL-safe base64 of a JSON array, opaque to clients:

* ``[rank, updated_at, lg, slug]`` — a listing without a query (rank is 0);
* ``["k", score, suffix]`` — after a result found by its words (``registry.search.topk``;
  a suffix of the form before migration 0007 is refused: start again);
* ``["t", updated_at, fork_count, lg, slug]`` — after one found only by its text.

Every integer fits a 32-bit column and every text is short and free of NUL (PostgreSQL text
cannot hold one), so no decoded cursor can make a query fail.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from registry.errors import UsageError

_TEXT_MAX = 256
_INT_MAX = 2**31 - 1
# A recency suffix (topk.recency_suffix) starts with 12 base-62 characters; one from before
# migration 0007 (inverted ISO text) does not, and is refused like any other stale cursor.
_SUFFIX = re.compile(r"[0-9A-Za-z]{12}")


@dataclass(frozen=True)
class Listing:
    rank: int
    updated_at: str
    lg: str
    slug: str


@dataclass(frozen=True)
class ByWords:
    score: int
    suffix: str


@dataclass(frozen=True)
class ByText:
    updated_at: str
    fork_count: int
    lg: str
    slug: str


Cursor = Listing | ByWords | ByText


def encode(cursor: Cursor) -> str:
    if isinstance(cursor, Listing):
        values: list[Any] = [cursor.rank, cursor.updated_at, cursor.lg, cursor.slug]
    elif isinstance(cursor, ByWords):
        values = ["k", cursor.score, cursor.suffix]
    else:
        values = ["t", cursor.updated_at, cursor.fork_count, cursor.lg, cursor.slug]
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and abs(v) <= _INT_MAX


def _text(v: object) -> bool:
    return isinstance(v, str) and len(v) <= _TEXT_MAX and "\x00" not in v


def decode(cursor: str) -> Cursor:
    """The cursor, or UsageError (400) with what to do."""
    parts: Any = None
    if len(cursor) <= 4 * _TEXT_MAX:
        try:
            parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, TypeError, binascii.Error, RecursionError):
            parts = None
    if isinstance(parts, list):
        if (len(parts) == 3 and parts[0] == "k" and _int(parts[1]) and _text(parts[2])
                and _SUFFIX.match(parts[2])):
            return ByWords(parts[1], parts[2])
        if (len(parts) == 5 and parts[0] == "t" and _text(parts[1]) and _int(parts[2])
                and _text(parts[3]) and _text(parts[4])):
            return ByText(parts[1], parts[2], parts[3], parts[4])
        if len(parts) == 4 and _int(parts[0]) and all(_text(p) for p in parts[1:]):
            return Listing(parts[0], parts[1], parts[2], parts[3])
    raise UsageError(f"invalid page cursor {cursor[:80]!r}; start again without a cursor",
                     detail_ja=f"ページカーソル {cursor[:80]!r} が正しくありません。カーソルなしで最初から検索してください")
