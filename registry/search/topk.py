"""The first page of a ranked search without reading every posting (the threshold algorithm).

At national scale a common word is a key of most templates (「氏名」 is a field of nearly every
form): scoring all of them for every query is what made search slow. Instead every key's
postings are read in the order of their **rank key** ``rk`` — one digit for the field's weight
(``9 - weight``, so the title comes first), then the template's *recency suffix* (updated_at
descending, fork count descending, lg, slug; see ``recency_suffix``) — a few at a time, and each
template met is scored in full at once from its postings for the query's keys (Fagin's threshold
algorithm with random access). Reading stops when the next result on the page is known to rank
before every template not yet met:

* a template not yet met has, for each query group, a score no higher than the best score the
  group's lists can still give (their next entry's weight, doubled for the word as typed); the
  title bonus only if every group can still match a title; so its total is at most ``U``;
* if its total equals ``U``, it sits at or after each list's last read entry in recency, so
  its suffix is at least ``R`` (the latest of those entries, see ``_bound``).

A result with a score above ``U``, or equal to it with a suffix up to ``R``, ranks before all of
them. And when every list of a group all results must match (``Scorer.required``: a code in
the query, or a part without which a term is not half covered) is read, nothing unseen can be a
result at all: 「見つからない様式」 stops as soon as 見つから is known to be no key. The page is exactly what scoring every template would give (tests/unit/test_topk.py checks
it against that brute force); the work grows with the page depth and how rare the query's
words are together, not with the catalogue.

This module is pure: it reads through a ``Source`` (``registry/storage/search_index.py``
implements it on SQL, ``MemorySource`` on a dict for small candidate sets and for tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from registry.search.analyser import Group, Query
from registry.search.ranking import Posting, Scored, Scorer

# A recency suffix's first two parts are fixed-width base-62 numbers, digits then letters
# (ASCII order, so bytewise order is numeric order on both backends).
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TIME_WIDTH = 7   # seconds since 0001-01-01: every year datetime can hold (62^7 ≈ 111,000 years)
_FORKS_WIDTH = 5  # fork counts up to 62^5 - 1 (916 million); more count as that many
_TIME_MAX = 62 ** _TIME_WIDTH - 1
_FORKS = 62 ** _FORKS_WIDTH - 1
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, d = divmod(n, 62)
        out.append(_B62[d])
    return "".join(reversed(out))


def recency_suffix(updated_at: str, fork_count: int, lg: str, slug: str) -> str:
    """A text that sorts (bytewise) as updated_at descending, fork count descending, lg, slug.

    ``updated_at`` is ISO 8601 (``2026-11-24T19:47:59Z``, as the index writes it): the
    seconds since year 1 and the fork count, each subtracted from its maximum, as 7 and 5
    base-62 characters — 12 bytes where the inverted ISO text and nine digits took 29, in
    each of the millions of search keys a national catalogue has (issue 18: a reindex writes
    them twice, into the table and its rank index).
    """
    moment = datetime.fromisoformat(updated_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    when = _TIME_MAX - max(0, min(seconds, _TIME_MAX))
    forks = _FORKS - max(0, min(fork_count, _FORKS))
    return f"{_base62(when, _TIME_WIDTH)}{_base62(forks, _FORKS_WIDTH)}{lg}/{slug}"


def rank_key(code: int, suffix: str) -> str:
    """The order of a posting in its key's list: weight descending, then recency."""
    return f"{9 - code // 10}{suffix}"


@dataclass(frozen=True)
class ListEntry:
    template_id: int
    code: int
    rk: str


@dataclass(frozen=True)
class Hit:
    template_id: int
    scored: Scored
    suffix: str

    @property
    def order(self) -> tuple[int, str]:
        return (-self.scored.score, self.suffix)


class Source(Protocol):
    """Where the algorithm reads postings (filters already applied)."""

    def lists(self, after: Mapping[str, str | None], count: int) -> dict[str, list[ListEntry]]:
        """For each key of ``after``: its next ``count`` postings with rk > after[key] (None: from
        the first), in rk order."""
        ...

    def postings(self, ids: Sequence[int]) -> dict[int, tuple[str, dict[str, Posting]]]:
        """For each id: its recency suffix and its postings for the query's keys (ids the source
        does not hold — filtered out — are left out)."""
        ...

    def conjunction(self, keys: Sequence[str], after: str | None, count: int) -> list[tuple[int, str]]:
        """The next ``count`` templates (id, suffix) after suffix ``after``, in suffix order,
        whose title holds every one of ``keys``."""
        ...


@dataclass
class _Front:
    weight: int = 4          # the weight of the last entry read (4 before any: the most)
    suffix: str = ""         # the recency suffix of the last entry read
    rk: str | None = None
    done: bool = False


def _group_bound(g: Group, fronts: Mapping[str, _Front]) -> tuple[int, str | None, bool]:
    """(best score the group can still give, the earliest suffix it can give it at, title still possible)."""
    best, at, title = 0, None, False
    for key in g.alternatives:
        f = fronts[key]
        if f.done:
            continue
        s = f.weight * (2 if key == g.text else 1)
        title = title or f.weight == 4
        if s > best or (s == best and at is not None and f.suffix < at):
            best, at = s, f.suffix
    return best, at, title


def _critical(groups: Sequence[Group], fronts: Mapping[str, _Front]) -> list[str]:
    """The open lists whose next entries set their group's bound."""
    out: set[str] = set()
    for g in groups:
        best, _at, _title = _group_bound(g, fronts)
        out.update(k for k in g.alternatives if not fronts[k].done
                   and fronts[k].weight * (2 if k == g.text else 1) == best)
    return sorted(out)


def _bound(groups: Sequence[Group], fronts: Mapping[str, _Front]) -> tuple[int, str]:
    """(U, R): no template not yet met scores above U, or equal to U with a suffix before R."""
    total, latest, all_title = 0, "", True
    for g in groups:
        best, at, title = _group_bound(g, fronts)
        total += best
        all_title = all_title and title
        if best and at is not None and at > latest:
            latest = at
    return total + (10_000 if all_title and groups else 0), latest


def _ranks_before_unseen(hit: Hit, bound: tuple[int, str]) -> bool:
    u, r = bound
    if u == 0:
        return True  # every list is read: nothing is left unseen
    return hit.scored.score > u or (hit.scored.score == u and hit.suffix <= r)


def top(query: Query, source: Source, limit: int, *, after: tuple[int, str] | None = None,
        title_equal: Iterable[int] = (), first_batch: int = 24,
        max_batch: int = 8192) -> tuple[list[Hit], bool]:
    """The ``limit`` best results after ``after`` (score, suffix), and whether more follow.

    ``title_equal``: the templates whose whole title equals the query (found by the caller on
    an index of titles; their bonus is not bounded by the lists).
    """
    groups = [g for term in query.groups for g in term]
    keys = sorted(query.all_keys())
    scorer = Scorer(query)
    required = scorer.required()
    fronts = {k: _Front() for k in keys}
    seen: set[int] = set()
    title_ids = set(title_equal)
    hits: list[Hit] = []
    after_order = (-after[0], after[1]) if after else None

    def visit(ids: Iterable[int]) -> None:
        fresh = sorted({i for i in ids if i not in seen})
        if not fresh:
            return
        seen.update(fresh)
        for tid, (suffix, postings) in source.postings(fresh).items():
            scored = scorer(postings, tid in title_ids)
            if scored is None:
                continue
            hit = Hit(tid, scored, suffix)
            if after_order is None or hit.order > after_order:
                hits.append(hit)

    visit(title_ids)
    # Several groups: the templates whose title holds every live group's word as typed score
    # the most (``best``) and are read first, from their own list (``Source.conjunction``): a
    # query whose words are common but rarely together stops there. A group is live while one
    # of its lists is unread; when one dies (クラブ in 放課後児童クラブ is no key), the
    # conjunction starts again over the others.
    conj = _Front(done=True)
    conj_batch = 0
    texts: list[str] = []
    best = 0
    batch = max(first_batch, limit + 1)
    while True:
        hits.sort(key=lambda h: h.order)
        open_keys = [k for k in keys if not fronts[k].done]
        if not open_keys or any(all(fronts[k].done for k in alts) for alts in required):
            # Every list read, or one the results must all be in: nothing unseen is a result.
            return hits[:limit], len(hits) > limit
        live = [g for g in groups if any(not fronts[k].done for k in g.alternatives)]
        if sorted({g.text for g in live}) != texts:
            texts = sorted({g.text for g in live})
            best = 8 * len(live) + (10_000 if len(live) == len(groups) else 0)
            conj = _Front(done=len(live) < 2 or (after is not None and after[0] < best))
            if not conj.done and after is not None and after[0] == best:
                conj.suffix = after[1]
            # Its own pace, from a page's worth: started again when a group dies (after the
            # lists' batches have grown), it was asked for 192 templates where 21 would do —
            # each one costing the probes of every driving posting before it.
            conj_batch = max(first_batch, limit + 1)
        top_ok = others_ok = False
        if len(hits) > limit:
            nxt = hits[limit]
            top_ok = conj.done or nxt.scored.score > best or (
                nxt.scored.score == best and conj.rk is not None and nxt.suffix <= conj.suffix)
            u, r = _bound(groups, fronts)
            if len(live) >= 2 and u > best - 2:
                u, r = best - 2, ""  # any other template: one live group not typed in the title
            others_ok = _ranks_before_unseen(nxt, (u, r))
            if top_ok and others_ok:
                return hits[:limit], True
        if not conj.done and not top_ok:
            got = source.conjunction(texts, conj.suffix or None, conj_batch)
            if len(got) < conj_batch:
                conj.done = True
            if got:
                conj.suffix, conj.rk = got[-1][1], got[-1][1]
            visit(tid for tid, _ in got)
            conj_batch = min(conj_batch * 2, max_batch)
            continue
        # Only the lists that set a group's bound move it: read those (the others' bounds
        # are lower and stay valid: 「届」 as typed before its synonyms).
        critical = _critical(groups, fronts)
        read = source.lists({k: fronts[k].rk for k in critical}, batch)
        ids: list[int] = []
        for k in critical:
            entries = read.get(k, [])
            ids.extend(e.template_id for e in entries)
            f = fronts[k]
            if len(entries) < batch:
                f.done = True
            if entries:
                last = entries[-1]
                f.weight, f.suffix, f.rk = last.code // 10, last.rk[1:], last.rk
        visit(ids)
        batch = min(batch * 2, max_batch)


class MemorySource:
    """A Source over postings held in memory: {template id: (suffix, {key: Posting})}."""

    def __init__(self, templates: Mapping[int, tuple[str, Mapping[str, Posting]]],
                 keys: Iterable[str]) -> None:
        self._templates = templates
        wanted = set(keys)
        by_key: dict[str, list[ListEntry]] = {k: [] for k in wanted}
        for tid, (suffix, postings) in templates.items():
            for key, p in postings.items():
                if key in wanted:
                    by_key[key].append(ListEntry(tid, p.code, rank_key(p.code, suffix)))
        for entries in by_key.values():
            entries.sort(key=lambda e: e.rk)
        self._lists = by_key
        self._keys = wanted

    def lists(self, after: Mapping[str, str | None], count: int) -> dict[str, list[ListEntry]]:
        out: dict[str, list[ListEntry]] = {}
        for key, rk in after.items():
            entries = self._lists.get(key, [])
            start = 0
            if rk is not None:
                lo, hi = 0, len(entries)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if entries[mid].rk <= rk:
                        lo = mid + 1
                    else:
                        hi = mid
                start = lo
            out[key] = entries[start:start + count]
        return out

    def conjunction(self, keys: Sequence[str], after: str | None, count: int) -> list[tuple[int, str]]:
        found = sorted((suffix, tid) for tid, (suffix, postings) in self._templates.items()
                       if (after is None or suffix > after)
                       and all((p := postings.get(k)) is not None and p.code // 10 == 4 for k in keys))
        return [(tid, suffix) for suffix, tid in found[:count]]

    def postings(self, ids: Sequence[int]) -> dict[int, tuple[str, dict[str, Posting]]]:
        out: dict[int, tuple[str, dict[str, Posting]]] = {}
        for tid in ids:
            held = self._templates.get(tid)
            if held is not None:
                suffix, postings = held
                out[tid] = (suffix, {k: p for k, p in postings.items() if k in self._keys})
        return out
