"""A publish killed with SIGKILL mid-write leaves git at the old or the new tip, never broken.

The child builds its store with the test-only fault hook (``FaultHook``; the point and the pid
file come from ``YOSHIKI_FAULT_PAUSE`` and ``YOSHIKI_FAULT_PAUSE_FILE``), which makes it stop at
the named point and write its pid to the file; the test
then kills it with SIGKILL and checks the repository and the index.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registry.config import Settings
from registry.layout import VersionKey
from registry.service import RegistryService
from registry.wiring import open_service
from tests.storage.conftest import TAMA, fsck_ok, version_files

ROOT = Path(__file__).resolve().parents[2]
V1 = VersionKey("132241", "staff-lunch-survey", "1.0.0")
V2 = VersionKey("132241", "lunch-menu", "1.0.0")  # a new template: the crash is what is tested

CHILD = """
from registry.config import Settings
from registry.layout import VersionKey
from registry.storage.git_store import FaultHook
from registry.wiring import git_store, open_service
from tests.storage.conftest import TAMA, version_files
import os
from pathlib import Path
key = VersionKey("132241", "lunch-menu", "1.0.0")
settings = Settings.from_env()
fault = FaultHook(os.environ["YOSHIKI_FAULT_PAUSE"], Path(os.environ["YOSHIKI_FAULT_PAUSE_FILE"]))
service = open_service(settings, migrate=False, store=git_store(settings, fault=fault))
service.publish(version_files(key), actor=TAMA, key=key)
print("finished without pausing")
"""


def publish_and_kill(data_dir: Path, point: str, tmp_path: Path) -> None:
    pause_file = tmp_path / f"paused-{point}"
    env = {**os.environ, "YOSHIKI_DATA_DIR": str(data_dir), "YOSHIKI_FAULT_PAUSE": point,
           "YOSHIKI_FAULT_PAUSE_FILE": str(pause_file)}
    env.pop("YOSHIKI_DATABASE_URL", None)
    env.pop("YOSHIKI_REPO_PATH", None)
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not pause_file.exists():
        if child.poll() is not None:
            out, err = child.communicate()
            pytest.fail(f"child ended before pausing: {out.decode()} {err.decode()}")
        if time.monotonic() > deadline:
            child.kill()
            child.communicate()
            pytest.fail("child never reached the fault point")
        time.sleep(0.02)
    assert int(pause_file.read_text()) == child.pid
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL


@pytest.fixture
def service(tmp_path: Path) -> RegistryService:
    svc = open_service(Settings.for_data_dir(tmp_path / "data"))
    svc.publish(version_files(V1), actor=TAMA, key=V1)
    return svc


def indexed(service: RegistryService) -> list[str]:
    return sorted(f"{r.slug}@{r.version}" for slug in (V1.slug, V2.slug)
                  for r in service.index.versions(V1.lg, slug))


@pytest.mark.slow
def test_killed_between_objects_and_ref_leaves_the_old_tip(service: RegistryService,
                                                          tmp_path: Path) -> None:
    old_tip = service.store.tip()
    publish_and_kill(service.settings.data_dir, "before-update-ref", tmp_path)
    assert service.store.tip() == old_tip
    assert not service.store.exists(V2)
    assert not (service.settings.repo_path / "refs" / "heads" / "main.lock").exists()
    out = fsck_ok(service.store)
    assert "dangling commit" in out  # the orphaned commit: garbage, not damage
    assert indexed(service) == ["staff-lunch-survey@1.0.0"]
    # The next publish of the same version goes through: nothing was half-written.
    service.publish(version_files(V2), actor=TAMA, key=V2)
    assert indexed(service) == ["lunch-menu@1.0.0", "staff-lunch-survey@1.0.0"]
    fsck_ok(service.store)


@pytest.mark.slow
def test_killed_between_ref_and_index_is_repaired_by_reindex(service: RegistryService,
                                                            tmp_path: Path) -> None:
    old_tip = service.store.tip()
    publish_and_kill(service.settings.data_dir, "after-update-ref", tmp_path)
    new_tip = service.store.tip()
    assert new_tip != old_tip
    assert service.store.exists(V2)
    fsck_ok(service.store)
    assert indexed(service) == ["staff-lunch-survey@1.0.0"]  # git moved, the index did not
    assert service.reindex() == 2
    assert indexed(service) == ["lunch-menu@1.0.0", "staff-lunch-survey@1.0.0"]
    (rec,) = service.index.versions(V2.lg, V2.slug)
    assert rec.commit == new_tip
    assert rec.author_name == "情報政策課 (多摩市 132241)"
    assert service.reindex() == 2  # idempotent
    assert indexed(service) == ["lunch-menu@1.0.0", "staff-lunch-survey@1.0.0"]


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-objects", "in-objects", "before-update-ref",
                                   "after-update-ref"])
def test_killed_at_each_fault_point_then_a_plain_restart_loses_nothing(
        service: RegistryService, tmp_path: Path, point: str) -> None:
    """SIGKILL at the point, then start the app as `yoshiki serve` would: no action by anyone."""
    from litestar.testing import TestClient

    from registry.storage.maintenance import git_lock_files
    from registry.web.app import create_app

    old_tip = service.store.tip()
    publish_and_kill(service.settings.data_dir, point, tmp_path)
    repo = service.settings.repo_path
    committed = point == "after-update-ref"
    assert (service.store.tip() != old_tip) == committed
    if point == "in-objects":  # what the kill left: objects written, no commit naming them
        assert any((repo / "objects").glob("??/*"))
    settings = Settings.for_data_dir(service.settings.data_dir)
    with TestClient(create_app(settings)) as client:  # a plain restart
        assert client.get("/healthz").json()["status"] == "ok"
        r = client.get("/api/v1/templates/132241/lunch-menu")
        assert r.status_code == (200 if committed else 404)
        feed = [e["version"] for e in client.get("/api/v1/changes").json()["events"]
                if e["slug"] == "lunch-menu"]
        assert feed == (["1.0.0"] if committed else [])
    assert git_lock_files(repo) == []
    assert list((repo / "objects").glob("??/tmp_obj_*")) == []
    fsck_ok(service.store)
    restarted = open_service(settings)
    assert indexed(restarted) == (["lunch-menu@1.0.0", "staff-lunch-survey@1.0.0"] if committed
                                  else ["staff-lunch-survey@1.0.0"])
    actions = [(a.action, a.target) for a in restarted.index.audit_log(10)]  # type: ignore[attr-defined]
    assert (("publish", str(V2)) in actions) == committed  # the audit entry restored from git
    # Republishing works: the version (if not written) or the next one (if it was).
    nxt = V2 if not committed else VersionKey(V2.lg, V2.slug, "1.0.1")
    restarted.publish(version_files(nxt), actor=TAMA, key=nxt)
    assert f"lunch-menu@{nxt.version}" in indexed(restarted)
    fsck_ok(restarted.store)
