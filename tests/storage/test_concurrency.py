"""8 processes x 25 publishes through RegistryService on one bare repository and one SQLite file.

Half of each process's publishes go to its own new templates (all must be accepted), half race
for the SAME versions of one shared template (exactly one process wins each version; the others
get VersionExists). Afterwards every accepted version is in git and in the index, and
``git fsck --strict`` is clean.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from registry.config import Settings
from registry.layout import VersionKey
from registry.wiring import open_service
from tests.storage.conftest import TAMA, fsck_ok, version_files

PROCESSES = 8
PUBLISHES = 25
SHARED = VersionKey("132241", "race-form", "1.0.0")


def shared_version(k: int) -> VersionKey:
    """The k-th racing version: patch releases changing only the description (a cosmetic diff)."""
    return VersionKey(SHARED.lg, SHARED.slug, f"1.0.{k}")


def shared_files(k: int) -> dict[str, bytes]:
    key = shared_version(k)
    return version_files(key, extra_template={"description": f"第{k}版の説明"})


def worker(args: tuple[str, int, Any]) -> list[tuple[str, str, str]]:
    """Publish PUBLISHES versions; return (key, outcome, error code or commit) for each."""
    data_dir, n, barrier = args
    from registry.errors import RegistryError

    service = open_service(Settings.for_data_dir(Path(data_dir)), migrate=False)
    outcomes: list[tuple[str, str, str]] = []
    barrier.wait()
    for j in range(PUBLISHES):
        if j % 2 == 0:
            key = VersionKey("132241", f"own-{n}-{j}", "1.0.0")
            files = version_files(key)
        else:
            key = shared_version(j // 2 + 1)
            files = shared_files(j // 2 + 1)
        try:
            result = service.publish(files, actor=TAMA, key=key)
            outcomes.append((str(key), "ok", result.commit or ""))
        except RegistryError as exc:
            outcomes.append((str(key), "refused", f"{exc.code}: {exc}"))
    return outcomes


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_parallel_publishes_lose_nothing(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    service = open_service(settings)
    service.publish(version_files(SHARED), actor=TAMA, key=SHARED)
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with ctx.Pool(PROCESSES) as pool:
            results = pool.map(worker, [(str(settings.data_dir), n, barrier)
                                        for n in range(PROCESSES)])
    outcomes = [o for r in results for o in r]
    assert len(outcomes) == PROCESSES * PUBLISHES
    accepted = [k for k, status, _ in outcomes if status == "ok"]
    refused = [(k, why) for k, status, why in outcomes if status == "refused"]

    own = [k for k, _, _ in outcomes if "/own-" in k]
    assert sorted(k for k in accepted if "/own-" in k) == sorted(own)  # no own publish refused
    wins = Counter(k for k in accepted if "/race-form@" in k)
    racing = {str(shared_version(j // 2 + 1)) for j in range(1, PUBLISHES, 2)}
    assert set(wins) == racing
    assert set(wins.values()) == {1}  # exactly one winner per version
    assert len(refused) == PROCESSES * len(racing) - len(racing)
    for key, why in refused:
        assert "/race-form@" in key
        assert why.startswith("version-exists: ")
        assert "already published" in why

    in_git = {str(v.key) for v in service.store.iter_versions()}
    assert set(accepted) <= in_git
    assert len(in_git) == len(accepted) + 1
    indexed = {f"{r.lg}/{r.slug}@{r.version}" for k in {a.split("@")[0] for a in accepted}
               for r in service.index.versions(*k.split("/"))}
    assert indexed == set(accepted) | {str(SHARED)}
    # one commit per accepted publish, on one line of history
    log = service.store.log_for(SHARED.template)
    assert len(log) == len(racing) + 1
    fsck_ok(service.store)
