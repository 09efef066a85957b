"""A read replica: a node that follows its primary by ``git fetch`` and catches its index up.

The primary is the one node that writes. A replica (``yoshiki serve --replica-of URL``,
``YOSHIKI_PRIMARY_URL``) has its own data folder — its own bare repository and its own SQL
index — and **follows** the primary over the registry's own smart HTTP (``<primary>/git``,
registry/web/git_http.py). One sync:

1. ``git fetch <primary>/git +refs/heads/main:refs/yoshiki/primary`` (only the branch; objects
   arrive through git's pack protocol, checked by git as it indexes them);
2. ``refs/heads/main`` moves to the fetched commit **only by fast-forward**, with
   ``update-ref``'s compare-and-swap. A primary whose history no longer contains the replica's
   tip (restored from an older backup, rewritten by hand) is refused: logged as an error, and
   /healthz says ``degraded`` until an operator looks (``yoshiki reindex`` on a fresh replica
   folder is the way back);
3. the index catches up with the new tip by the **same catch-up** a restart runs
   (registry/recovery.py: ``git log <index tip>..<tip>`` applied from its trailers) — there is
   no second indexer, so a replica's index is what a reindex of its own repository would give.

Syncs run in one thread of one worker (an exclusive ``flock`` on ``replica-follow.lock`` elects
it): the thread **long-polls** the primary's ``/git/tip?after=<our tip>`` (answered within
~20 ms of a publish, or after 10 s unchanged) and syncs after each answer; when the primary
does not answer that (unreachable, or an older registry), it syncs every
``replica_poll_seconds`` (1 s by default) instead. A replica also syncs right after a write it
forwarded to the primary (registry/web/replica_web.py), so that its writer reads what it wrote.
Every sync holds ``replica-sync.lock`` (flock): workers never fetch or catch up at once. A
replica killed at any point (SIGKILL) is consistent at restart: a fetch only adds objects and
moves a private ref; ``main`` moves by compare-and-swap after the objects are in; the index
remembers the last commit it caught up with. A restart's ordinary catch-up plus the next sync
finish the job.

What a sync saw is kept in ``replica.json`` in the data folder (written atomically), so /healthz
of every worker reports the role, the primary, the last successful fetch, the commits the index
is behind the primary's tip as last seen, and what went wrong.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.recovery import STATE_TIP, catch_up

if TYPE_CHECKING:
    from registry.config import Settings
    from registry.service import RegistryService

PRIMARY_REF = "refs/yoshiki/primary"
MAIN_REF = "refs/heads/main"
STATE_FILE = "replica.json"
SYNC_LOCK = "replica-sync.lock"
FOLLOW_LOCK = "replica-follow.lock"
FETCH_TIMEOUT = 120.0
LONG_POLL_SECONDS = 10.0
log = logging.getLogger("yoshiki.replica")


def git_url(primary_url: str) -> str:
    """Where a primary serves its repository."""
    return primary_url.rstrip("/") + "/git"


@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


class Follower:
    """Syncs one replica's repository and index with its primary (see the module docstring)."""

    def __init__(self, service: RegistryService, settings: Settings) -> None:
        if not settings.primary_url:
            raise ValueError("a Follower needs settings.primary_url")
        self.service = service
        self.settings = settings
        self.url = git_url(settings.primary_url)
        self.repo = Path(settings.repo_path)
        self.data_dir = Path(settings.data_dir)
        self._cond = threading.Condition()
        self._running = False
        self._done_start = float("-inf")  # monotonic start of the newest finished sync
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one sync ------------------------------------------------------------------------------
    def _git(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
        return subprocess.run(["git", f"--git-dir={self.repo}", *args], capture_output=True,
                              env=env, timeout=timeout, check=False)

    def _rev(self, ref: str) -> str | None:
        out = self._git("rev-parse", "-q", "--verify", f"{ref}^{{commit}}").stdout.decode().strip()
        return out or None

    def _count(self, since: str | None, tip: str | None) -> int:
        if tip is None or since == tip:
            return 0
        rev = f"{since}..{tip}" if since else tip
        proc = self._git("rev-list", "--count", "--first-parent", rev)
        out = proc.stdout.decode().strip()
        return int(out) if proc.returncode == 0 and out.isdigit() else -1

    def sync(self) -> dict[str, Any]:
        """Fetch, fast-forward, catch the index up; the new state (also written to replica.json)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with _flock(self.data_dir / SYNC_LOCK):
            state = read_state(self.settings)
            state.update(primary=self.settings.primary_url, last_attempt_at=_now(),
                         last_attempt_epoch=time.time())
            try:
                self._sync(state)
            except (OSError, subprocess.SubprocessError, RuntimeError, ValueError) as exc:
                state["last_error"] = f"{type(exc).__name__}: {exc}"[:500]
                log.error("replica sync from %s failed: %s", self.url, state["last_error"])
            write_state(self.settings, state)
            return state

    def _sync(self, state: dict[str, Any]) -> None:
        proc = self._git("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", self.url,
                         f"+{MAIN_REF}:{PRIMARY_REF}", timeout=FETCH_TIMEOUT)
        stderr = proc.stderr.decode(errors="replace").strip()
        if proc.returncode != 0 and "couldn't find remote ref" not in stderr:
            state["last_error"] = f"git fetch {self.url}: {stderr[:400]}"
            log.warning("replica: fetch from %s failed: %s", self.url, stderr[:400])
            return
        fetched = self._rev(PRIMARY_REF) if proc.returncode == 0 else None
        local = self._rev(MAIN_REF)
        state["diverged"] = None
        if fetched is not None and fetched != local:
            if local is None or self._git("merge-base", "--is-ancestor", local, fetched).returncode == 0:
                moved = self._git("update-ref", "-m", f"replica: fast-forward from {self.url}",
                                  MAIN_REF, fetched, local or "0" * 40)
                if moved.returncode != 0:
                    raise RuntimeError("update-ref: " + moved.stderr.decode(errors="replace").strip())
            else:
                state["diverged"] = (f"the primary's main ({fetched[:12]}) does not contain this "
                                     f"replica's main ({local[:12]}): not a fast-forward, refused")
                log.error("REPLICA DIVERGED from %s: %s; serving the old history until an "
                          "operator rebuilds this replica", self.url, state["diverged"])
        report = catch_up(self.service, level=logging.INFO)
        index_tip = self.service.index.state(STATE_TIP)
        state.update(last_fetch_at=_now(), last_fetch_epoch=time.time(), last_error=None,
                     primary_tip=fetched, tip=self._rev(MAIN_REF), index_tip=index_tip,
                     commits_behind=self._count(index_tip, fetched),
                     applied=report.commits + int(state.get("applied") or 0))
        state["fetches"] = int(state.get("fetches") or 0) + 1

    def sync_since(self, moment: float, timeout: float = 30.0) -> None:
        """Return once a sync that *started* after ``moment`` (monotonic) has finished.

        Concurrent callers share syncs: a caller waits for the running one, then joins or runs
        the next — eight writers forwarded at once cause a few syncs, not eight.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._done_start >= moment:
                    return
                if not self._running:
                    self._running = True
                    started = time.monotonic()
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)
        try:
            self.sync()
        finally:
            with self._cond:
                self._running = False
                self._done_start = max(self._done_start, started)
                self._cond.notify_all()

    # -- the polling thread ----------------------------------------------------------------
    def start(self) -> None:
        """Poll in a daemon thread (the worker that holds replica-follow.lock polls; others wait)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="yoshiki-replica", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop polling (waits for the current sync)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)  # a daemon: a long poll or a fetch may be cut short
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            with _flock(self.data_dir / FOLLOW_LOCK, blocking=False) as elected:
                if not elected:
                    self._stop.wait(5.0)
                    continue
                while not self._stop.is_set():
                    try:
                        self.sync_since(time.monotonic())
                    except Exception:  # the thread must outlive any one failure
                        log.exception("replica sync failed")
                    if not self._wait_for_primary():
                        self._stop.wait(self.settings.replica_poll_seconds)

    def _wait_for_primary(self) -> bool:
        """Long-poll the primary's ``/git/tip`` until its tip differs from ours (True), or give
        up (False: an older primary, or unreachable — the caller falls back to polling)."""
        import httpx

        ours = self._rev(MAIN_REF) or ""
        try:
            r = httpx.get(self.url + "/tip", params={"after": ours, "wait": LONG_POLL_SECONDS},
                          timeout=LONG_POLL_SECONDS + 10, trust_env=False)
            return r.status_code == 200 and isinstance(r.json(), dict)
        except (httpx.HTTPError, ValueError):
            return False


# -- the state file, and what /healthz says --------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_state(settings: Settings) -> dict[str, Any]:
    """What the last sync wrote (``{}`` before the first)."""
    try:
        data = json.loads((Path(settings.data_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(settings: Settings, state: dict[str, Any]) -> None:
    """Replace replica.json atomically."""
    path = Path(settings.data_dir) / STATE_FILE
    tmp = path.with_name(f".{STATE_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def health(settings: Settings) -> tuple[dict[str, Any], dict[str, str]]:
    """``(replication, checks)`` for /healthz: the role, and the replication checks."""
    if not settings.primary_url:
        return {"role": "primary"}, {}
    state = read_state(settings)
    last = state.get("last_fetch_epoch")
    since = round(time.time() - float(last), 3) if isinstance(last, int | float) else None
    replication = {"role": "replica", "primary": settings.primary_url,
                   "last_fetch_at": state.get("last_fetch_at"), "seconds_since_fetch": since,
                   "commits_behind": state.get("commits_behind"),
                   "primary_tip": state.get("primary_tip"), "index_tip": state.get("index_tip"),
                   "poll_seconds": settings.replica_poll_seconds,
                   "last_error": state.get("last_error"), "diverged": state.get("diverged")}
    checks: dict[str, str] = {}
    if state.get("diverged"):
        checks["replica_fast_forward"] = str(state["diverged"])
    if since is None:
        checks["replica_fetch"] = f"never fetched from {settings.primary_url}" + (
            f": {state['last_error']}" if state.get("last_error") else "")
    elif since > settings.replica_max_lag_seconds:
        checks["replica_fetch"] = (f"no successful fetch from {settings.primary_url} for {since:.0f} s"
                                   + (f": {state['last_error']}" if state.get("last_error") else ""))
    else:
        checks["replica_fetch"] = "ok"
    checks.setdefault("replica_fast_forward", "ok")
    return replication, checks


__all__ = ["Follower", "git_url", "health", "read_state", "write_state"]
