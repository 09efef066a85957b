"""The HTTP API under load: reads of a version document and search, with 1 and 2 workers.

    .venv/bin/python bench/api.py [--seconds 5] [--concurrency 32] [--publishes 30]

Starts ``yoshiki serve`` (seeded with the starter catalogue) on a free loopback port, and next to
it two floors: the same version document served by ``python -m http.server`` (a plain file
server) and by a bare ASGI app under uvicorn (the same server stack without framework or store). Each
scenario runs ``--concurrency`` connections (httpx.AsyncClient, keep-alive) for ``--seconds`` and
prints requests/s and latency p50/p99, with the ratio to the static floor. The load comes from
``wrk`` (Debian package ``wrk``) when it is installed, else from httpx.AsyncClient (which
saturates a core by itself and then measures the client more than the server). Then publish
throughput over HTTP (one new template per request, sequential). The load generator runs on the
same 2 cores as the server: figures are for comparison between rows, not absolute capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DOC = "/api/v1/templates/132241/staff-lunch-survey/versions/1.1.0"
SEARCH = "/api/v1/templates?q=%E3%82%A2%E3%83%B3%E3%82%B1%E3%83%BC%E3%83%88"  # アンケート


FLOOR_APP = """
from pathlib import Path

BODY = (Path(__file__).parent / "doc.json").read_bytes()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
"""


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Until ``url`` answers 200 (or the process died)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited while starting ({url})")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def serve(data_dir: Path, workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    """Start the registry; return its URL and process."""
    port = free_port()
    env = {**os.environ, "PYTHONUTF8": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port),
                             "--data-dir", str(data_dir), "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait(url + "/healthz", proc)
    return url, proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server we started."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def load(url: str, seconds: float, concurrency: int) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, errors) for ``concurrency`` connections over ``seconds``."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await client.get(url)  # warm the cache
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                r = await client.get(url)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000, errors


def wrk_load(url: str, seconds: float, concurrency: int) -> tuple[float, float, float, int]:
    """The same figures measured by wrk (2 threads, keep-alive)."""
    out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def ms(text: str) -> float:
        m = re.fullmatch(r"([0-9.]+)(us|ms|s)", text)
        return float(m.group(1)) * units[m.group(2)] if m else float("nan")

    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return rps, p50, p99, errors


def measure(url: str, seconds: float, concurrency: int) -> tuple[float, float, float, int]:
    """wrk when installed, else the httpx load generator."""
    if shutil.which("wrk"):
        return wrk_load(url, seconds, concurrency)
    return asyncio.run(load(url, seconds, concurrency))


def publish_throughput(url: str, token: str, count: int) -> float:
    """Publishes per second over HTTP (one new template each, sequential)."""
    folder = ROOT / "tests" / "data" / "web" / "132241" / "event-survey" / "1.0.0"
    template = json.loads((folder / "template.json").read_text(encoding="utf-8"))
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    examples = {kind: {f.name: json.loads(f.read_text(encoding="utf-8"))
                       for f in sorted((folder / "examples" / kind).glob("*.json"))}
                for kind in ("valid", "invalid")}
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    with httpx.Client(timeout=60) as client:
        for i in range(count):
            slug = f"bench-survey-{i}"
            body = {"version": "1.0.0", "template": template, "examples": examples,
                    "schema": {**schema, "$id": f"https://yoshiki.invalid/132241/{slug}/1.0.0/schema.json"}}
            r = client.post(f"{url}/api/v1/templates/132241/{slug}/versions", json=body, headers=headers)
            if r.status_code != 201:
                raise SystemExit(f"publish failed: {r.status_code} {r.text[:300]}")
    return count / (time.perf_counter() - started)


def main() -> None:
    """Run every scenario and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--publishes", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yoshiki-bench-api-"))
    rows: list[tuple[str, float, float, float, int]] = []
    try:
        data_dir = tmp / "data"
        url, proc = serve(data_dir, 1)
        static_dir = tmp / "static"
        static_dir.mkdir()
        (static_dir / "doc.json").write_bytes(httpx.get(url + DOC).content)
        sport = free_port()
        static = subprocess.Popen([sys.executable, "-m", "http.server", str(sport), "--bind", "127.0.0.1",
                                   "--directory", str(static_dir)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        static_url = f"http://127.0.0.1:{sport}/doc.json"
        wait(static_url, static)
        try:
            rows.append(("static floor (http.server) doc.json", *measure(static_url, args.seconds, args.concurrency)))
        finally:
            stop(static)
        # A second floor: the same bytes from a bare ASGI app under uvicorn (no framework, no git).
        (static_dir / "floor.py").write_text(FLOOR_APP, encoding="utf-8")
        aport = free_port()
        asgi = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor:app", "--app-dir", str(static_dir),
                                 "--port", str(aport), "--log-level", "warning", "--no-access-log"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        asgi_url = f"http://127.0.0.1:{aport}/doc.json"
        wait(asgi_url, asgi)
        try:
            rows.append(("ASGI floor (bare uvicorn app) same bytes", *measure(asgi_url, args.seconds, args.concurrency)))
        finally:
            stop(asgi)
        for workers in (1, 2):
            if workers == 2:
                url, proc = serve(data_dir, 2)
            try:
                rows.append((f"GET version document, {workers} worker(s)", *measure(url + DOC, args.seconds, args.concurrency)))
                rows.append((f"GET search アンケート, {workers} worker(s)", *measure(url + SEARCH, args.seconds, args.concurrency)))
                if workers == 1:
                    token = subprocess.run(
                        [sys.executable, "-m", "cli", "admin", "token", "create", "--municipality", "132241",
                         "--name", "bench", "--data-dir", str(data_dir)],
                        cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
                    per_s = publish_throughput(url, token, args.publishes)
            finally:
                stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    floor, asgi_floor = rows[0][1], rows[1][1]
    tool = "wrk" if shutil.which("wrk") else "httpx"
    print(f"{args.concurrency} connections, {args.seconds:.0f} s each, load by {tool} on the same machine")
    print(f"{'scenario':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs static':>10} {'vs ASGI':>8}")
    for name, rps, p50, p99, errs in rows:
        print(f"{name:44} {rps:8.0f} {p50:8.1f} {p99:8.1f} {errs:7d} {rps / floor:9.2f}x {rps / asgi_floor:7.2f}x")
    print(f"publish over HTTP (sequential, new template each): {per_s:.1f} publishes/s "
          f"({1000 / per_s:.0f} ms each, {args.publishes} publishes)")


if __name__ == "__main__":
    main()
