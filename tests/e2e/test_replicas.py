"""A primary and two read replicas as separate ``yoshiki serve`` processes (issue 18, part 3).

Each node has its own data folder (bare repository + SQLite index); the replicas follow the
primary over its ``/git`` (smart HTTP) and catch their index up from the commits' trailers.
Eight writers publish across the three nodes (a replica forwards to the primary); nothing is
lost, ``git fsck`` is clean everywhere, every node's index equals a fresh reindex of its own
repository, a replica killed with SIGKILL in the middle of traffic catches up when restarted,
and ``git clone`` of a replica gives the primary's tip.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from served import FORMS, Registry, start, stop

from registry.config import Settings
from registry.wiring import open_service

pytestmark = pytest.mark.slow

SURVEY = FORMS / "132241" / "event-survey" / "1.0.0"
WRITERS = 8
PER_WRITER = 4
COMPARED = {  # table -> columns left out (autoincrement ids)
    "templates": {"id"}, "template_tags": set(), "versions": set(), "lineage": set(),
    "detachments": {"id"}}


def body(slug: str, version: str = "1.0.0") -> dict[str, Any]:
    """A publish body: the sample survey under another slug."""
    schema = json.loads((SURVEY / "schema.json").read_text(encoding="utf-8"))
    schema["$id"] = f"https://yoshiki.invalid/132241/{slug}/{version}/schema.json"
    template = json.loads((SURVEY / "template.json").read_text(encoding="utf-8"))
    template["title"] = f"市民講座の参加アンケート {slug}"
    return {"version": version, "template": template, "schema": schema,
            "examples": {"valid": {}, "invalid": {}}}


def publish(node: Registry, token: str, slug: str) -> httpx.Response:
    return httpx.post(f"{node.url}/api/v1/templates/132241/{slug}/versions", json=body(slug),
                      headers={"Authorization": f"Bearer {token}"}, timeout=120)


def health(node: Registry) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(node.url + "/healthz", timeout=10).json()
    return data


def wait_caught_up(node: Registry, tip: str, timeout: float = 60) -> float:
    """Seconds until the node's index shows ``tip`` (its /healthz index tip)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        h = health(node)
        if (h["tip"] == tip and h["replication"].get("index_tip", tip) == tip
                and h["status"] == "ok"):
            return time.monotonic() - began
        time.sleep(0.05)
    raise AssertionError(f"{node.url} did not catch up with {tip}: {health(node)}")


def rows(db: Path) -> dict[str, list[dict[str, Any]]]:
    """The compared tables' rows (column -> value), without autoincrement ids, sorted."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {}
        for table, skip in COMPARED.items():
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]
            got = conn.execute("SELECT " + ", ".join(f'"{c}"' for c in cols) + f" FROM {table}").fetchall()
            out[table] = sorted((dict(zip(cols, row, strict=True)) for row in got), key=repr)
        return out
    finally:
        conn.close()


def differences(ours: dict[str, list[dict[str, Any]]],
                fresh: dict[str, list[dict[str, Any]]]) -> list[str]:
    """What differs, row by row and column by column (empty when equal)."""
    found = []
    for table in COMPARED:
        a, b = ours[table], fresh[table]
        if len(a) != len(b):
            found.append(f"{table}: {len(a)} rows, a fresh reindex has {len(b)}")
            continue
        for x, y in zip(a, b, strict=True):
            found += [f"{table} {x.get('lg')}/{x.get('slug')}: {c} = {x[c]!r}, fresh {y[c]!r}"
                      for c in x if x[c] != y[c]]
    return found


def fresh_reindex(node: Registry, where: Path) -> dict[str, list[dict[str, Any]]]:
    """A new index built from the node's repository alone."""
    settings = Settings.for_data_dir(where, repo_path=node.data_dir / "templates.git")
    service = open_service(settings)
    service.reindex()
    return rows(where / "index.sqlite3")


def fsck(node: Registry) -> None:
    proc = subprocess.run(["git", "--git-dir", str(node.data_dir / "templates.git"), "fsck",
                           "--strict", "--no-progress"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower(), proc.stderr
    assert "missing" not in proc.stderr.lower(), proc.stderr


def test_primary_and_two_replicas(tmp_path: Path) -> None:
    for name in ("primary", "replica1", "replica2"):
        (tmp_path / name).mkdir()
    primary = start(tmp_path / "primary", empty=False)
    nodes: list[Registry] = [primary]
    try:
        follow = {"YOSHIKI_REPLICA_POLL_SECONDS": "0.2"}
        nodes.append(start(tmp_path / "replica1", empty=False, extra_env=follow,
                           extra_args=("--replica-of", primary.url)))
        nodes.append(start(tmp_path / "replica2", empty=False,
                           extra_env={**follow, "YOSHIKI_PRIMARY_URL": primary.url}))
        token = _admin_token(primary)
        for replica in nodes[1:]:
            h = health(replica)
            assert h["replication"]["role"] == "replica"
            assert h["replication"]["primary"] == primary.url
        assert health(primary)["replication"] == {"role": "primary"}

        # 8 writers across the nodes: 3 to the primary, 5 through the replicas (forwarded).
        results: dict[str, int] = {}
        barrier = threading.Barrier(WRITERS)

        def writer(w: int) -> None:
            node = nodes[w % len(nodes)]
            barrier.wait()
            for i in range(PER_WRITER):
                slug = f"node-w{w}-{i}"
                r = publish(node, token, slug)
                results[slug] = r.status_code
                if r.status_code == 201 and node is not primary:
                    assert r.headers["x-yoshiki-served-by"] == "primary"
                    # read-your-writes on the replica that forwarded the write
                    got = httpx.get(f"{node.url}/api/v1/templates/132241/{slug}/versions/1.0.0")
                    assert got.status_code == 200, got.text

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == WRITERS * PER_WRITER
        assert set(results.values()) == {201}, results
        tip = primary.git("rev-parse", "refs/heads/main").strip()
        for node in nodes[1:]:
            wait_caught_up(node, tip)

        # Kill -9 a replica while writes flow, publish more, restart it: it catches up.
        victim = nodes[2]
        stop_flag = threading.Event()
        more: list[int] = []

        def keep_writing() -> None:
            i = 0
            while not stop_flag.is_set() and i < 40:
                more.append(publish(primary if i % 2 else nodes[1], token, f"after-kill-{i}").status_code)
                i += 1

        background = threading.Thread(target=keep_writing)
        background.start()
        time.sleep(0.8)
        victim.process.kill()
        victim.process.wait()
        victim.log.close()
        time.sleep(0.5)
        stop_flag.set()
        background.join()
        assert more
        assert set(more) == {201}, more
        nodes[2] = start(tmp_path / "replica2", empty=False,
                         extra_env={**follow, "YOSHIKI_PRIMARY_URL": primary.url})
        tip = primary.git("rev-parse", "refs/heads/main").strip()
        for node in nodes[1:]:
            wait_caught_up(node, tip)

        # Every node: every version, fsck clean, index == a fresh reindex of its own git.
        slugs = [*results, *(f"after-kill-{i}" for i in range(len(more)))]
        for n, node in enumerate(nodes):
            assert node.git("rev-parse", "refs/heads/main").strip() == tip
            listed = httpx.get(f"{node.url}/api/v1/templates", params={"municipality": "132241",
                                                                       "limit": 100}).json()
            names = {item["slug"] for item in listed["items"]}
            cursor = listed.get("next_cursor")
            while cursor:
                page = httpx.get(f"{node.url}/api/v1/templates",
                                 params={"municipality": "132241", "limit": 100, "cursor": cursor}).json()
                names |= {item["slug"] for item in page["items"]}
                cursor = page.get("next_cursor")
            assert set(slugs) <= names, set(slugs) - names
            fsck(node)
            diff = differences(rows(node.data_dir / "index.sqlite3"),
                               fresh_reindex(node, tmp_path / f"fresh{n}"))
            assert not diff, f"{node.url}: " + "\n".join(diff[:20])

        # git clone of a replica holds the primary's tip.
        clone = tmp_path / "clone"
        subprocess.run(["git", "clone", "--quiet", f"{nodes[1].url}/git", str(clone)], check=True,
                       capture_output=True)
        head = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        assert head == tip
    finally:
        for node in nodes:
            if node.process.poll() is None:
                stop(node)


def _admin_token(primary: Registry) -> str:
    r = primary.cli("admin", "token", "create", "--admin", "--name", "管理者", "--data-dir",
                    primary.data_dir)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()
