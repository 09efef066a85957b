"""Whole lineage, releases behind, prefecture adoption and divergence on real parts.

Five cities: 東京都 → 稲城市 → 瑞穂町, 東京都 → 多摩市, 東京都 → 八王子市, and 横浜市 (another
prefecture) → fork of 東京都 too. Git in tmp_path, a SQLite index; every figure is read back
after publishes, forks, pulls and a reindex.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.config import Settings
from registry.forktree import LineageNode, iter_nodes
from registry.layout import TemplateKey, VersionKey
from registry.readmodels import Author
from registry.service import RegistryService
from registry.wiring import open_service

ADMIN = Author(name="管理者", municipality="", admin=True)
TOKYO, INAGI, MIZUHO, TAMA, HACHIOJI, YOKOHAMA = (
    "130001", "132250", "133035", "132241", "132012", "141003")
SLUG = "jumin-soudan"
ROOT = TemplateKey(TOKYO, SLUG)

BASE_PROPS: dict[str, Any] = {
    "name": {"type": "string", "title": "氏名"},
    "postal_code": {"type": "string", "title": "郵便番号", "pattern": "^[0-9]{3}-[0-9]{4}$"},
    "kind": {"type": "string", "title": "相談の種類", "enum": ["住民票", "税", "子育て"]},
}


def files(key: VersionKey, props: dict[str, Any], upstream: dict[str, str] | None = None,
          title: str = "住民相談受付票") -> dict[str, bytes]:
    template: dict[str, Any] = {"title": title, "category": "住民票・戸籍", "tags": ["相談"],
                                "license": "CC-BY-4.0"}
    if upstream:
        template["upstream"] = upstream
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": key.schema_id,
              "title": title, "type": "object", "properties": props, "required": ["name"]}
    dump = lambda v: json.dumps(v, ensure_ascii=False).encode()  # noqa: E731
    return {"template.json": dump(template), "schema.json": dump(schema),
            "examples/valid/a.json": dump({"name": "多摩 太郎"}),
            "examples/invalid/empty.json": dump({})}


def upstream_of(service: RegistryService, key: TemplateKey) -> dict[str, str]:
    latest = service.template_versions(key)[-1]
    got = service.get_version(VersionKey(key.lg, key.slug, latest))
    return dict(got.template["upstream"])


def publish(service: RegistryService, key: TemplateKey, version: str, props: dict[str, Any],
            upstream: dict[str, str] | None = None) -> None:
    vk = VersionKey(key.lg, key.slug, version)
    service.publish(files(vk, props, upstream), key=vk, actor=ADMIN)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[RegistryService]:
    svc = open_service(Settings.for_data_dir(tmp_path / "data"))
    yield svc
    svc.index.close()  # type: ignore[attr-defined]


def build(service: RegistryService) -> None:
    publish(service, ROOT, "1.0.0", BASE_PROPS)
    service.fork(ROOT, to_lg=INAGI, actor=ADMIN)
    service.fork(TemplateKey(INAGI, SLUG), to_lg=MIZUHO, actor=ADMIN)
    service.fork(ROOT, to_lg=TAMA, actor=ADMIN)
    service.fork(ROOT, to_lg=HACHIOJI, actor=ADMIN)
    service.fork(ROOT, to_lg=YOKOHAMA, actor=ADMIN)
    phone = {"phone_daytime": {"type": "string", "title": "電話番号（日中）"}}
    # 多摩市 and 稲城市 add a daytime phone; 多摩市 also relaxes the postal code.
    tama = {**BASE_PROPS, **phone, "postal_code": {"type": "string", "title": "郵便番号"}}
    publish(service, TemplateKey(TAMA, SLUG), "1.1.0", tama, upstream_of(service, TemplateKey(TAMA, SLUG)))
    publish(service, TemplateKey(INAGI, SLUG), "1.1.0", {**BASE_PROPS, **phone},
            upstream_of(service, TemplateKey(INAGI, SLUG)))
    # 八王子市 adds a choice.
    kinds = {**BASE_PROPS["kind"], "enum": ["住民票", "税", "子育て", "介護"]}
    publish(service, TemplateKey(HACHIOJI, SLUG), "1.1.0", {**BASE_PROPS, "kind": kinds},
            upstream_of(service, TemplateKey(HACHIOJI, SLUG)))
    # 東京都 releases twice: every direct fork falls behind by two.
    publish(service, ROOT, "1.1.0", {**BASE_PROPS, "memo": {"type": "string", "title": "備考"}})
    publish(service, ROOT, "1.2.0", {**BASE_PROPS, "memo": {"type": "string", "title": "備考"},
                                     "email": {"type": "string", "title": "メール"}})


def nodes(service: RegistryService, key: TemplateKey) -> dict[str, LineageNode]:
    return {n.template: n for n in iter_nodes(service.lineage_tree(key).root)}


def test_whole_tree_versions_and_behind(service: RegistryService) -> None:
    build(service)
    tree = service.lineage_tree(TemplateKey(MIZUHO, SLUG))   # asked from a leaf: same root
    assert tree.root.template == str(ROOT)
    assert [f.template for f in tree.root.forks] == [
        f"{HACHIOJI}/{SLUG}", f"{TAMA}/{SLUG}", f"{INAGI}/{SLUG}", f"{YOKOHAMA}/{SLUG}"]  # by code
    inagi = next(f for f in tree.root.forks if f.lg == INAGI)
    assert [(f.template, f.depth) for f in inagi.forks] == [(f"{MIZUHO}/{SLUG}", 2)]
    assert service.lineage_tree(ROOT).fork_count == 5
    got = nodes(service, ROOT)
    assert got[str(ROOT)].latest_version == "1.2.0"
    assert got[f"{TAMA}/{SLUG}"].latest_version == "1.1.0"
    assert got[f"{TAMA}/{SLUG}"].upstream_version == "1.0.0"
    assert {n: got[n].behind for n in got} == {
        str(ROOT): 0, f"{INAGI}/{SLUG}": 2, f"{TAMA}/{SLUG}": 2, f"{HACHIOJI}/{SLUG}": 2,
        f"{YOKOHAMA}/{SLUG}": 2, f"{MIZUHO}/{SLUG}": 1}   # 稲城市 released 1.1.0 after 瑞穂町 forked
    assert got[f"{MIZUHO}/{SLUG}"].municipality_name == "瑞穂町"

    # 稲城市 pulls: up to date; 瑞穂町 now two behind 稲城市 (1.1.0 and the pull's release).
    service.pull(TemplateKey(INAGI, SLUG), actor=ADMIN)
    got = nodes(service, ROOT)
    assert got[f"{INAGI}/{SLUG}"].behind == 0
    assert got[f"{INAGI}/{SLUG}"].upstream_version == "1.2.0"
    assert got[f"{MIZUHO}/{SLUG}"].behind == 2

    # reindex rebuilds the same figures from git alone
    before = service.lineage_tree(ROOT)
    service.reindex()
    assert service.lineage_tree(ROOT) == before


def test_prefecture_adoption_and_divergence(service: RegistryService) -> None:
    build(service)
    view = service.adoption("13")
    assert view.prefecture_code == "130001"
    assert view.prefecture_name == "東京都"
    # 横浜市 is in 神奈川県: not counted in 東京都's view.
    by = {e.template: e for e in view.items}
    assert by[str(ROOT)].users == 3
    assert by[str(ROOT)].behind == 3
    assert by[f"{INAGI}/{SLUG}"].users == 1
    assert by[f"{INAGI}/{SLUG}"].behind == 1
    assert view.counts["templates"] == 5
    assert view.counts["forks"] == 4
    assert view.counts["originals"] == 1
    assert view.counts["municipalities"] == 5

    users = service.adoption("130001", template=str(ROOT)).users
    assert [(u.lg, u.latest_version, u.upstream_version, u.behind) for u in users] == [
        (HACHIOJI, "1.1.0", "1.0.0", 2), (TAMA, "1.1.0", "1.0.0", 2), (INAGI, "1.1.0", "1.0.0", 2)]

    texts = [s.text_ja for s in service.divergence("13").summaries]
    assert "3 件中 2 件のフォークが『電話番号（日中）』を追加" in texts
    assert "3 件中 1 件のフォークが『郵便番号』の条件を緩めた" in texts
    assert "3 件中 1 件のフォークが『相談の種類』の選択肢を追加" in texts
    # Across every prefecture, for the template: 横浜市 changed nothing, so 4 forks.
    per_template = [s.text_ja for s in service.template_users(ROOT).divergence]
    assert "4 件中 2 件のフォークが『電話番号（日中）』を追加" in per_template

    # 稲城市 pulls 東京都 1.2.0 (its phone field stays): the divergence follows its new base.
    service.pull(TemplateKey(INAGI, SLUG), actor=ADMIN)
    one = service.divergence("13", template=str(ROOT))
    inagi = next(f for f in one.forks if f.fork.lg == INAGI)
    assert [(c.category, c.label) for c in inagi.changes] == [("added", "電話番号（日中）")]
    assert service.adoption("13").items[0].behind == 2
    service.reindex()
    assert "3 件中 2 件のフォークが『電話番号（日中）』を追加" in [
        s.text_ja for s in service.divergence("13").summaries]


def test_filtered_change_feed(service: RegistryService) -> None:
    build(service)
    everything = service.changes(0, 1000)
    mine = service.changes(0, 1000, template=f"{TAMA}/{SLUG}")
    assert [(e.kind, e.version) for e in mine] == [("forked", "1.0.0"), ("published", "1.1.0")]
    forks_of_root = service.changes(0, 1000, upstream=str(ROOT))
    assert {e.lg for e in forks_of_root} == {INAGI, MIZUHO, TAMA, HACHIOJI, YOKOHAMA}
    assert len(service.changes(0, 1000, municipality=TOKYO)) == 3
    forked = service.changes(0, 1000, kind="forked")
    assert len(forked) == 5
    assert all(e.kind == "forked" for e in forked)
    # cursors: the second page starts after the first
    page = service.changes(0, 2, upstream=str(ROOT))
    rest = service.changes(page[-1].id, 1000, upstream=str(ROOT))
    assert [e.id for e in page + rest] == [e.id for e in forks_of_root]
    assert all(e in everything for e in forks_of_root)


def test_tree_asked_from_the_middle_keeps_what_lies_below(service: RegistryService) -> None:
    publish(service, ROOT, "1.0.0", BASE_PROPS)
    service.fork(ROOT, to_lg=INAGI, actor=ADMIN)
    service.fork(TemplateKey(INAGI, SLUG), to_lg=MIZUHO, actor=ADMIN)
    tree = service.lineage_tree(TemplateKey(INAGI, SLUG))
    assert [(n.template, n.depth) for n in iter_nodes(tree.root)] == [
        (str(ROOT), 0), (f"{INAGI}/{SLUG}", 1), (f"{MIZUHO}/{SLUG}", 2)]
    assert tree.fork_count == 1


def test_detached_fork_counted_as_detached(service: RegistryService) -> None:
    """A ``detached`` feed event (as ``yoshiki detach`` writes it, branch integ-store) marks the
    fork detached: not behind, counted under its upstream's ``detached``, through reindex."""
    from sqlalchemy import insert

    from registry import lineage_upkeep
    from registry.storage.sql_index import T_EVENTS

    build(service)
    tama = TemplateKey(TAMA, SLUG)
    with service.index._write() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(T_EVENTS).values(kind="detached", lg=TAMA, slug=SLUG, version="1.1.0",
                                             at="2026-12-04T23:00:00Z", actor="情報政策課",
                                             upstream_template=str(ROOT), detail="独自運用"))
    lineage_upkeep.after_detach(service, tama)
    got = nodes(service, ROOT)[f"{TAMA}/{SLUG}"]
    assert (got.detached, got.behind) == (True, 0)
    entry = next(e for e in service.adoption("13").items if e.template == str(ROOT))
    assert (entry.users, entry.behind, entry.detached) == (3, 2, 1)
    assert service.adoption("13").counts["detached"] == 1
    assert [e.kind for e in service.changes(0, 100, kind="detached")] == ["detached"]
    service.reindex()
    assert nodes(service, ROOT)[f"{TAMA}/{SLUG}"].detached is True


def test_a_forks_divergence_is_diffed_before_the_index_transaction_and_equals_reindex(
        service: RegistryService, monkeypatch: pytest.MonkeyPatch) -> None:
    """Publish diffs a fork against its upstream from git before the index's write lock is
    taken (lineage_upkeep.divergence_ahead); what it stores is what reindex computes."""
    from contextlib import contextmanager

    from registry import lineage_upkeep
    from registry.storage.sql_index import SqlIndex

    build(service)
    inside: list[bool] = []
    depth = [0]
    transaction, divergence = SqlIndex._transaction, lineage_upkeep._divergence

    @contextmanager
    def watched_transaction(self: SqlIndex) -> Iterator[Any]:
        depth[0] += 1
        try:
            with transaction(self) as conn:
                yield conn
        finally:
            depth[0] -= 1

    def watched_divergence(*args: Any) -> Any:
        inside.append(depth[0] > 0)
        return divergence(*args)

    monkeypatch.setattr(SqlIndex, "_transaction", watched_transaction)
    monkeypatch.setattr(lineage_upkeep, "_divergence", watched_divergence)
    service.fork(ROOT, to_lg="133051", actor=ADMIN)  # 日の出町
    assert inside == [False]
    # 多摩市 1.0.1 comes before its latest 1.1.0: the status names 1.1.0, so the divergence
    # computed ahead (for 1.0.1) is not the one stored; it is diffed again, inside.
    inside.clear()
    tama = TemplateKey(TAMA, SLUG)
    publish(service, tama, "1.0.1", {**BASE_PROPS, "name": {"type": "string", "title": "お名前"}},
            {"template": str(ROOT), "version": "1.0.0"})
    assert inside == [False, True]
    monkeypatch.undo()

    names = [f"{lg}/{SLUG}" for lg in (TOKYO, INAGI, MIZUHO, TAMA, HACHIOJI, YOKOHAMA, "133051")]
    stored = service.index.lineage.divergences(names)
    assert stored[f"{TAMA}/{SLUG}"]  # 多摩市's phone and postal code, from 1.1.0
    service.reindex()
    assert service.index.lineage.divergences(names) == stored


def test_a_rebuild_reads_the_detachments_of_every_template(service: RegistryService) -> None:
    """At national scale a rebuild has hundreds of thousands of templates: the detachments of
    all of them count (they were read through a filter capped at 5,000 template names, so a
    fork sorting after the 5,000th lost its detachment at every reindex)."""
    from sqlalchemy import insert

    from registry import lineage_upkeep
    from registry.readmodels import VersionRecord
    from registry.storage.sql_index import T_EVENTS

    records = [VersionRecord(lg=TAMA, slug=f"form-{i:05d}", version="1.0.0", title="様式",
                             category="その他", commit="0" * 40,
                             published_at="2026-12-01T09:00:00Z", author_name="課",
                             author_email="a@example.invalid", event="published")
               for i in range(5001)]
    last = records[-1]
    with service.index._write() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(T_EVENTS).values(kind="detached", lg=last.lg, slug=last.slug,
                                             version="1.0.0", at="2026-12-04T23:00:00Z",
                                             actor="情報政策課", upstream_template=str(ROOT),
                                             detail="独自運用"))
    lineage_upkeep.rebuild(service, records)
    mine = {s.name: s for s in service.index.lineage.of_municipality(TAMA)}
    assert len(mine) == 5001
    assert mine[f"{TAMA}/form-05000"].detached is True
    assert mine[f"{TAMA}/form-04999"].detached is False
