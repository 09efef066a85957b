"""``yoshiki serve`` in a subprocess on a free port, and the CLI in subprocesses against it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "tests" / "data" / "web"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Registry:
    """A running registry: its URL, data folder and process."""

    url: str
    data_dir: Path
    process: subprocess.Popen[str]
    env: dict[str, str]
    log: IO[str]

    def cli(self, *args: str | Path, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``yoshiki`` against this registry."""
        return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=cwd or ROOT,
                              env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=120, check=False)

    def token(self, municipality: str, name: str) -> str:
        """Create a token on the registry's machine (``yoshiki admin token create``)."""
        r = self.cli("admin", "token", "create", "--municipality", municipality, "--name", name,
                     "--data-dir", self.data_dir)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def git(self, *args: str) -> str:
        """Run git on the bare repository."""
        return subprocess.run(["git", "--git-dir", str(self.data_dir / "templates.git"), *args],
                              capture_output=True, text=True, check=True).stdout


def start(tmp_path: Path, *, empty: bool, extra_env: dict[str, str] | None = None,
          workers: int = 1, extra_args: tuple[str, ...] = ()) -> Registry:
    """Start ``yoshiki serve`` and wait until /healthz answers (a new port if one was taken)."""
    for _ in range(3):
        reg = _start_once(tmp_path, empty=empty, extra_env=extra_env, workers=workers,
                          extra_args=extra_args)
        if reg is not None:
            return reg
    raise AssertionError("no free port for yoshiki serve after 3 attempts")


def _start_once(tmp_path: Path, *, empty: bool, extra_env: dict[str, str] | None,
                workers: int, extra_args: tuple[str, ...] = ()) -> Registry | None:
    port = free_port()
    data_dir = tmp_path / "registry-data"
    # The caller's own registry settings never leak in; extra_env sets what a test needs.
    inherited = {k: v for k, v in os.environ.items()
                 if k not in ("YOSHIKI_TOKEN", "YOSHIKI_DATA_DIR", "YOSHIKI_DATABASE_URL")}
    env = {**inherited, "PYTHONUTF8": "1", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "YOSHIKI_REGISTRY": f"http://127.0.0.1:{port}", **(extra_env or {})}
    args = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--data-dir", str(data_dir),
            "--workers", str(workers), *extra_args]
    if empty:
        args.append("--empty")
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.close()
            text = log_path.read_text()
            if "address already in use" in text.lower():
                return None  # another process took the port between free_port() and bind
            raise AssertionError("yoshiki serve exited:\n" + text)
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return Registry(url, data_dir, proc, env, log)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    proc.wait()
    log.close()
    raise AssertionError("yoshiki serve did not answer in 60 s:\n" + log_path.read_text())


def stop(registry: Registry) -> None:
    """Stop the server we started (SIGTERM, then kill)."""
    registry.process.terminate()
    try:
        registry.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        registry.process.kill()
        registry.process.wait()
    registry.log.close()


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry seeded with the starter catalogue, SQLite index."""
    reg = start(tmp_path, empty=False)
    try:
        yield reg
    finally:
        stop(reg)


@pytest.fixture(scope="module")
def module_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """One seeded registry shared by a module's tests (each uses its own names and tokens)."""
    reg = start(tmp_path_factory.mktemp("registry"), empty=False)
    try:
        yield reg
    finally:
        stop(reg)
