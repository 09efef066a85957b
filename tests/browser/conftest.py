"""Fixtures of the browser walk: ``yoshiki serve`` on a free port, Debian's headless chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Served:
    """A running ``yoshiki serve``: its URL and data folder."""

    url: str
    data_dir: Path
    env: dict[str, str]

    def token(self, municipality: str, name: str) -> str:
        """A token made on the server's machine with ``yoshiki admin token create``."""
        r = subprocess.run([sys.executable, "-m", "cli", "admin", "token", "create",
                            "--municipality", municipality, "--name", name,
                            "--data-dir", str(self.data_dir)],
                           cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60,
                           check=False)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip().splitlines()[-1].strip()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``yoshiki serve`` seeded with the catalogue, stopped (by its own pid) afterwards."""
    tmp = tmp_path_factory.mktemp("browser")
    data_dir = tmp / "data"
    env = {**os.environ, "PYTHONUTF8": "1", "XDG_CONFIG_HOME": str(tmp / "config")}
    for name in ("YOSHIKI_TOKEN", "YOSHIKI_DATA_DIR", "YOSHIKI_DATABASE_URL"):
        env.pop(name, None)
    for _ in range(3):
        port = _free_port()
        log = (tmp / "serve.log").open("w")
        proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port),
                                 "--data-dir", str(data_dir)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        up = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                up = httpx.get(url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                up = False
            if up:
                break
            time.sleep(0.1)
        if up:
            try:
                yield Served(url, data_dir, env)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                log.close()
            return
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        if "address already in use" not in (tmp / "serve.log").read_text().lower():
            break
    raise AssertionError("yoshiki serve did not start:\n" + (tmp / "serve.log").read_text())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium; missing → skip locally, fail in CI (CI=true)."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots() -> Path:
    """Where screenshots go (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
