"""Use-cases of whole lineage, prefecture views and the filtered change feed (read side).

Called from thin ``RegistryService`` methods; reads the index's lineage tables only
(``registry/storage/lineage_sql.py`` through the ``TemplateIndex`` port), never git, so the
prefecture page costs a few indexed queries at any scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry import municipalities
from registry.errors import NotFound, UsageError
from registry.forktree import (
    Adoption,
    AdoptionEntry,
    ForkDivergence,
    ForkStatus,
    LineageTree,
    PrefectureDivergence,
    TemplateUsers,
    build_tree,
)
from registry.layout import TemplateKey

if TYPE_CHECKING:
    from registry.readmodels import ChangeEvent
    from registry.storage.ports import TemplateIndex

KINDS = ("published", "forked", "pulled", "deprecated", "detached")


def prefecture_code(code: str) -> tuple[str, str]:
    """(six-digit code, name) of a prefecture given as ``13``, ``130001`` or 東京都; NotFound otherwise."""
    for p in municipalities.prefectures():
        if code in (p.code, p.code[:2], p.name):
            return p.code, p.name
    raise NotFound(f"no prefecture with code {code!r} (e.g. 13 or 130001 for 東京都)",
                   detail_ja=f"都道府県コード {code!r} はありません（東京都なら 13 または 130001）")


def lineage_tree(index: TemplateIndex, key: TemplateKey) -> LineageTree:
    """The whole lineage around ``key``: its furthest upstream and every fork under it."""
    statuses = index.lineage.lineage(key.lg, key.slug)
    if str(key) not in statuses:
        raise NotFound(f"template {key} does not exist", detail_ja=f"テンプレート {key} はありません")
    return build_tree(str(key), statuses)


def template_users(index: TemplateIndex, key: TemplateKey) -> TemplateUsers:
    """The lineage and the differences counted across the template's direct forks."""
    return TemplateUsers(lineage=lineage_tree(index, key),
                         divergence=index.lineage.divergence_summary(None, str(key), 50))


def adoption(index: TemplateIndex, code: str, *, template: str | None = None,
             limit: int = 50, offset: int = 0) -> Adoption:
    """Which upstreams the prefecture's cities use, who is behind, who detached."""
    pcode, pname = prefecture_code(code)
    total, rows = index.lineage.adoption(pcode, limit, offset)
    users = index.lineage.users(pcode, str(TemplateKey.parse(template))) if template else []
    return Adoption(prefecture_code=pcode, prefecture_name=pname,
                    counts=index.lineage.prefecture_counts(pcode), total=total,
                    items=[AdoptionEntry(**r) for r in rows], users=users, template=template)


def divergence(index: TemplateIndex, code: str | None, *, template: str | None = None,
               limit: int = 50) -> PrefectureDivergence:
    """What the forks changed from their upstreams, counted; per fork with ``template``."""
    pcode = prefecture_code(code)[0] if code is not None else None
    name = str(TemplateKey.parse(template)) if template else None
    forks: list[ForkDivergence] = []
    if name is not None:
        statuses = (index.lineage.users(pcode, name) if pcode
                    else index.lineage.direct_forks(name))
        divs = index.lineage.divergences(s.name for s in statuses)
        forks = [ForkDivergence(fork=s, changes=divs.get(s.name, [])) for s in statuses]
    return PrefectureDivergence(prefecture_code=pcode, template=name,
                                summaries=index.lineage.divergence_summary(pcode, name, limit),
                                forks=forks)


def changes(index: TemplateIndex, after: int, limit: int, *, template: str | None = None,
            upstream: str | None = None, municipality: str | None = None,
            kind: str | None = None) -> list[ChangeEvent]:
    """The change feed after a cursor, filtered (every filter given must hold)."""
    names: list[str] | None = None
    if template:
        names = [str(TemplateKey.parse(template))]
    if upstream:
        up = TemplateKey.parse(upstream)
        tree = index.lineage.lineage(up.lg, up.slug)
        forks: list[str] = []
        if str(up) in tree:
            stack = [n for n in tree.values() if n.upstream_template == str(up)]
            while stack:
                n = stack.pop()
                forks.append(n.name)
                stack.extend(c for c in tree.values() if c.upstream_template == n.name
                             and c.name not in forks)
        names = forks if names is None else [n for n in names if n in forks]
    if municipality:
        municipalities.check_code(municipality)
    kinds: list[str] | None = None
    if kind:
        kinds = [k.strip() for k in kind.split(",") if k.strip()]
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise UsageError(f"unknown event kind {bad[0]!r}; use one of {', '.join(KINDS)}",
                             detail_ja=f"イベントの種類 {bad[0]!r} はありません。{', '.join(KINDS)} のいずれかを指定してください")
    return index.lineage.changes(after, limit, templates=names, municipality=municipality,
                                 kinds=kinds)


def template_feed(index: TemplateIndex, key: TemplateKey, limit: int = 50) -> list[ChangeEvent]:
    """The newest events of a template and of its upstream chain (what its city must know)."""
    statuses = index.lineage.lineage(key.lg, key.slug)
    if str(key) not in statuses:
        raise NotFound(f"template {key} does not exist", detail_ja=f"テンプレート {key} はありません")
    names = [str(key)]
    up = statuses[str(key)].upstream_template
    while up and up in statuses and up not in names:
        names.append(up)
        up = statuses[up].upstream_template
    return index.lineage.changes(0, limit, templates=names, newest=True)


def municipality_feed(index: TemplateIndex, lg: str, limit: int = 50) -> list[ChangeEvent]:
    """The newest events of a city's templates and of the upstreams its forks follow."""
    municipalities.check_code(lg)
    own = index.lineage.of_municipality(lg)
    names = {s.name for s in own} | {s.upstream_template for s in own if s.upstream_template}
    if not names:
        return []
    return index.lineage.changes(0, limit, templates=sorted(names), newest=True)


def behind_forks(index: TemplateIndex, lg: str) -> list[ForkStatus]:
    """A city's forks with upstream releases waiting (``yoshiki watch``)."""
    municipalities.check_code(lg)
    return [s for s in index.lineage.of_municipality(lg)
            if s.upstream_template and not s.detached and s.behind > 0]
