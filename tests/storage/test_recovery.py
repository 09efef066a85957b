"""Recovery by design (issue 16 points 1–3): stale git locks, bounded versions, index catch-up.

Real parts: bare repositories in tmp_path, SQLite, the app through Litestar's TestClient, the CLI
in a subprocess.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.config import Settings
from registry.errors import InvalidTemplate, UsageError
from registry.layout import VersionKey
from registry.recovery import STATE_TIP, catch_up, start
from registry.service import RegistryService
from registry.storage.maintenance import WRITERS_LOCK, clear_stale_locks, git_lock_files
from registry.storage.ports import Author
from registry.web.app import create_app
from registry.wiring import open_service
from tests.storage.conftest import TAMA, fsck_ok, under, version_files

ROOT = Path(__file__).resolve().parents[2]
V1 = VersionKey("132241", "staff-lunch-survey", "1.0.0")
V2 = VersionKey("132241", "staff-lunch-survey", "1.1.0")
OTHER = VersionKey("132241", "lunch-menu", "1.0.0")
ADMIN = Author(name="管理者", admin=True)


@pytest.fixture
def service(tmp_path: Path) -> RegistryService:
    svc = open_service(Settings.for_data_dir(tmp_path / "data"))
    svc.publish(version_files(V1), actor=TAMA, key=V1)
    return svc


def stale_lock(repo: Path, name: str = "refs/heads/main.lock", age: float = 30) -> Path:
    """A lock file as a writer killed inside ``git update-ref`` leaves it."""
    path = repo / name
    path.write_text("0" * 40 + "\n")
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


# -- 1. stale git locks ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["refs/heads/main.lock", "HEAD.lock", "packed-refs.lock"])
def test_publish_clears_a_stale_lock_instead_of_giving_up(service: RegistryService, name: str) -> None:
    repo = service.settings.repo_path
    lock = stale_lock(repo, name)
    # git takes main.lock and HEAD.lock (HEAD is a symbolic ref to main) on every update-ref and
    # packed-refs.lock only when it needs it: a stale one never stops a publish (the writer
    # clears it), and what is left is cleared at the next start.
    service.publish(version_files(OTHER), actor=TAMA, key=OTHER)
    start(service)
    assert not lock.exists()
    assert service.store.exists(OTHER)
    fsck_ok(service.store)


def test_a_fresh_lock_is_waited_for_then_cleared(service: RegistryService) -> None:
    """A lock younger than the grace may belong to a live process: the writer waits, then clears."""
    lock = stale_lock(service.settings.repo_path, age=0)
    service.publish(version_files(OTHER), actor=TAMA, key=OTHER)
    assert not lock.exists()
    assert [r.version for r in service.index.versions(OTHER.lg, OTHER.slug)] == ["1.0.0"]


def test_a_lock_is_left_alone_while_a_writer_holds_the_flock(service: RegistryService) -> None:
    repo = service.settings.repo_path
    lock = stale_lock(repo)
    fd = os.open(repo / WRITERS_LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a writer of this registry is between lock and rename
        removed, left = clear_stale_locks(repo, wait=False)
        assert (removed, left) == ([], [lock])
    finally:
        os.close(fd)
    removed, left = clear_stale_locks(repo, wait=False)
    assert (removed, left) == ([lock], [])


def test_start_clears_locks_and_healthz_reports_a_write_path_that_cannot_write(
        service: RegistryService) -> None:
    repo = service.settings.repo_path
    stale_lock(repo)
    with TestClient(create_app(service.settings, service=service)) as client:
        assert git_lock_files(repo) == []  # cleared at start
        assert client.get("/healthz").status_code == 200
        stale_lock(repo)  # a writer killed while the server runs
        r = client.get("/healthz")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "degraded"
        assert body["checks"]["git_locks"].startswith("refs/heads/main.lock is ")
        assert body["checks"]["git_writable"] == "ok"
        # ... and the next publish is not blocked by it.
        token = service.index.create_token("132241", "情報政策課")
        r = client.post("/api/v1/templates/132241/lunch-menu/versions",
                        json=_body(OTHER), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        assert client.get("/healthz").json()["status"] == "ok"


def test_admin_doctor_clears_a_stale_lock_and_catches_up(service: RegistryService) -> None:
    repo = service.settings.repo_path
    service.store.commit_files(under(OTHER, version_files(OTHER)), author=TAMA,
                               message=_message(OTHER))  # committed, never indexed
    stale_lock(repo, "HEAD.lock")
    r = cli("admin", "doctor", "--data-dir", str(service.settings.data_dir), "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "HEAD.lock" in r.stdout, r.stdout
    assert "1 commits" in r.stdout, r.stdout
    assert git_lock_files(repo) == []
    assert [v.version for v in service.index.versions(OTHER.lg, OTHER.slug)] == ["1.0.0"]


def test_admin_commands_refuse_a_folder_without_a_registry(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    r = cli("admin", "token", "create", "--municipality", "132241", "--data-dir", str(missing))
    assert r.returncode == 2
    assert "holds no registry" in r.stderr or "レジストリがありません" in r.stderr
    assert "--create" in r.stderr
    assert not missing.exists()
    r = cli("admin", "doctor", "--data-dir", str(missing))
    assert r.returncode == 2
    assert not missing.exists()
    r = cli("admin", "token", "create", "--municipality", "132241", "--data-dir", str(missing),
            "--create")
    assert r.returncode == 0, r.stderr
    assert (missing / "templates.git" / "HEAD").is_file()
    r = cli("admin", "token", "list", "--municipality", "132241", "--data-dir", str(missing))
    assert r.returncode == 0
    assert "132241" in r.stdout


# -- 2. bounds and grammar before writing ------------------------------------------------------

def _body(key: VersionKey, template: dict[str, Any] | None = None) -> dict[str, Any]:
    files = version_files(key, extra_template=template)
    examples: dict[str, dict[str, Any]] = {"valid": {}, "invalid": {}}
    for i, (path, data) in enumerate(sorted(files.items())):
        if path.startswith("examples/"):
            kind = path.split("/")[1]
            examples[kind][f"example-{i}.json"] = json.loads(data)
    return {"version": key.version, "template": json.loads(files["template.json"]),
            "schema": json.loads(files["schema.json"]), "examples": examples}


@pytest.mark.parametrize(("version", "upstream", "status", "pointer"), [
    ("99999999999999999999.0.0", None, 400, None),
    ("2147483648.0.0", None, 400, None),
    ("1.0.0", {"template": "./132241/evilup", "version": "1.0.0"}, 422, "/upstream/template"),
    ("1.0.0", {"template": "132241/staff-lunch-survey", "version": [1, 2]}, 422, "/upstream/version"),
    ("1.0.0", {"template": "132241/staff-lunch-survey", "version": "99999999999999999999.0.0"},
     422, "/upstream/version"),
    ("1.0.0", "132241/staff-lunch-survey", 422, "/upstream"),
])
def test_hostile_versions_and_upstreams_are_refused_and_nothing_is_written(
        service: RegistryService, version: str, upstream: Any, status: int, pointer: str | None) -> None:
    tip = service.store.tip()
    events = service.index.last_event_id()
    token = service.index.create_token("132241", "情報政策課")
    key = VersionKey("132241", "evil", "1.0.0")
    body = _body(key, {"upstream": upstream} if upstream is not None else None)
    body["version"] = version
    with TestClient(create_app(service.settings, service=service)) as client:
        r = client.post("/api/v1/templates/132241/evil/versions", json=body,
                        headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == status, r.text
    problem = r.json()
    if pointer is not None:
        assert pointer in [i["pointer"] for i in problem["issues"]]
        assert problem["issues"][0]["rule"] == "template.upstream-invalid"
    assert service.store.tip() == tip
    assert service.index.last_event_id() == events
    assert service.index.get_template("132241", "evil") is None


def test_the_largest_version_fits_the_index(service: RegistryService) -> None:
    key = VersionKey("132241", "big", "999999999.999999999.999999999")
    service.publish(version_files(key), actor=TAMA, key=key)
    assert service.index.versions("132241", "big")[0].version == key.version
    with pytest.raises(UsageError, match="at most 999,999,999"):
        service.publish(version_files(key), actor=TAMA,
                        key=VersionKey("132241", "big", "1000000000.0.0"))


def test_reindex_reports_and_skips_what_it_cannot_index(service: RegistryService) -> None:
    bad = VersionKey("132241", "huge", "99999999999999999999.0.0")
    # Written straight into the bare repository (as an old registry, or a hand, could have).
    service.store.commit_files(under(bad, version_files(bad)), author=TAMA, message="by hand\n")
    evil_up = VersionKey("132241", "evilup", "1.0.0")
    service.store.commit_files(
        under(evil_up, version_files(evil_up, extra_template={
            "upstream": {"template": "./132241/x", "version": "1.0.0"}})),
        author=TAMA, message="by hand\n")
    # Names checked once per template and version number (git_store.iter_versions): every
    # version of a bad slug is reported, a bad version beside a good one only itself.
    odd = [VersionKey("132241", "Bad_Slug", "1.0.0"), VersionKey("132241", "Bad_Slug", "1.1.0"),
           VersionKey("13224", "short-lg", "1.0.0"), VersionKey("132241", "half", "1.0"),
           VersionKey("132241", "half", "1.0.0")]
    files: dict[str, bytes | None] = {}
    for key in odd:
        files.update(under(key, version_files(key)))
    service.store.commit_files(files, author=TAMA, message="by hand\n")
    assert service.reindex() == 2
    assert service.index.get_template("132241", "half") is not None
    for path in ("132241/Bad_Slug/1.0.0", "132241/Bad_Slug/1.1.0", "13224/short-lg/1.0.0",
                 "132241/half/1.0:"):
        assert sum(s.startswith(path) for s in service.reindex_skipped) == 1, path
    assert any("132241/huge/99999999999999999999.0.0" in s for s in service.reindex_skipped)
    assert any("132241/evilup@1.0.0" in s for s in service.reindex_skipped)
    r = cli("reindex", "--data-dir", str(service.settings.data_dir))
    assert r.returncode == 0, r.stderr
    assert "99999999999999999999.0.0" in r.stderr
    assert service.index.get_template(V1.lg, V1.slug) is not None


def test_service_refuses_a_bad_upstream_before_reading_git(service: RegistryService) -> None:
    key = VersionKey("132241", "evil", "1.0.0")
    with pytest.raises(InvalidTemplate) as err:
        service.publish(version_files(key, extra_template={
            "upstream": {"template": "../../etc", "version": "1.0.0"}}), actor=TAMA, key=key)
    assert err.value.issues[0].pointer == "/upstream/template"


# -- 3. the index catches up with git ----------------------------------------------------------

def _message(key: VersionKey, event: str = "publish") -> str:
    from registry.storage.git_store import commit_message

    return commit_message(event, key, None, None, actor=TAMA.display)


def test_a_commit_that_was_not_indexed_is_visible_after_a_restart(service: RegistryService) -> None:
    """The state a SIGKILL between the ref and the index leaves (tests/storage/test_crash.py kills)."""
    info = service.store.commit_files(under(OTHER, version_files(OTHER)), author=TAMA,
                                      message=_message(OTHER))
    assert service.index.get_template(OTHER.lg, OTHER.slug) is None
    restarted = open_service(service.settings)
    report = start(restarted)
    assert report.catch_up is not None
    assert (report.catch_up.full, report.catch_up.commits, report.catch_up.versions,
            report.catch_up.audit_restored) == (False, 1, 1, 1)
    assert restarted.index.get_template(OTHER.lg, OTHER.slug) is not None
    assert restarted.index.state(STATE_TIP) == info.commit
    feed = restarted.index.changes(0, 100)
    assert [(e.kind, e.slug, e.version) for e in feed][-1] == ("published", OTHER.slug, "1.0.0")
    entry = restarted.index.audit_log(1)[0]  # type: ignore[attr-defined]
    assert (entry.actor, entry.action, entry.target, entry.commit) == (
        TAMA.display, "publish", str(OTHER), info.commit)
    assert "restored from git" in (entry.detail or "")
    # Idempotent: a second start restores nothing, doubles nothing.
    again = start(open_service(service.settings))
    assert again.catch_up is not None
    assert again.catch_up.commits == 0
    assert len(restarted.index.audit_log(100)) == len(service.index.audit_log(100))  # type: ignore[attr-defined]


def test_deprecation_and_detach_commits_are_caught_up_too(service: RegistryService) -> None:
    fork = VersionKey("132250", "staff-lunch-survey", "1.0.0")
    inagi = Author(name="総務課", municipality="132250", municipality_name="稲城市")
    service.fork(V1.template, to_lg="132250", actor=inagi)
    # Git written, index not: both writes lose their index step.
    index = service.index
    calls: list[str] = []

    class Broken:
        def __getattr__(self, name: str) -> Any:
            if name in ("mark_deprecated", "record_detachment"):
                def fail(*a: Any, **k: Any) -> Any:
                    calls.append(name)
                    raise RuntimeError("the index is down")
                return fail
            return getattr(index, name)

    service.index = Broken()  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        service.deprecate(V1, "古い様式です", TAMA)
    service.index_behind = False  # as if the second write came from another process
    with pytest.raises(RuntimeError):
        service.detach(fork.template, inagi, reason="独自に管理します")
    assert calls == ["mark_deprecated", "record_detachment"]
    assert service.index_behind
    service.index = index
    restarted = open_service(service.settings)
    cu = start(restarted).catch_up
    assert cu is not None
    assert (cu.deprecations, cu.detachments, cu.audit_restored) == (1, 1, 2)
    assert restarted.index.versions(V1.lg, V1.slug)[0].deprecated
    assert [d["upstream_template"] for d in restarted.index.detachments("132250", fork.slug)] == [
        str(V1.template)]
    kinds = [e.kind for e in restarted.index.changes(0, 100)]
    assert kinds[-2:] == ["deprecated", "detached"]
    actions = [a.action for a in restarted.index.audit_log(2)]  # type: ignore[attr-defined]
    assert sorted(actions) == ["deprecate", "detach"]


def test_a_failed_index_write_is_caught_up_before_the_next_write(service: RegistryService) -> None:
    index = service.index

    class Broken:
        def __getattr__(self, name: str) -> Any:
            if name == "record_version":
                raise RuntimeError("the index is down")
            return getattr(index, name)

    service.index = Broken()  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        service.publish(version_files(V2), actor=TAMA, key=V2)
    service.index = index
    assert service.index_behind
    service.publish(version_files(OTHER), actor=TAMA, key=OTHER)
    assert not service.index_behind
    assert [v.version for v in index.versions(V1.lg, V1.slug)] == ["1.0.0", "1.1.0"]
    assert index.state(STATE_TIP) == service.store.tip()



@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("fault", ["lineage", "git tip"])
def test_a_publish_whose_index_write_fails_midway_leaves_no_partial_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, fault: str) -> None:
    """Version row, feed event, audit entry, lineage and the index's git tip: one transaction.

    The fault comes after the version and its audit entry were written in the transaction
    (in the lineage upkeep, or at the git tip, the last step); none of it may remain, and the
    next write catches the commit up from git.
    """
    from contextlib import ExitStack
    from dataclasses import replace

    from pg import fresh_database

    from registry import lineage_upkeep

    with ExitStack() as stack:
        settings = Settings.for_data_dir(tmp_path / "data")
        if backend == "postgres":
            settings = replace(settings, database_url=stack.enter_context(fresh_database()))
        svc = open_service(settings)
        stack.callback(svc.index.close)  # type: ignore[attr-defined]
        svc.publish(version_files(V1), actor=TAMA, key=V1)
        tip_before = svc.index.state(STATE_TIP)
        feed_before = svc.index.changes(0, 100)
        status_before = svc.index.lineage.of_municipality(V1.lg)

        def boom(*_a: Any, **_k: Any) -> Any:
            raise RuntimeError("the index is down")

        if fault == "lineage":
            monkeypatch.setattr(lineage_upkeep, "after_publish", boom)
        else:
            monkeypatch.setattr(svc.index, "set_state", boom)
        with pytest.raises(RuntimeError, match="the index is down"):
            svc.publish(version_files(V2), actor=TAMA, key=V2)
        monkeypatch.undo()
        commit = svc.store.tip()
        assert commit is not None
        assert commit != tip_before
        assert svc.store.exists(V2)  # git, the source of truth, has it
        assert svc.index_behind
        # ... and the index has none of it: no version, no event, no audit entry, same tip.
        assert [v.version for v in svc.index.versions(V1.lg, V1.slug)] == ["1.0.0"]
        summary = svc.index.get_template(V1.lg, V1.slug)
        assert summary is not None
        assert summary.latest_version == "1.0.0"
        assert svc.index.changes(0, 100) == feed_before
        assert svc.index.audited_commits([commit]) == set()
        assert svc.index.lineage.of_municipality(V1.lg) == status_before
        assert svc.index.state(STATE_TIP) == tip_before

        svc.publish(version_files(OTHER), actor=TAMA, key=OTHER)  # catches up first
        assert not svc.index_behind
        assert [v.version for v in svc.index.versions(V1.lg, V1.slug)] == ["1.0.0", "1.1.0"]
        assert svc.index.audited_commits([commit]) == {commit}
        assert svc.index.state(STATE_TIP) == svc.store.tip()
        status = {s.slug: s.latest_version for s in svc.index.lineage.of_municipality(V1.lg)}
        assert status == {V1.slug: "1.1.0", OTHER.slug: "1.0.0"}


def test_an_index_from_before_the_git_tip_state_is_rebuilt_once(service: RegistryService) -> None:
    with service.index.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("DELETE FROM index_state")
    cu = catch_up(service)
    assert cu.full
    assert cu.versions == 1
    assert service.index.state(STATE_TIP) == service.store.tip()
    assert cu.audit_restored == 0  # the publish's entry names its commit: nothing doubled
    assert catch_up(service).commits == 0


def test_temporary_files_are_kept_in_the_data_folder_and_removed_at_start(
        service: RegistryService) -> None:
    repo = service.settings.repo_path
    dead = repo / "yoshiki-tmp" / "yoshiki-blobs-999999999-abc"
    dead.mkdir(parents=True)
    (dead / "0").write_bytes(b"{}")
    live = repo / "yoshiki-tmp" / f"yoshiki-blobs-{os.getpid()}-abc"
    live.mkdir()
    tmp_obj = repo / "objects" / "ab" / "tmp_obj_XYZ"
    tmp_obj.parent.mkdir(exist_ok=True)
    tmp_obj.write_bytes(b"x")
    past = time.time() - 60
    os.utime(tmp_obj, (past, past))
    report = start(open_service(service.settings))
    assert report.temporary_removed == 2
    assert not dead.exists()
    assert not tmp_obj.exists()
    assert live.exists()  # its process (this one) is alive
    fsck_ok(service.store)


def test_on_postgresql_the_largest_version_fits_and_catch_up_restores_once(tmp_path: Path) -> None:
    """INTEGER is 32-bit there (2147483648.0.0 used to break reindex); ON CONFLICT on the audit."""
    from dataclasses import replace

    from pg import fresh_database

    with fresh_database() as url:
        settings = replace(Settings.for_data_dir(tmp_path / "data"), database_url=url)
        svc = open_service(settings)
        big = VersionKey("132241", "big", "999999999.999999999.999999999")
        svc.publish(version_files(big), actor=TAMA, key=big)
        svc.store.commit_files(under(OTHER, version_files(OTHER)), author=TAMA,
                               message=_message(OTHER))
        again = open_service(settings)
        cu = start(again).catch_up
        assert cu is not None
        assert (cu.versions, cu.audit_restored) == (1, 1)
        assert start(again).catch_up.commits == 0  # type: ignore[union-attr]
        assert svc.reindex() == 2
        assert svc.reindex_skipped == []
        assert [v.version for v in svc.index.versions("132241", "big")] == [big.version]
        publishes = [a for a in svc.index.audit_log(20) if a.action == "publish"]  # type: ignore[attr-defined]
        assert len(publishes) == 2
        for s in (svc, again):
            s.index.close()  # type: ignore[attr-defined]
