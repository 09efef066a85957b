"""Keeping the bare repository writable and small: stale git locks, temporary files, packing.

**Stale locks.** git takes a ref lock (``refs/heads/main.lock``, ``HEAD.lock``,
``packed-refs.lock``…) by creating the file with O_EXCL and releases it by renaming or removing
it. A process killed in between (SIGKILL, the OOM killer, a stop timeout) leaves the file, and
every later ``update-ref`` fails on it. A lock file is *stale*, and is removed, when both hold:

1. **No writer of this registry can own it.** Every registry writer runs ``update-ref`` while it
   holds an exclusive ``flock`` on ``yoshiki-writers.lock`` (git_store.commit_files), and the
   kernel releases a flock when its process dies. So whoever holds that flock — a writer in its
   retry loop, or the start-up / ``yoshiki admin doctor`` check taking it with LOCK_NB — knows that
   no other registry writer on this host is between "lock" and "rename".
2. **It is older than ``LOCK_GRACE`` (2 s).** git holds a ref lock for milliseconds; the grace
   covers a git process that is not ours (an operator's ``git`` by hand, a writer on another host
   sharing the folder over a network filesystem, where flock may do nothing) — such a process
   would have to hang inside one ref update for longer than the grace to be cut off.

A writer that finds a lock younger than the grace waits until it is that old, then removes it and
retries: a stale lock costs one publish at most ~2 s, never a 409 after 200 attempts. Objects
(``objects/``) are never locked this way and are never touched here.

**Temporary files.** Blobs are written through files in ``<repo>/yoshiki-tmp/yoshiki-blobs-<pid>-*``
(inside the data folder, not /tmp); a folder whose process is gone is removed at start. git's own
``objects/**/tmp_obj_*`` (an object being written, renamed into place in milliseconds) are removed
when older than the grace.

**Packing.** Every publish adds a handful of loose objects. ``RepackScheduler`` runs
``git repack -d -q`` in a background thread after every N writes of this process: it packs the
loose objects reachable from the refs and removes the loose copies of what it packed. It takes no
ref lock and never deletes an unreachable object, so writers run on while it works (an object a
writer has written but not yet referenced simply stays loose until the next run). One effect on
writers: a writer's long-running ``git mktree --batch`` does not re-scan packs, so a reachable
object the repack has just moved into a new pack looks "unavailable" to it; the writer then
starts fresh helpers and builds again, as after a lost race (git_store.commit_files); likewise
when prune-packed removes an emptied ``objects/xx/`` folder just as git writes into it. At most one
repack per repository runs at a time (``flock`` on ``yoshiki-maintenance.lock``, non-blocking).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_GRACE = 2.0
WRITERS_LOCK = "yoshiki-writers.lock"
MAINTENANCE_LOCK = "yoshiki-maintenance.lock"
TMP_DIR = "yoshiki-tmp"
OUR_LOCKS = frozenset({WRITERS_LOCK, MAINTENANCE_LOCK})
_LOCK_IN_STDERR = re.compile(rb"Unable to create '([^']+\.lock)': File exists")
log = logging.getLogger("yoshiki.maintenance")


def git_lock_files(repo: Path) -> list[Path]:
    """git's lock files in the repository (top level, refs/, logs/, objects/info/)."""
    found: list[Path] = []
    if not repo.is_dir():
        return found
    found += [p for p in repo.glob("*.lock") if p.name not in OUR_LOCKS and p.is_file()]
    for sub in ("refs", "logs", "objects/info"):
        base = repo / sub
        if base.is_dir():
            found += [p for p in base.rglob("*.lock") if p.is_file()]
    return sorted(found)


def _age(path: Path) -> float | None:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return None


def _remove_if_stale(path: Path, *, wait: bool) -> bool:
    """Remove ``path`` once it is older than the grace (waiting for that if ``wait``)."""
    age = _age(path)
    if age is None:
        return False
    if age < LOCK_GRACE:
        if not wait:
            return False
        time.sleep(LOCK_GRACE - age + 0.05)
        age = _age(path)
        if age is None or age < LOCK_GRACE:  # gone, or re-created meanwhile: a live owner
            return False
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        log.warning("removed a stale git lock %s (%.1f s old, no writer holds %s)", path, age,
                    WRITERS_LOCK)
        return True
    return False


def clear_stale_lock_from(repo: Path, stderr: bytes) -> bool:
    """After a failed ``update-ref`` (the caller holds the writers' flock): clear its lock.

    True when git named a lock file inside ``repo`` and it was removed (possibly after waiting
    for it to reach the grace age).
    """
    m = _LOCK_IN_STDERR.search(stderr or b"")
    if m is None:
        return False
    path = Path(os.fsdecode(m.group(1)))
    if not path.is_absolute():
        path = repo / path
    try:
        path.resolve().relative_to(repo.resolve())
    except ValueError:
        return False
    return _remove_if_stale(path, wait=True)


@contextlib.contextmanager
def _try_flock(path: Path) -> Iterator[bool]:
    """Hold an exclusive flock on ``path`` if nobody else does (yield False otherwise)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def clear_stale_locks(repo: Path, *, wait: bool = True) -> tuple[list[Path], list[Path]]:
    """(removed, left) git lock files; see the module docstring for when one is stale.

    If a registry writer holds the writers' flock right now, nothing is removed (it may own
    them) and every lock is reported as left.
    """
    locks = git_lock_files(repo)
    if not locks:
        return [], []
    removed: list[Path] = []
    with _try_flock(repo / WRITERS_LOCK) as holding:
        if not holding:
            return [], locks
        for path in locks:
            if _remove_if_stale(path, wait=wait):
                removed.append(path)
    return removed, [p for p in git_lock_files(repo)]


def stale_locks(repo: Path) -> list[tuple[Path, float]]:
    """Lock files older than the grace, with their age (for /healthz: nothing is changed)."""
    out = []
    for path in git_lock_files(repo):
        age = _age(path)
        if age is not None and age >= LOCK_GRACE:
            out.append((path, age))
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_temporary_files(repo: Path, *, wait: bool = True) -> list[Path]:
    """Remove what killed writers left: blob folders of dead pids, git's old tmp_obj_* files."""
    removed: list[Path] = []
    tmp_root = repo / TMP_DIR
    if tmp_root.is_dir():
        for entry in tmp_root.iterdir():
            m = re.fullmatch(r"yoshiki-blobs-(\d+)-.*", entry.name)
            if m is None or _pid_alive(int(m.group(1))):
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    objects = repo / "objects"
    if not objects.is_dir():
        return removed
    candidates = [p for p in objects.glob("tmp_obj_*")] + [p for p in objects.glob("??/tmp_obj_*")]
    with _try_flock(repo / MAINTENANCE_LOCK) as no_repack:
        if no_repack:  # a repack in progress owns its tmp_pack_* files
            candidates += [p for p in (objects / "pack").glob("tmp_*")]
        young = [a for p in candidates if (a := _age(p)) is not None and a < LOCK_GRACE]
        if young and wait:
            time.sleep(LOCK_GRACE - min(young) + 0.05)
        for path in candidates:
            age = _age(path)
            if age is not None and age >= LOCK_GRACE:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
    return removed


def loose_objects(repo: Path) -> int:
    """How many loose objects the repository holds (``git count-objects``)."""
    proc = subprocess.run(["git", f"--git-dir={repo}", "count-objects"], capture_output=True,
                          check=False)
    try:
        return int(proc.stdout.split()[0])
    except (IndexError, ValueError):
        return 0


def repack(repo: Path) -> bool:
    """``git repack -d -q`` unless another repack runs; True when it ran and succeeded."""
    with _try_flock(repo / MAINTENANCE_LOCK) as mine:
        if not mine:
            return False
        proc = subprocess.run(["git", f"--git-dir={repo}", "repack", "-d", "-q"],
                              capture_output=True, check=False)
        if proc.returncode != 0:
            log.warning("git repack failed: %s", proc.stderr.decode(errors="replace").strip())
        return proc.returncode == 0


class RepackScheduler:
    """Count writes; after every ``every`` writes start one background repack (never waited on)."""

    def __init__(self, repo: Path, every: int) -> None:
        self.repo = repo
        self.every = every
        self.writes = 0
        self.runs = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wrote(self) -> None:
        """One more write; maybe start a repack in the background."""
        if self.every <= 0:
            return
        with self._lock:
            self.writes += 1
            due = self.writes % self.every == 0 and (self._thread is None or not self._thread.is_alive())
            if due:
                self._thread = threading.Thread(target=self._run, name="yoshiki-repack", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        if repack(self.repo):
            self.runs += 1

    def join(self, timeout: float | None = None) -> None:
        """Wait for a running repack (tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
