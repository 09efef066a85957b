"""Crash campaign: SIGKILL a real ``yoshiki serve`` during publish bursts, then restart plainly.

Each round starts ``yoshiki serve`` (one worker, SQLite or PostgreSQL), lets W writer threads
publish over HTTP (each its own template, 1.0.0, 1.0.1, …), and kills the server with SIGKILL
after a random 0.2–WINDOW s (``--window``, default 1.2). The next round simply starts the server again — no reindex, no doctor.
After the last kill a final plain start answers the checks:

- kills, publishes answered 201;
- lost: answered 201 but absent from git or from the index after restart (must be 0);
- in git but not indexed after restart (must be 0);
- stale git locks and temporary files left after restart (must be 0); ``git fsck --strict``.

Usage: ``python bench/crash_campaign.py [--kills 20] [--writers 4] [--seed 1]
[--window 1.2] [--database-url postgresql://…]``. Prints the figures; exits 1 if any must-be-0 figure is not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LG = "132241"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _body(slug: str, version: str) -> dict[str, Any]:
    from registry.layout import VersionKey
    from tests.storage.conftest import version_files

    files = version_files(VersionKey(LG, slug, version))
    examples: dict[str, dict[str, Any]] = {"valid": {}, "invalid": {}}
    for i, (path, data) in enumerate(sorted(files.items())):
        if path.startswith("examples/"):
            examples[path.split("/")[1]][f"example-{i}.json"] = json.loads(data)
    return {"version": version, "template": json.loads(files["template.json"]),
            "schema": json.loads(files["schema.json"]), "examples": examples}


@dataclass
class Campaign:
    data_dir: Path
    env: dict[str, str]
    kills: int = 0
    answered: set[tuple[str, str]] = field(default_factory=set)   # (slug, version) → 201
    next_patch: dict[str, int] = field(default_factory=dict)
    log: Path | None = None

    def start(self) -> tuple[subprocess.Popen[bytes], str]:
        port = _free_port()
        args = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--data-dir",
                str(self.data_dir), "--empty"]
        with (self.log or Path(os.devnull)).open("ab") as out:  # the child keeps its own copy
            proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"yoshiki serve exited with {proc.returncode}")
            try:
                r = httpx.get(url + "/healthz", timeout=1)
                if r.status_code in (200, 503):
                    return proc, url
            except httpx.HTTPError:
                time.sleep(0.05)
        proc.kill()
        raise RuntimeError("yoshiki serve did not answer in 60 s")

    def burst(self, url: str, token: str, writers: int, stop: threading.Event) -> None:
        def write(w: int) -> None:
            slug = f"crash-{w}"
            with httpx.Client(base_url=url, timeout=30,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                while not stop.is_set():
                    n = self.next_patch.get(slug, 0)
                    version = f"1.0.{n}"
                    try:
                        r = client.post(f"/api/v1/templates/{LG}/{slug}/versions",
                                        json=_body(slug, version))
                    except httpx.HTTPError:
                        return  # the server died: the outcome of this publish is unknown
                    if r.status_code == 201:
                        self.answered.add((slug, version))
                        self.next_patch[slug] = n + 1
                    elif r.status_code == 409:  # committed before a kill, answer lost: next one
                        self.next_patch[slug] = n + 1
                    else:
                        raise RuntimeError(f"{slug}@{version}: {r.status_code} {r.text[:300]}")

        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _git_versions(repo: Path) -> set[tuple[str, str]]:
    out = subprocess.run(["git", f"--git-dir={repo}", "ls-tree", "-r", "--name-only", "main"],
                         capture_output=True, text=True, check=False).stdout
    found = set()
    for line in out.splitlines():
        parts = line.split("/")
        if len(parts) == 4 and parts[0] == LG and parts[3] == "template.json":
            found.add((parts[1], parts[2]))
    return found


def run(kills: int, writers: int, seed: int, database_url: str | None = None,
        workdir: Path | None = None, window: float = 1.2) -> dict[str, Any]:
    """Run the campaign; return the figures."""
    rng = random.Random(seed)
    base = workdir or Path(tempfile.mkdtemp(prefix="yoshiki-crash-"))
    data_dir = base / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUTF8": "1"}
    for k in ("YOSHIKI_DATA_DIR", "YOSHIKI_DATABASE_URL", "YOSHIKI_REPO_PATH", "YOSHIKI_TOKEN"):
        env.pop(k, None)
    if database_url:
        env["YOSHIKI_DATABASE_URL"] = database_url
    camp = Campaign(data_dir=data_dir, env=env, log=base / "serve.log")
    started = time.monotonic()
    token = ""
    for _ in range(kills):
        proc, url = camp.start()
        if not token:
            token = subprocess.run(
                [sys.executable, "-m", "cli", "admin", "token", "create", "--municipality", LG,
                 "--name", "crash", "--data-dir", str(data_dir), "--format", "json"],
                cwd=ROOT, env=env, capture_output=True, text=True, check=True)
            token = json.loads(token.stdout)["token"]
        stop = threading.Event()
        burst = threading.Thread(target=camp.burst, args=(url, token, writers, stop))
        burst.start()
        time.sleep(rng.uniform(0.2, window))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        camp.kills += 1
        stop.set()
        burst.join()
    proc, url = camp.start()  # the plain restart
    try:
        health = httpx.get(url + "/healthz", timeout=10).json()
        indexed: set[tuple[str, str]] = set()
        for w in range(writers):
            r = httpx.get(f"{url}/api/v1/templates/{LG}/crash-{w}", timeout=10)
            if r.status_code == 200:
                indexed |= {(f"crash-{w}", v["version"]) for v in r.json()["versions"]}
        audited = 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    repo = data_dir / "templates.git"
    in_git = _git_versions(repo)
    from registry.config import Settings
    from registry.storage.maintenance import git_lock_files
    from registry.storage.sql_index import SqlIndex

    settings = Settings.from_env(env, data_dir=data_dir)
    index = SqlIndex(settings.database_url)
    audited = len({a.target for a in index.audit_log(100000) if a.action == "publish"})
    index.close()
    fsck = subprocess.run(["git", f"--git-dir={repo}", "fsck", "--strict", "--no-progress"],
                          capture_output=True, text=True, check=False)
    fsck_bad = [ln for ln in (fsck.stdout + fsck.stderr).splitlines()
                if ln and not ln.startswith(("dangling ", "Checking"))]
    lost = {f"{s}@{v}" for s, v in camp.answered if (s, v) not in in_git or (s, v) not in indexed}
    return {
        "kills": camp.kills, "writers": writers, "backend": "postgresql" if database_url else "sqlite",
        "publishes_201": len(camp.answered), "in_git": len(in_git), "indexed": len(indexed),
        "audited_publishes": audited,
        "lost": len(lost), "lost_list": sorted(lost),
        "in_git_not_indexed": len(in_git - indexed),
        "stale_locks_after_restart": len(git_lock_files(repo)),
        "temporary_files_after_restart": len(list((repo / "yoshiki-tmp").glob("yoshiki-blobs-*")))
        if (repo / "yoshiki-tmp").is_dir() else 0,
        "fsck_ok": fsck.returncode == 0 and not fsck_bad,
        "healthz_after_restart": health.get("status"),
        "seconds": round(time.monotonic() - started, 1),
    }


def ok(figures: dict[str, Any]) -> bool:
    """Every must-be-0 figure is 0, fsck is clean and the restart is healthy."""
    return (figures["lost"] == 0 and figures["in_git_not_indexed"] == 0
            and figures["stale_locks_after_restart"] == 0 and figures["fsck_ok"]
            and figures["audited_publishes"] >= figures["in_git"]
            and figures["healthz_after_restart"] == "ok")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--window", type=float, default=1.2,
                        help="a kill comes 0.2..WINDOW s after the server answers")
    args = parser.parse_args()
    figures = run(args.kills, args.writers, args.seed, args.database_url, window=args.window)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    return 0 if ok(figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
