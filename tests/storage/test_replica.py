"""A replica's sync (registry/replica.py): fetch, fast-forward only, the index caught up by catch-up.

The primary's repository is fetched here from its folder (git fetch takes a path as well as a
URL); tests/e2e/test_replicas.py does the same over the registry's own HTTP.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from registry import replica
from registry.config import Settings
from registry.errors import UsageError
from registry.layout import VersionKey
from registry.recovery import STATE_TIP
from registry.service import RegistryService
from registry.wiring import open_service
from tests.storage.conftest import TAMA, fsck_ok, version_files

V1 = VersionKey("132241", "staff-lunch-survey", "1.0.0")
V2 = VersionKey("132241", "staff-lunch-survey", "1.1.0")
OTHER = VersionKey("132241", "lunch-menu", "1.0.0")


@pytest.fixture
def primary(tmp_path: Path) -> RegistryService:
    svc = open_service(Settings.for_data_dir(tmp_path / "primary"))
    svc.publish(version_files(V1), actor=TAMA, key=V1)
    return svc


@pytest.fixture
def follower(tmp_path: Path, primary: RegistryService) -> replica.Follower:
    settings = replace(Settings.for_data_dir(tmp_path / "replica"), primary_url="http://primary.invalid")
    f = replica.Follower(open_service(settings), settings)
    f.url = str(primary.settings.repo_path)  # fetch from the folder instead of over HTTP
    return f


def records(service: RegistryService) -> list[tuple[str, str, str, str, list[str]]]:
    return sorted((r.lg, r.slug, r.version, r.commit, r.field_titles) for r in service.records())


def test_a_replica_follows_by_fast_forward_and_catches_up_incrementally(
        primary: RegistryService, follower: replica.Follower) -> None:
    state = follower.sync()
    mine = follower.service
    assert state["tip"] == primary.store.tip() == mine.store.tip()
    assert (state["commits_behind"], state["last_error"], state["diverged"]) == (0, None, None)
    assert mine.index.state(STATE_TIP) == primary.store.tip()
    assert mine.get_version(V1).schema == primary.get_version(V1).schema

    primary.publish(version_files(V2), actor=TAMA, key=V2)
    primary.publish(version_files(OTHER), actor=TAMA, key=OTHER)
    before = mine.index.state(STATE_TIP)
    state = follower.sync()
    assert state["tip"] == primary.store.tip()
    assert state["applied"] == 3  # 1 at first (a full reindex of the new index), then 2 commits
    assert mine.index.state(STATE_TIP) == primary.store.tip() != before
    assert [v.version for v in mine.index.versions("132241", "staff-lunch-survey")] == ["1.0.0", "1.1.0"]
    fsck_ok(mine.store)  # type: ignore[arg-type]
    # what a fresh reindex of the replica's own repository gives
    rebuilt = open_service(replace(mine.settings, data_dir=mine.settings.data_dir / "fresh",
                                   database_url=f"sqlite:///{mine.settings.data_dir / 'fresh.sqlite3'}"))
    rebuilt.reindex()
    assert records(rebuilt) == records(mine)
    assert records(mine) == records(primary)
    replication, checks = replica.health(mine.settings)
    assert replication["role"] == "replica"
    assert checks == {"replica_fetch": "ok", "replica_fast_forward": "ok"}


def test_a_primary_that_is_not_a_fast_forward_is_refused(primary: RegistryService,
                                                         follower: replica.Follower) -> None:
    follower.sync()
    kept = follower.service.store.tip()
    # The primary's history is rewritten (say, restored from an older backup and written again).
    repo = str(primary.settings.repo_path)
    parentless = subprocess.run(["git", f"--git-dir={repo}", "commit-tree", f"{kept}^{{tree}}",
                                 "-m", "rewritten"], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["git", f"--git-dir={repo}", "update-ref", "refs/heads/main", parentless], check=True)
    state = follower.sync()
    assert state["diverged"]
    assert "not a fast-forward" in state["diverged"]
    assert follower.service.store.tip() == kept  # main did not move
    _, checks = replica.health(follower.settings)
    assert checks["replica_fast_forward"] != "ok"


def test_an_unreachable_primary_is_reported_not_raised(follower: replica.Follower) -> None:
    follower.url = str(follower.data_dir / "nowhere.git")
    state = follower.sync()
    assert "nowhere.git" in state["last_error"]
    _, checks = replica.health(follower.settings)
    assert checks["replica_fetch"].startswith("never fetched")


def test_sync_since_shares_a_running_sync(primary: RegistryService, follower: replica.Follower) -> None:
    import threading
    import time

    moment = time.monotonic()
    threads = [threading.Thread(target=follower.sync_since, args=(moment,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert replica.read_state(follower.settings)["fetches"] <= 2


@pytest.mark.parametrize("url", ["ftp://x", "http://", "primary", "http://u:p@host", "http://h/?q=1"])
def test_a_bad_primary_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError):
        Settings.from_env({"YOSHIKI_PRIMARY_URL": url, "YOSHIKI_DATA_DIR": "/tmp/x"})


def test_settings_read_the_replica_variables() -> None:
    s = Settings.from_env({"YOSHIKI_PRIMARY_URL": "http://10.0.0.5:8000/", "YOSHIKI_DATA_DIR": "/tmp/x",
                           "YOSHIKI_REPLICA_POLL_SECONDS": "0.5"})
    assert (s.primary_url, s.replica_poll_seconds, s.is_replica) == ("http://10.0.0.5:8000", 0.5, True)
    assert not Settings.from_env({"YOSHIKI_DATA_DIR": "/tmp/x"}).is_replica
    with pytest.raises(UsageError):
        Settings.from_env({"YOSHIKI_DATA_DIR": "/tmp/x", "YOSHIKI_REPLICA_POLL_SECONDS": "-1"})
