"""Bench several nodes: publish throughput with replicas following, and the replication lag.

    .venv/bin/python bench/nodes.py [--writers 8] [--publishes 15] [--samples 40] [--keep DIR]

A primary and two read replicas run as separate ``yoshiki serve`` processes on this machine,
each with its own data folder, following the primary by long poll (``/git/tip``) and fetch.
Printed side by side in one run:

1. publishes/s through the primary's HTTP API with W writer threads, first with no replica
   running, then with both replicas following (each poll is a ``git fetch`` against the
   primary's /git after each new tip: what following costs the primary), then with the writers spread over the
   three nodes (a replica forwards to the primary and syncs before it answers);
2. the replication lag: after a publish to the primary is answered, the time until each
   replica's API shows the version (polled every 5 ms): median and p99, beside the floor — one
   ``git fetch`` of one new commit from the primary by hand — and the poll interval.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SURVEY = ROOT / "tests" / "data" / "web" / "132241" / "event-survey" / "1.0.0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Node:
    def __init__(self, work: Path, name: str, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()) -> None:
        self.data = work / name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (work / f"{name}.log").open("w")
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        full_env.pop("YOSHIKI_DATA_DIR", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(self.port),
                                      "--data-dir", str(self.data), *args], cwd=ROOT, env=full_env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"{name} exited: see {self.log.name}")
            time.sleep(0.1)
        raise SystemExit(f"{name} did not start: see {self.log.name}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def body(slug: str) -> dict[str, Any]:
    schema = json.loads((SURVEY / "schema.json").read_text(encoding="utf-8"))
    schema["$id"] = f"https://yoshiki.invalid/132241/{slug}/1.0.0/schema.json"
    template = json.loads((SURVEY / "template.json").read_text(encoding="utf-8"))
    template["title"] = f"市民講座の参加アンケート {slug}"
    return {"version": "1.0.0", "template": template, "schema": schema,
            "examples": {"valid": {}, "invalid": {}}}


def publish(client: httpx.Client, url: str, token: str, slug: str) -> int:
    r = client.post(f"{url}/api/v1/templates/132241/{slug}/versions", json=body(slug),
                    headers={"Authorization": f"Bearer {token}"}, timeout=120)
    return r.status_code


def throughput(urls: list[str], token: str, writers: int, per: int, tag: str) -> float:
    codes: list[int] = []
    barrier = threading.Barrier(writers + 1)

    def writer(w: int) -> None:
        with httpx.Client() as client:
            barrier.wait()
            for i in range(per):
                codes.append(publish(client, urls[w % len(urls)], token, f"{tag}-{w}-{i}"))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - began
    lost = [c for c in codes if c != 201]
    if lost:
        raise SystemExit(f"{tag}: {len(lost)} publishes refused: {sorted(set(lost))}")
    return len(codes) / took


def lag(primary: Node, replicas: list[Node], token: str, samples: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {r.url: [] for r in replicas}
    with httpx.Client() as client:
        for i in range(samples):
            slug = f"lag-{i}"
            if publish(client, primary.url, token, slug) != 201:
                raise SystemExit(f"{slug} refused")
            answered = time.perf_counter()
            waiting = set(out)
            while waiting:
                for url in list(waiting):
                    r = client.get(f"{url}/api/v1/templates/132241/{slug}/versions/1.0.0")
                    if r.status_code == 200:
                        out[url].append(time.perf_counter() - answered)
                        waiting.discard(url)
                if time.perf_counter() - answered > 30:
                    raise SystemExit(f"{slug} never reached {waiting}")
                time.sleep(0.005)
            time.sleep(0.05 + (i % 7) * 0.03)  # publishes at no fixed phase of the polls
    return out


def fetch_floor(primary: Node, work: Path, token: str, n: int = 10) -> list[float]:
    repo = work / "floor.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", f"{primary.url}/git", str(repo)], check=True)
    times = []
    with httpx.Client() as client:
        for i in range(n):
            publish(client, primary.url, token, f"floor-{i}")
            began = time.perf_counter()
            subprocess.run(["git", f"--git-dir={repo}", "fetch", "--quiet", "--no-tags",
                            f"{primary.url}/git", "+refs/heads/main:refs/heads/main"], check=True)
            times.append(time.perf_counter() - began)
    return times


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--publishes", type=int, default=15, help="per writer and phase")
    parser.add_argument("--samples", type=int, default=40, help="lag samples")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="yoshiki-nodes-"))
    work.mkdir(parents=True, exist_ok=True)
    nodes: list[Node] = []
    try:
        primary = Node(work, "primary")
        nodes.append(primary)
        made = subprocess.run([sys.executable, "-m", "cli", "admin", "token", "create", "--admin",
                               "--name", "bench", "--data-dir", str(primary.data)], cwd=ROOT,
                              capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        token = made.stdout.strip()
        w, per = args.writers, args.publishes
        print(f"publish throughput, {w} writers x {per} over HTTP (work dir {work})")
        alone = throughput([primary.url], token, w, per, "alone")
        print(f"  primary alone                      {alone:7.1f} publishes/s")
        a = Node(work, "replica-a", {}, ("--replica-of", primary.url))
        b = Node(work, "replica-b", {}, ("--replica-of", primary.url))
        nodes += [a, b]
        followed = throughput([primary.url], token, w, per, "followed")
        print(f"  primary, 2 replicas following      {followed:7.1f} publishes/s  "
              f"({followed / alone:.2f}x alone)")
        spread = throughput([primary.url, a.url, b.url], token, w, per, "spread")
        print(f"  writers spread over the 3 nodes    {spread:7.1f} publishes/s  "
              f"({spread / alone:.2f}x alone; a replica forwards, then syncs before answering)")

        print(f"replication lag: a publish answered by the primary -> the version on a replica's API "
              f"({args.samples} samples)")
        floor = fetch_floor(primary, work, token)
        lags = lag(primary, [a, b], token, args.samples)
        for node, name in ((a, "A"), (b, "B")):
            got = lags[node.url]
            print(f"  replica {name} (long poll + fetch)    median {statistics.median(got) * 1000:7.1f} ms  "
                  f"p99 {p99(got) * 1000:7.1f} ms")
        print(f"  floor: one git fetch of one commit  median {statistics.median(floor) * 1000:7.1f} ms  "
              f"p99 {p99(floor) * 1000:7.1f} ms")
        time.sleep(1.5)
        tips = {n.url: httpx.get(n.url + "/healthz").json()["tip"] for n in nodes}
        print(f"  tips agree at the end: {len(set(tips.values())) == 1}")
    finally:
        for node in nodes:
            node.stop()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
