"""Whole lineage and divergence of forks: pure read-models and the rules that build them.

- ``ForkStatus``: one template as a node of the fork graph — its city, latest version, the
  upstream version it last took and how many upstream releases it is behind (or detached).
  The index keeps one per template (table ``fork_status``), refreshed at publish and rebuilt
  by reindex (``registry/lineage_upkeep.py``).
- ``Divergence``: one field-level difference of a fork's latest version from the upstream
  version it took, classified from the diff engine's changes (``classify``) and worded in
  Japanese and English; kept in the index (table ``fork_divergence``).
- ``build_tree``: the full tree of forks under a template (forks of forks, across cities).
- ``aggregate``: differences counted across forks — 「9 件中 7 件のフォークが『電話番号（日中）』を追加」.

Pure: imports the diff engine's model only; no web, SQL or git.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from registry.diff import Change

Category = Literal["added", "removed", "choices_added", "choices_removed", "relaxed",
                   "tightened", "changed"]

CATEGORIES: tuple[Category, ...] = ("added", "removed", "choices_added", "choices_removed",
                                    "relaxed", "tightened", "changed")

# How a category reads after 『field』 (Japanese) and after the field name (English).
_VERB_JA: dict[str, str] = {
    "added": "を追加", "removed": "を削除", "choices_added": "の選択肢を追加",
    "choices_removed": "の選択肢を削除", "relaxed": "の条件を緩めた",
    "tightened": "の条件を厳しくした", "changed": "の条件を変えた",
}
_VERB_EN: dict[str, str] = {
    "added": "added", "removed": "dropped", "choices_added": "added choices to",
    "choices_removed": "removed choices from", "relaxed": "relaxed", "tightened": "tightened",
    "changed": "changed the rules of",
}


class ForkStatus(msgspec.Struct, kw_only=True):
    """A template as a node of the fork graph (a cache of git kept in the index)."""

    lg: str
    slug: str
    title: str
    municipality_name: str
    prefecture_code: str
    latest_version: str
    upstream_template: str | None = None    # "130001/jumin-ido" (None for an original)
    upstream_version: str | None = None     # the upstream version the latest version took
    upstream_latest: str | None = None      # the upstream's newest version
    behind: int = 0                         # upstream releases after upstream_version
    detached: bool = False                  # the city detached it from its upstream

    @property
    def name(self) -> str:
        """``lg/slug``."""
        return f"{self.lg}/{self.slug}"


class LineageNode(msgspec.Struct, kw_only=True):
    """A node of the whole lineage: the template's status and its forks, recursively."""

    template: str
    lg: str
    slug: str
    title: str
    municipality_name: str
    latest_version: str
    upstream_template: str | None
    upstream_version: str | None
    behind: int
    detached: bool
    depth: int
    forks: list[LineageNode] = msgspec.field(default_factory=list)


class LineageTree(msgspec.Struct, kw_only=True):
    """The root of a template's lineage (its furthest upstream the index holds) and the tree."""

    template: str               # the template asked about
    root: LineageNode
    fork_count: int             # every fork under the template asked about, transitively


class Divergence(msgspec.Struct, kw_only=True):
    """One field-level difference of a fork from the upstream version it took."""

    category: Category
    field: str                  # instance location, e.g. "/phone_daytime" ("" for the root)
    label: str                  # the field's title, or its name when it has none
    message: str                # the diff engine's sentence (English)
    message_ja: str


class ForkDivergence(msgspec.Struct, kw_only=True):
    """What one fork changed from its upstream."""

    fork: ForkStatus
    changes: list[Divergence]


class DivergenceSummary(msgspec.Struct, kw_only=True):
    """One difference counted across the forks of an upstream."""

    upstream_template: str
    category: Category
    field: str
    label: str
    forks: list[str]            # "lg/slug" of the forks that made it
    count: int
    total: int                  # forks of that upstream considered
    text_ja: str                # 「9 件中 7 件のフォークが『電話番号（日中）』を追加」
    text: str                   # "7 of 9 forks added “電話番号（日中）”"


def _label(c: Change) -> str:
    if c.title:
        return c.title
    name = c.field.rsplit("/", 1)[-1] if c.field else ""
    return name or c.pointer or "（全体）"


def classify(changes: Iterable[Change]) -> list[Divergence]:
    """Divergences from the diff engine's changes (upstream = old, fork = new); cosmetic ones drop.

    A field added or removed, choices added or removed, else by verdict: a fork that accepts
    everything its upstream accepts (backward compatible, forward breaking) *relaxed* the field;
    one whose values the upstream accepts (forward compatible, backward breaking) *tightened* it.
    """
    out: list[Divergence] = []
    seen: set[tuple[str, str]] = set()
    for c in changes:
        if c.cosmetic:
            continue
        category: Category
        if c.kind == "property_added":
            category = "added"
        elif c.kind == "property_removed":
            category = "removed"
        elif c.kind == "enum_value_added":
            category = "choices_added"
        elif c.kind == "enum_value_removed":
            category = "choices_removed"
        elif c.backward == "compatible" and c.forward != "compatible":
            category = "relaxed"
        elif c.forward == "compatible" and c.backward != "compatible":
            category = "tightened"
        elif c.backward == "compatible" and c.forward == "compatible":
            continue  # behaviour only (a default): nothing a city needs
        else:
            category = "changed"
        field = c.field
        if category in ("added", "removed") and c.pointer and not field:
            field = c.pointer
        if (category, field) in seen:
            continue
        seen.add((category, field))
        out.append(Divergence(category=category, field=field, label=_label(c),
                              message=c.message, message_ja=c.message_ja))
    return out


def build_tree(asked: str, statuses: Mapping[str, ForkStatus]) -> LineageTree:
    """The tree under the furthest upstream of ``asked`` that ``statuses`` holds.

    ``statuses`` maps ``lg/slug`` to every template of the lineage; cycles are cut.
    """
    root_name = asked
    seen = {asked}
    while True:
        up = statuses[root_name].upstream_template
        if not up or up not in statuses or up in seen:
            break
        seen.add(up)
        root_name = up
    children: dict[str, list[ForkStatus]] = defaultdict(list)
    for s in statuses.values():
        if s.upstream_template:
            children[s.upstream_template].append(s)
    visited: set[str] = set()

    def node(s: ForkStatus, depth: int) -> LineageNode:
        visited.add(s.name)
        kids = sorted((c for c in children.get(s.name, []) if c.name not in visited),
                      key=lambda c: (c.lg, c.slug))
        return LineageNode(
            template=s.name, lg=s.lg, slug=s.slug, title=s.title,
            municipality_name=s.municipality_name, latest_version=s.latest_version,
            upstream_template=s.upstream_template, upstream_version=s.upstream_version,
            behind=s.behind, detached=s.detached, depth=depth,
            forks=[node(c, depth + 1) for c in kids if c.name not in visited])

    root = node(statuses[root_name], 0)
    return LineageTree(template=asked, root=root, fork_count=count_under(root, asked))


def count_under(root: LineageNode, name: str) -> int:
    """How many forks lie under ``name`` in the tree, transitively."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.template == name:
            total, inner = 0, list(n.forks)
            while inner:
                f = inner.pop()
                total += 1
                inner.extend(f.forks)
            return total
        stack.extend(n.forks)
    return 0


def iter_nodes(root: LineageNode) -> Iterable[LineageNode]:
    """Every node of the tree, depth first in display order."""
    yield root
    for f in root.forks:
        yield from iter_nodes(f)


def sentence(category: Category, label: str, count: int, total: int) -> tuple[str, str]:
    """(Japanese, English) sentence of one aggregated difference."""
    ja = f"{total} 件中 {count} 件のフォークが『{label}』{_VERB_JA[category]}"
    en = f"{count} of {total} forks {_VERB_EN[category]} “{label}”"
    return ja, en


def aggregate(upstream: str, forks: Iterable[ForkDivergence]) -> list[DivergenceSummary]:
    """Differences counted across the forks of ``upstream``, most common first."""
    forks = list(forks)
    total = len(forks)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    labels: dict[tuple[str, str], str] = {}
    for fd in forks:
        for d in fd.changes:
            groups[(d.category, d.field)].append(fd.fork.name)
            labels.setdefault((d.category, d.field), d.label)
    out: list[DivergenceSummary] = []
    for (category, field), names in groups.items():
        cat: Category = category  # type: ignore[assignment]
        ja, en = sentence(cat, labels[(category, field)], len(names), total)
        out.append(DivergenceSummary(upstream_template=upstream, category=cat, field=field,
                                     label=labels[(category, field)], forks=sorted(names),
                                     count=len(names), total=total, text_ja=ja, text=en))
    out.sort(key=lambda s: (-s.count, CATEGORIES.index(s.category), s.field))
    return out


class AdoptionEntry(msgspec.Struct, kw_only=True):
    """An upstream template used by a prefecture's forks."""

    template: str
    title: str
    municipality_name: str
    latest_version: str | None
    users: int                  # forks in the prefecture
    behind: int                 # of which behind the upstream's latest release
    detached: int               # of which detached
    max_behind: int


class Adoption(msgspec.Struct, kw_only=True):
    """A prefecture's adoption view (one page of upstreams, most used first)."""

    prefecture_code: str
    prefecture_name: str
    counts: dict[str, int]      # templates, municipalities, originals, forks, behind, detached
    total: int                  # upstreams used in the prefecture
    items: list[AdoptionEntry]
    users: list[ForkStatus] = msgspec.field(default_factory=list)   # with ?template=
    template: str | None = None


class PrefectureDivergence(msgspec.Struct, kw_only=True):
    """Differences counted across a prefecture's forks (or one upstream's forks)."""

    prefecture_code: str | None
    template: str | None
    summaries: list[DivergenceSummary]
    forks: list[ForkDivergence] = msgspec.field(default_factory=list)  # with ?template=


class TemplateUsers(msgspec.Struct, kw_only=True):
    """「このテンプレートを使っている自治体」: the whole lineage and what the forks changed."""

    lineage: LineageTree
    divergence: list[DivergenceSummary]
