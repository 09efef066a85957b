"""Reindex reading git in a second process (registry/reindex_reader.py): the same index as
reading here, forks after the upstream versions they name, and a reader that fails leaves the
index as it was."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from registry import reindex_reader
from registry.layout import TemplateKey
from registry.readmodels import Author
from registry.reindex_reader import CatalogueReader, PreparedFeed
from registry.seeding import seed
from registry.service import RegistryService
from registry.storage.git_store import GitError
from tests.conftest import CATALOGUE
from tests.storage.conftest import opened

LUNCH = TemplateKey("132241", "staff-lunch-survey")
UP = (LUNCH.lg, LUNCH.slug)
# 千代田区 sorts before 多摩市: git lists its fork first, before the upstream version it names.
CHIYODA = Author(name="総務課", email="somu@city.chiyoda.invalid", municipality="131016",
                 municipality_name="千代田区")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("reader") / "data"
    with opened(data) as service:
        seed(service, CATALOGUE)
        service.fork(LUNCH, "1.0.0", to_lg="131016", actor=CHIYODA)
        service.fork(LUNCH, "1.1.0", to_lg="131016", to_slug="lunch-survey-2", actor=CHIYODA)
        service.detach("131016/lunch-survey-2", CHIYODA, "独自に運用します")
    return data


@pytest.fixture
def service(seeded: Path, tmp_path: Path) -> Iterator[RegistryService]:
    with opened(tmp_path / "data", copy_of=seeded) as svc:
        yield svc


def snapshot(service: RegistryService) -> dict[str, Any]:
    """What readers see, every column of every version included."""
    index = service.index
    keys = sorted((t.lg, t.slug) for t in service.store.list_templates())
    pages = {q: [f"{s.lg}/{s.slug}" for s in index.search(q=q, limit=100)[0]]
             for q in ("アンケート", "ランチ", "犬", "欠席", "郵便番号", "")}
    return {
        "versions": {k: [msgspec.structs.asdict(r) for r in index.versions(*k)] for k in keys},
        "summaries": [msgspec.structs.asdict(s) for s in index.search(limit=500)[0]],
        "search": pages,
        "forks": {k: index.forks_of(*k) for k in keys},
        "feed": [(e.kind, e.lg, e.slug, e.version) for e in index.changes(0, 10_000)],
        "detached": [(d["upstream_template"], d["version"], d["reason"])
                     for d in index.detachments("131016", "lunch-survey-2")],
    }


def test_the_worker_and_this_process_build_the_same_index(service: RegistryService) -> None:
    service.reindex(parallel=False)
    here = snapshot(service)
    count = service.reindex(parallel=True)
    assert snapshot(service) == here
    assert count == sum(len(v) for v in here["versions"].values())
    assert count > 20  # the seeded catalogue and both forks
    assert [d[0] for d in here["detached"]] == ["132241/staff-lunch-survey"]  # from detached.json
    # ...and both are what publishing recorded: the forks know the commit they came from.
    fork = {r.version: r for r in service.index.versions("131016", "staff-lunch-survey")}
    upstream = {r.version: r for r in service.index.versions(*UP)}
    assert fork["1.0.0"].upstream_commit == upstream["1.0.0"].commit != ""
    assert [f"{f.lg}/{f.slug}" for f in service.index.forks_of(*UP)] == [
        "131016/lunch-survey-2", "131016/staff-lunch-survey", "132250/staff-lunch-survey"]


def test_forks_wait_for_the_upstream_versions_they_name(service: RegistryService) -> None:
    reader = CatalogueReader(service.store)
    records = {(r.lg, r.slug, r.version): r for g in reader for r in g}
    order = [(g[0].lg, g[0].slug) for g in CatalogueReader(service.store)]
    assert len(order) == len(set(order)) == len(service.store.list_templates())
    # git lists 千代田区's forks first; they are held until 多摩市's versions have been read
    listed = [(t.lg, t.slug) for t in service.store.list_templates()]
    assert listed.index(("131016", "staff-lunch-survey")) < listed.index(("132241", "public-comment"))
    assert order.index(("131016", "staff-lunch-survey")) > order.index(("132241", "public-comment"))
    for fork, version in (("staff-lunch-survey", "1.0.0"), ("lunch-survey-2", "1.1.0")):
        assert records[("131016", fork, version)].upstream_commit == \
            records[("132241", "staff-lunch-survey", version)].commit != ""
    assert reader.skipped == []


def test_a_reader_that_fails_leaves_the_index_as_it_was(service: RegistryService,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(service)
    feed = PreparedFeed(service.store, "f" * 40, parallel=True)  # no such commit: git log fails here
    with pytest.raises(GitError, match="bad object"):
        service.index.rebuild_prepared(feed)
    assert snapshot(service) == before

    def garbled(self: PreparedFeed, worker: subprocess.Popen[bytes]) -> None:
        assert worker.stdin is not None
        worker.stdin.write(b"\xc1 not msgpack")
        worker.stdin.close()

    monkeypatch.setattr(PreparedFeed, "_send_commits", garbled)  # the worker fails, and says why
    with pytest.raises(GitError, match=r"reindex reader failed: .*Error"):
        service.index.rebuild_prepared(PreparedFeed(service.store, service.store.tip(), parallel=True))
    assert snapshot(service) == before
    monkeypatch.undo()
    service.reindex(parallel=True)  # and the next one works
    assert snapshot(service) == before


def test_the_worker_is_used_from_a_size_and_cores_and_never_for_a_test_fault_hook(
        service: RegistryService, monkeypatch: pytest.MonkeyPatch) -> None:
    tip = service.store.tip()
    monkeypatch.setattr(reindex_reader, "WORKER_FROM_CORES", 1)
    assert not PreparedFeed(service.store, tip).parallel  # a small repository: read here
    monkeypatch.setattr(reindex_reader, "WORKER_FROM_OBJECTS", 10)
    assert PreparedFeed(service.store, tip).parallel
    monkeypatch.setattr(reindex_reader, "WORKER_FROM_CORES", 4096)
    assert not PreparedFeed(service.store, tip).parallel  # too few cores
    monkeypatch.setattr(reindex_reader, "WORKER_FROM_CORES", 1)
    assert not PreparedFeed(service.store, tip, parallel=False).parallel
    service.store.fault.point = "before-update-ref"  # type: ignore[attr-defined]
    assert not PreparedFeed(service.store, tip, parallel=True).parallel


def test_a_lost_index_comes_back_whole_from_the_worker(seeded: Path, tmp_path: Path,
                                                      service: RegistryService) -> None:
    """Only the repository is left: the worker's reindex restores versions, forks and the
    detachment that lives in git (detached.json, read in the same pass as the versions)."""
    data = tmp_path / "lost"
    shutil.copytree(seeded / "templates.git", data / "templates.git")
    with opened(data) as svc:
        svc.reindex(parallel=True)
        got = snapshot(svc)
    assert got["detached"] == [("132241/staff-lunch-survey", "1.1.0", "独自に運用します")]
    recorded = snapshot(service)  # the index publishing wrote
    assert (got["versions"], got["summaries"], got["search"]) == (
        recorded["versions"], recorded["summaries"], recorded["search"])


def test_a_fork_naming_a_version_git_does_not_hold_still_gets_the_commits_it_can(
        tmp_path: Path) -> None:
    """Written by hand into git: 千代田区's 1.0.0 names an upstream version that is not there,
    its 1.1.0 one that is (read later: 132241 sorts after 131016). The group waits for the
    first in vain, and is still given the second's commit at the end."""
    from registry.layout import VersionKey
    from registry.storage.git_store import GitTemplateStore
    from tests.storage.conftest import TAMA, version_files

    store = GitTemplateStore(tmp_path / "templates.git")
    up = VersionKey("132241", "up-form", "1.0.0")
    info = store.commit_version(up, version_files(up), author=TAMA, event="published",
                                bump=None, changelog=None)
    for version, names in (("1.0.0", "9.9.9"), ("1.1.0", "1.0.0")):
        key = VersionKey("131016", "fork-form", version)
        files = version_files(key, extra_template={
            "upstream": {"template": "132241/up-form", "version": names}})
        store.commit_version(key, files, author=CHIYODA, event="forked", bump=None, changelog=None)
    got = {(r.slug, r.version): r.upstream_commit
           for group in CatalogueReader(store) for r in group}
    assert got == {("up-form", "1.0.0"): None, ("fork-form", "1.0.0"): None,
                   ("fork-form", "1.1.0"): info.commit}


def test_a_version_row_holds_the_record_as_the_versions_table_stores_it(
        service: RegistryService) -> None:
    """``sql_index.version_row`` (a rebuild's tuples; a publish writes the same as a mapping):
    every column of the table, UTC text, JSON lists, the version's parts."""
    from registry.storage.sql_index import T_VERSIONS, VERSION_COLUMNS, version_row

    assert sorted(VERSION_COLUMNS) == sorted(T_VERSIONS.columns.keys())
    record = service.records()[0]
    odd = msgspec.structs.replace(record, version="12.0.3", published_at="2026-04-01T09:00:00+09:00",
                                  deprecated=True, deprecated_reason="新様式へ",
                                  tags=["学校", "欠席"], field_titles=["氏名", "理由"],
                                  bump="minor", event="pulled", title_en=None)
    row = dict(zip(VERSION_COLUMNS, version_row(odd), strict=True))
    assert {k: row[k] for k in ("published_at", "tags", "field_titles", "deprecated", "major",
                                "minor", "patch", "version", "event", "bump", "title_en")} == {
        "published_at": "2026-04-01T00:00:00Z", "tags": '["学校", "欠席"]',
        "field_titles": '["氏名", "理由"]', "deprecated": True, "major": 12, "minor": 0,
        "patch": 3, "version": "12.0.3", "event": "pulled", "bump": "minor", "title_en": None}
    assert row["commit"] == record.commit
    assert row["lg"] == record.lg


def raw_rows(service: RegistryService) -> dict[str, Any]:
    """The templates rows (by lg/slug, without the id), every search key with its template's
    name instead of its id, the fork statuses and the version rows: what a rebuild and
    publishing must both write."""
    with service.index.engine.connect() as conn:  # type: ignore[attr-defined]
        templates = {f"{m['lg']}/{m['slug']}": {k: v for k, v in m.items() if k != "id"}
                     for m in conn.exec_driver_sql("SELECT * FROM templates").mappings()}
        names = {i: f"{lg}/{slug}" for i, lg, slug in
                 conn.exec_driver_sql("SELECT id, lg, slug FROM templates").all()}
        keys = sorted((names[t], *rest) for t, *rest in conn.exec_driver_sql(
            "SELECT template_id, term, code, pos, rk, prefecture_code, category FROM search_terms"))
        statuses = sorted(tuple(r) for r in conn.exec_driver_sql("SELECT * FROM fork_status"))
        versions = sorted(tuple(r) for r in conn.exec_driver_sql("SELECT * FROM versions"))
    return {"templates": templates, "keys": keys, "statuses": statuses, "versions": versions}


def test_a_rebuild_writes_the_rows_publishing_wrote(
        service: RegistryService) -> None:
    """The worker makes the search keys from the latest version's record, the rebuild the
    templates row from its version row; publishing makes both from the templates row. The
    fork statuses and version rows too, whichever way git is read (one fork here has
    detached)."""
    published = raw_rows(service)
    assert any(t["fork_count"] for t in published["templates"].values())
    assert len(published["keys"]) > 500
    assert any(s[-1] for s in published["statuses"])  # detached
    assert sum(1 for s in published["statuses"] if s[6]) >= 3  # forks with an upstream
    for parallel in (True, False):
        service.reindex(parallel=parallel)
        assert raw_rows(service) == published


def test_the_workers_records_travel_without_field_names(service: RegistryService) -> None:
    """The worker's records are PackedVersions (arrays in msgpack): every field arrives, and
    they are VersionRecords to everything that reads them."""
    from registry.readmodels import VersionRecord
    from registry.storage.rebuild import PackedVersion, prepare

    groups = list(CatalogueReader(service.store, record=PackedVersion))
    assert all(type(r) is PackedVersion for g in groups for r in g)
    batch = reindex_reader._Batch([prepare(i, g) for i, g in enumerate(groups, start=1)])
    data = msgspec.msgpack.encode(batch)
    assert b"upstream_template" not in data
    assert b"field_titles" not in data
    got = msgspec.msgpack.Decoder(reindex_reader._Batch).decode(data)
    assert [[msgspec.structs.astuple(r) for r in p.versions] for p in got.items] == \
        [[msgspec.structs.astuple(r) for r in g] for g in groups]
    assert all(isinstance(r, VersionRecord) for p in got.items for r in p.versions)
    plain = [r for g in CatalogueReader(service.store) for r in g]
    assert [msgspec.structs.astuple(r) for r in plain] == \
        [msgspec.structs.astuple(r) for g in groups for r in g]
