"""The threshold algorithm gives exactly the page that scoring every template gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.search.analyser import Group, Query
from registry.search.ranking import CODES, Posting, evaluate
from registry.search.topk import Hit, MemorySource, rank_key, recency_suffix, top

KEYS = ["a", "b", "c", "d", "e"]
CODE_VALUES = sorted(CODES.values())


@st.composite
def catalogues(draw: st.DrawFn) -> dict[int, tuple[str, dict[str, Posting]]]:
    n = draw(st.integers(0, 60))
    out: dict[int, tuple[str, dict[str, Posting]]] = {}
    for tid in range(1, n + 1):
        day = draw(st.integers(1, 4))  # few distinct dates: ties on recency are common
        forks = draw(st.integers(0, 2))
        suffix = recency_suffix(f"2026-01-0{day}T00:00:00Z", forks, "132241", f"form-{tid:03d}")
        keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=4))
        out[tid] = (suffix, {k: Posting(draw(st.sampled_from(CODE_VALUES)), draw(st.integers(0, 2)))
                             for k in keys})
    return out


@st.composite
def queries(draw: st.DrawFn) -> Query:
    terms: list[str] = []
    groups: list[list[Group]] = []
    for i in range(draw(st.integers(1, 3))):
        term_groups = []
        for j in range(draw(st.integers(1, 3))):
            text = draw(st.sampled_from(KEYS))
            alts = {text} | set(draw(st.lists(st.sampled_from(KEYS), max_size=2)))
            term_groups.append(Group(text * draw(st.integers(1, 2)) if j else text, alts))
        terms.append(f"t{i}")
        groups.append(term_groups)
    return Query(terms, groups)


def brute(query: Query, catalogue: dict[int, tuple[str, dict[str, Posting]]],
          equal: set[int]) -> list[tuple[int, int, str]]:
    out = []
    for tid, (suffix, postings) in catalogue.items():
        scored = evaluate(query, dict(postings), title_equal=tid in equal)
        if scored is not None:
            out.append((tid, scored.score, suffix))
    return sorted(out, key=lambda x: (-x[1], x[2]))


def pages(query: Query, source: MemorySource, limit: int, equal: set[int]) -> list[tuple[int, int, str]]:
    got: list[tuple[int, int, str]] = []
    after = None
    for _ in range(200):
        hits, more = top(query, source, limit, after=after, title_equal=equal, first_batch=2,
                         max_batch=8)
        got.extend((h.template_id, h.scored.score, h.suffix) for h in hits)
        if not more:
            return got
        assert len(hits) == limit
        last: Hit = hits[-1]
        after = (last.scored.score, last.suffix)
    raise AssertionError("paging did not end")


@settings(max_examples=800, deadline=None)
@given(catalogues(), queries(), st.integers(1, 7), st.data())
def test_every_page_is_what_scoring_everything_gives(
        catalogue: dict[int, tuple[str, dict[str, Posting]]], query: Query, limit: int,
        data: st.DataObject) -> None:
    equal = set(data.draw(st.lists(st.sampled_from(sorted(catalogue) or [0]), max_size=2)))
    source = MemorySource(catalogue, query.all_keys())
    assert pages(query, source, limit, equal) == brute(query, catalogue, equal)


def test_a_common_word_is_answered_from_the_head_of_its_list() -> None:
    """100,000 templates share the field 氏名: the first page reads a few dozen postings."""
    catalogue = {tid: (recency_suffix(f"2026-01-{1 + tid % 28:02d}T00:00:00Z", 0, "132241",
                                      f"f-{tid:06d}"), {"氏名": Posting(20, 0)})
                 for tid in range(1, 100_001)}
    source = MemorySource(catalogue, {"氏名"})
    read: list[int] = []
    original = source.lists

    def counting(after, count):  # type: ignore[no-untyped-def]
        got = original(after, count)
        read.extend(len(v) for v in got.values())
        return got

    source.lists = counting  # type: ignore[method-assign]
    query = Query(["氏名"], [[Group("氏名", {"氏名"})]])
    hits, more = top(query, source, 20)
    assert more
    assert len(hits) == 20
    assert sum(read) <= 64
    expected = brute(query, catalogue, set())[:20]
    assert [(h.template_id, h.scored.score, h.suffix) for h in hits] == expected


def test_rank_key_orders_weight_then_recency() -> None:
    newer = recency_suffix("2026-05-01T00:00:00Z", 0, "132241", "a")
    older = recency_suffix("2026-04-30T23:59:59Z", 5, "011002", "a")
    more_forks = recency_suffix("2026-04-30T23:59:59Z", 6, "132241", "z")
    assert newer < more_forks < older
    assert rank_key(40, older) < rank_key(20, newer)  # the title first, however old
    assert recency_suffix("2026-05-01T00:00:00Z", 0, "011002", "b") < newer  # then lg, slug
