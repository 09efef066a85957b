"""The git-backed template store: one bare repository in the canonical layout, plumbing writes.

A write is objects first, the branch last (as dulwich does it):

1. blobs: loose objects written directly (zlib + SHA-1, ``registry/storage/git_objects.py``);
2. trees: bottom-up for the changed paths only, written the same way; every untouched subtree
   is reused by id. A tree is edited, not rebuilt: its one changed entry replaced or inserted at
   its place in git's order (``git_objects.Tree``; the root has 1,788 municipality folders).
   Trees and commits are read from their loose files (what the other writers just wrote), else
   through one long-lived ``git cat-file --batch``, and cached by id (objects never change);
   inside the writers' lock the existence check and the precheck's version list walk them too;
3. the commit: written the same way, authored by the publishing account, committed by the
   registry (no ``hash-object``, ``mktree`` or ``commit-tree`` process per publish);
4. the branch: ``git update-ref refs/heads/main <new> <old>`` — compare-and-swap (git takes
   ``main.lock`` with O_EXCL, checks the old value, renames). GitPython's ``set_reference`` does
   not check the old value, so it is not used.

A lost race (the tip moved, or another writer holds the lock) re-reads the tip, re-checks the
precondition (e.g. the version must still not exist → VersionExists), rebuilds the trees on the new
tip and retries, a bounded number of times with a small random delay. Writers on one host first
queue on an advisory ``flock`` of ``yoshiki-writers.lock`` in the repository, held only around
tip → trees → commit → update-ref: without it eight writers spent most of their time losing
races (6 publishes/s instead of 36 in bench/store.py). The flock is an optimisation only; the
compare-and-swap is what keeps writers on other hosts (or without flock) safe. The objects of a lost
attempt stay behind unreferenced: ``git fsck --strict`` lists them as *dangling* (informational,
exit status 0) and ``git gc`` prunes them; it never reports a broken link or a bad ref, because a
ref only ever moves to a commit whose objects are all written.

There is no working tree and no index file. Commit messages carry trailers
(``Yoshiki-Version: <lg>/<slug>@<version>``, ``Yoshiki-Bump``, ``Yoshiki-Event``) so that reindex
maps every version to the commit that published it with one ``git log`` and no tree diffs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import subprocess
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from registry.errors import Conflict, RegistryError, VersionExists
from registry.layout import LG_RE, TEMPLATE_FILE, TemplateKey, VersionKey, is_slug
from registry.lineage import DETACHED_FILE, dump_detachments, load_detachments
from registry.readmodels import Author
from registry.storage.git_objects import LooseObjectWriter, Tree, is_tree_mode, read_loose
from registry.storage.maintenance import (
    WRITERS_LOCK,
    RepackScheduler,
    clear_stale_lock_from,
    clear_stale_locks,
    remove_temporary_files,
    stale_locks,
)
from registry.storage.ports import CommitInfo, StoredVersion, VersionCommit, VersionCommits
from registry.versioning import Version, sort_versions

MAIN_REF = "refs/heads/main"
DEPRECATED_FILE = "deprecated.json"
TRAILER_VERSION = "Yoshiki-Version"
TRAILER_BUMP = "Yoshiki-Bump"
TRAILER_EVENT = "Yoshiki-Event"
TRAILER_ACTOR = "Yoshiki-Actor"
_FIELD = "\x00"
_RECORD = "\x1e"
_VALUES = "\x01"  # between the values of one trailer key in a log field
_LOG_FORMAT = "%x1e%H%x00%an%x00%ae%x00%aI%x00%B"


class GitError(RuntimeError):
    """A git command failed in a way that is not the user's doing (a bug or a broken disk)."""


class FaultHook:
    """Test-only fault injection: pause a write at a named point so a test can SIGKILL it.

    Off by default: only tests build a store with one (``registry.wiring.git_store(settings,
    fault=FaultHook(point, pause_file))``). ``point`` is ``before-update-ref`` (objects written,
    branch not moved) or ``after-update-ref`` (branch moved, index not written: reached in
    ``commit_version``); also ``before-objects`` (nothing written) and ``in-objects`` (blob files
    in the temporary folder, ``hash-object`` not run). On reaching it the process writes its pid
    to ``pause_file`` and sleeps until killed.
    """

    def __init__(self, point: str | None = None, pause_file: Path | None = None) -> None:
        self.point = point
        self.pause_file = pause_file

    def __call__(self, point: str) -> None:
        """Pause forever here if this is the configured point."""
        if self.point != point:
            return
        if self.pause_file is not None:
            tmp = self.pause_file.with_suffix(".tmp")
            tmp.write_text(str(os.getpid()))
            tmp.rename(self.pause_file)
        while True:  # pragma: no cover - killed by the test
            time.sleep(60)


def commit_message(event: str, key: VersionKey, bump: str | None, changelog: str | None = None,
                   extra: str | None = None, actor: str | None = None) -> str:
    """The message of a commit that adds a version: subject, changelog, trailers.

    ``actor`` (the account's display name) becomes a ``Yoshiki-Actor`` trailer: with the event,
    the version, the date and the body, the commit holds everything its audit entry says, so the
    index's catch-up restores a lost entry from git alone (registry/recovery.py).
    """
    subject = f"{event} {key.lg}/{key.slug} {key.version}" + (f" ({bump})" if bump else "")
    if extra:
        subject += f" {extra}"
    body = [subject, ""]
    if changelog:
        body += [changelog.strip(), ""]
    body.append(f"{TRAILER_VERSION}: {key}")
    if bump:
        body.append(f"{TRAILER_BUMP}: {bump}")
    body.append(f"{TRAILER_EVENT}: {_event_trailer(event)}")
    if actor:
        body.append(f"{TRAILER_ACTOR}: {' '.join(actor.split())}")
    return "\n".join(body) + "\n"


def _event_trailer(event: str) -> str:
    return {"publish": "published", "fork": "forked", "pull": "pulled",
            "deprecate": "deprecated", "detach": "detached"}.get(event, event)


def widen_pipe(fd: int, size: int = 1 << 20) -> None:
    """Linux: a pipe of ``size`` bytes instead of 64 KiB, for a bulk read (a reindex's 600k
    blobs): the writer fills it while the reader parses, instead of the two taking turns every
    hundred blobs. Elsewhere, or past the system's limit, the pipe stays as it is."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)


class _CatFile:
    """One ``git cat-file --batch`` process for the duration of an operation."""

    def __init__(self, git_dir: Path, *, buffered: bool = False) -> None:
        # --buffer: git does not flush after each object (only for bulk reads, never interactive).
        self._proc = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "cat-file", "--batch", *(["--buffer"] if buffered else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            bufsize=1 << 20,
        )
        self._buffered = buffered
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._in: IO[bytes] = self._proc.stdin
        self._out: IO[bytes] = self._proc.stdout
        if buffered:
            widen_pipe(self._out.fileno())

    def get(self, name: str) -> tuple[str, str, bytes] | None:
        """(oid, type, content) of the object ``name`` (``<rev>:<path>`` works), or None."""
        self._in.write(name.encode() + b"\n")
        self._in.flush()
        return self._read_one()

    def _read_one(self) -> tuple[str, str, bytes] | None:
        header = self._out.readline()
        if not header:
            raise GitError("git cat-file --batch ended unexpectedly")
        parts = header.split()
        if len(parts) != 3:  # "<name> missing" / "ambiguous"
            return None
        size = int(parts[2])
        data = self._out.read(size + 1)[:-1]
        return parts[0].decode(), parts[1].decode(), data

    def many(self, oids: list[str]) -> Iterator[bytes | None]:
        """Contents of many objects, in order; a writer thread keeps the pipes from blocking."""

        def feed() -> None:
            try:
                # One write: a write per name was ~1 s of this thread at 600k names (100k
                # templates), contending for the GIL with the reader.
                if oids:
                    self._in.write(("\n".join(oids) + "\n").encode())
                if self._buffered:
                    self._in.close()  # a buffered cat-file flushes its output at end of input
                else:
                    self._in.flush()
            except BrokenPipeError:  # pragma: no cover - reader died; reported below
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        for _ in oids:
            got = self._read_one()
            yield None if got is None else got[2]
        writer.join()

    def tree(self, name: str) -> dict[str, tuple[str, str]] | None:
        """Entries ``name -> (mode, oid)`` of the tree ``name``, or None when it is not a tree."""
        got = self.get(name)
        if got is None or got[1] != "tree":
            return None
        return parse_tree(got[2])

    def close(self) -> None:
        """Stop the process (also when a streamed read was left half-way: its output is closed
        first, so a git blocked writing to a full pipe ends instead of waiting forever)."""
        self._out.close()
        with contextlib.suppress(BrokenPipeError):
            self._in.close()
        self._proc.wait()

    def __enter__(self) -> _CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _RefUpdater:
    """One ``git update-ref --stdin`` for many compare-and-swaps: ``start``, ``update <ref>
    <new> <old>``, ``commit`` per write — git's own locking and checks, without a process
    per publish. A refused update (the branch moved, ``main.lock`` held) ends the process
    with git's message on stderr; the next update starts another."""

    def __init__(self, git_dir: Path) -> None:
        self._proc = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "update-ref", "--stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._in: IO[bytes] = self._proc.stdin
        self._out: IO[bytes] = self._proc.stdout

    def update(self, ref: str, new: str, old: str) -> bytes | None:
        """Move ``ref`` from ``old`` to ``new``: None when done, else git's refusal (stderr)."""
        try:
            self._in.write(f"start\nupdate {ref} {new} {old}\ncommit\n".encode())
            self._in.flush()
            if self._out.readline() == b"start: ok\n" and self._out.readline() == b"commit: ok\n":
                return None
        except BrokenPipeError:
            pass
        with contextlib.suppress(BrokenPipeError):
            self._in.close()  # git reads the end of input and exits, if it had not
        err = self._proc.stderr.read() if self._proc.stderr else b""
        self.close()
        return err or b"git update-ref --stdin ended"

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None and not self._in.closed

    def close(self) -> None:
        """Stop the process."""
        with contextlib.suppress(BrokenPipeError):
            self._in.close()
        self._proc.wait()
        self._out.close()
        if self._proc.stderr is not None:
            self._proc.stderr.close()


def _is_oid(raw: bytes) -> bool:
    return len(raw) in (40, 64) and all(c in b"0123456789abcdef" for c in raw)


def parse_tree(raw: bytes) -> dict[str, tuple[str, str]]:
    """Parse a raw tree object into ``name -> (mode, hex oid)``."""
    return Tree(raw).as_dict()


Changes = dict[str, "Changes | str | tuple[str, str] | None"]
ChangeBuilder = Callable[[Callable[[str], bytes | None]], Mapping[str, bytes | None]]


def _nest(changes: Mapping[str, str | None]) -> Changes:
    """``{"a/b/c": oid}`` → ``{"a": {"b": {"c": oid}}}``."""
    root: Changes = {}
    for path, oid in changes.items():
        *dirs, leaf = path.strip("/").split("/")
        node = root
        for d in dirs:
            child = node.setdefault(d, {})
            if not isinstance(child, dict):
                raise GitError(f"{path}: a file is in the way")
            node = child
        node[leaf] = oid
    return root


class GitTemplateStore:
    """Template versions in a bare git repository; see the module docstring for the write path."""

    def __init__(self, path: Path | str, *, committer_name: str = "Yoshiki Registry",
                 committer_email: str = "registry@yoshiki.invalid", ref: str = MAIN_REF,
                 fault: FaultHook | None = None, max_retries: int = 200,
                 repack_every: int = 0) -> None:
        self.path = Path(path)
        self.committer_name = committer_name
        self.committer_email = committer_email
        self.ref = ref
        self.fault = fault or FaultHook()
        # Loose objects packed in the background every ``repack_every`` writes (maintenance.py).
        self.repacker = RepackScheduler(self.path, repack_every)
        self.max_retries = max_retries
        self.retries = 0  # lost races seen by this instance (reported by the bench)
        self.locked_seconds = 0.0  # time spent holding the writers' lock (reported by the bench)
        # ... and in its parts: "read" (tip, root tree, existence), "precheck", "objects"
        # (trees and commit), "update-ref" (seconds, summed over attempts)
        self.locked_parts: dict[str, float] = dict.fromkeys(
            ("read", "precheck", "objects", "update-ref"), 0.0)
        self.skipped: list[str] = []  # what the last iter_versions could not index, and why
        # ... and the detached.json files it met, by path (read in the same pass)
        self.detached_files: dict[str, bytes] = {}
        # The long-lived reader (see _reader): started on first use, per process.
        self._reader_lock = threading.RLock()
        self._cat: _CatFile | None = None
        self._cat_pid = 0
        self._cat_finalizer: weakref.finalize[[], GitTemplateStore] | None = None
        self._refs: _RefUpdater | None = None
        self._refs_pid = 0
        self._refs_finalizer: weakref.finalize[[], GitTemplateStore] | None = None
        self._object_writer: LooseObjectWriter | None = None
        # Trees and commits' root trees by object id: objects never change, so what is cached
        # is always right; bounded (the root tree alone is 59 KB at national scale).
        self._tree_cache: OrderedDict[str, Tree] = OrderedDict()
        self._commit_roots: OrderedDict[str, str] = OrderedDict()
        if not (self.path / "HEAD").is_file():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Re-running init on an existing repository is safe, so racing initialisers are fine.
            self._git("init", "--bare", "--quiet", f"--initial-branch={ref.rsplit('/', 1)[-1]}",
                      str(self.path), git_dir=False)

    # -- plumbing ---------------------------------------------------------------------------
    def _git(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None,
             git_dir: bool = True, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        cmd = ["git", f"--git-dir={self.path}", *args] if git_dir else ["git", *args]
        # The output is read whole: git need not flush after each record (git log does by
        # default into a pipe — 300k writes, and as many reads here, for a national log).
        env = {**(os.environ if env is None else env), "GIT_FLUSH": "0"}
        proc = subprocess.run(cmd, input=input, capture_output=True, env=env, check=False)
        if check and proc.returncode != 0:
            raise GitError(f"{' '.join(cmd[:4])}…: {proc.stderr.decode(errors='replace').strip()}")
        return proc

    def tip(self) -> str | None:
        """The commit ``refs/heads/main`` points at, or None for an empty store."""
        found = self._ref_file()
        if found is not None:
            return found or None
        proc = self._git("rev-parse", "-q", "--verify", f"{self.ref}^{{commit}}", check=False)
        return proc.stdout.decode().strip() or None

    def _ref_file(self) -> str | None:
        """The branch read as git reads it, without a process: the loose ref file (update-ref
        renames it into place, so it is read whole, old or new), else ``packed-refs``.
        "" when neither names the branch; None when unsure (a symbolic ref, reftable…):
        the caller asks git."""
        try:
            raw = (self.path / self.ref).read_bytes().strip()
        except FileNotFoundError:
            raw = b""
        except OSError:
            return None
        if raw:
            return raw.decode() if _is_oid(raw) else None
        if not (self.path / "refs").is_dir() or (self.path / "reftable").exists():
            return None
        try:
            packed = (self.path / "packed-refs").read_bytes()
        except FileNotFoundError:
            return ""
        except OSError:
            return None
        name = self.ref.encode()
        for line in packed.splitlines():
            oid, _, ref = line.partition(b" ")
            if ref == name:
                return oid.decode() if _is_oid(oid) else None
        return ""

    @contextlib.contextmanager
    def _reader(self) -> Iterator[_CatFile]:
        """One ``git cat-file --batch`` kept for the life of the store, not one per read.

        What it reads is named by commit or object id, and objects never change; git looks
        for a loose object on disk on every request and rescans the packs when an object is
        missing, so what other processes write later is found. One user at a time (an RLock:
        a precheck reads inside a write); a forked child starts its own; a helper that failed
        is replaced on the next use; it stops with the store (or at exit).
        """
        with self._reader_lock:
            cat = self._cat
            if cat is None or self._cat_pid != os.getpid():
                cat = self._cat = _CatFile(self.path)
                self._cat_pid = os.getpid()
                self._cat_finalizer = weakref.finalize(self, cat.close)
            try:
                yield cat
            except RegistryError:  # a refusal (VersionExists…): the helper is fine
                raise
            except BaseException:
                self._drop_reader()  # it may be half-way through an answer
                raise

    def _tip_with(self, cat: _CatFile) -> str | None:
        found = self._ref_file()
        if found is not None:
            return found or None
        head = cat.get(self.ref)
        return head[0] if head is not None and head[1] == "commit" else None

    def _update_ref(self, new: str, old: str) -> bytes | None:
        """Compare-and-swap the branch through the long-lived ``update-ref --stdin`` (started
        on first use, per process; replaced after a refusal ends it). None when it moved."""
        refs = self._refs
        if refs is None or self._refs_pid != os.getpid() or not refs.alive:
            refs = self._refs = _RefUpdater(self.path)
            self._refs_pid = os.getpid()
            if self._refs_finalizer is not None:
                self._refs_finalizer.detach()
            self._refs_finalizer = weakref.finalize(self, refs.close)
        refused = refs.update(self.ref, new, old)
        if refused is not None:
            if self._refs_finalizer is not None:
                self._refs_finalizer.detach()
            self._refs, self._refs_finalizer = None, None
        return refused

    def _drop_reader(self) -> None:
        with self._reader_lock:
            if self._cat_finalizer is not None:
                self._cat_finalizer()  # closes the helper, once
            self._cat, self._cat_finalizer = None, None

    def close(self) -> None:
        """Stop the long-lived helpers (a later read or write starts others)."""
        self._drop_reader()
        with self._reader_lock:
            if self._refs_finalizer is not None:
                self._refs_finalizer()
            self._refs, self._refs_finalizer = None, None

    def _reader_after_race(self) -> _CatFile:
        """A write lost a race with the background repack: counted, and a fresh reader for the
        next attempt (the cached trees stay: they are keyed by object id)."""
        self.retries += 1
        with self._reader_lock:
            self._drop_reader()
            with self._reader() as fresh:
                return fresh

    def _objects(self) -> LooseObjectWriter:
        """The loose-object writer (made once: it reads the repository's config)."""
        if self._object_writer is None:
            self._object_writer = LooseObjectWriter(self.path)
        return self._object_writer

    def _write_blobs(self, contents: list[bytes]) -> list[str]:
        """Write blobs as loose objects (registry/storage/git_objects.py): no process."""
        if not contents:
            return []
        writer = self._objects()
        out: list[str] = []
        for i, data in enumerate(contents):
            out.append(writer.blob(data))
            if i == 0:
                self.fault("in-objects")  # some objects written, not all (crash tests)
        return out

    # -- objects read without a round trip when they are loose or were seen before ----------
    _CACHED_TREES = 64
    _CACHED_COMMITS = 256

    def _object(self, cat: _CatFile, oid: str) -> tuple[str, bytes] | None:
        """``(type, body)`` of an object: read from its loose file (what the other writers just
        wrote), else asked of cat-file (packed objects). None when git has no such object."""
        got = read_loose(self.path, oid)
        if got is not None:
            return got
        asked = cat.get(oid)
        return None if asked is None else (asked[1], asked[2])

    def _remember(self, oid: str, tree: Tree) -> None:
        cache = self._tree_cache
        cache[oid] = tree
        cache.move_to_end(oid)
        if len(cache) > self._CACHED_TREES:
            cache.popitem(last=False)

    def _tree(self, cat: _CatFile, oid: str) -> Tree:
        """The tree ``oid`` (cached by id). GitError "unavailable" when git cannot read it: an
        object a tree or commit names exists, so this is a race with a repack (retried)."""
        tree = self._tree_cache.get(oid)
        if tree is not None:
            self._tree_cache.move_to_end(oid)
            return tree
        got = self._object(cat, oid)
        if got is None or got[0] != "tree":
            raise GitError(f"tree {oid} unavailable")
        tree = Tree(got[1])
        self._remember(oid, tree)
        return tree

    def _root_of(self, cat: _CatFile, commit: str) -> str:
        """The root tree id of ``commit`` (a full object id, e.g. the tip). GitError
        "unavailable" when git cannot read it (a race with a repack: retried)."""
        root = self._commit_roots.get(commit)
        if root is None:
            got = self._object(cat, commit)
            if got is None or got[0] != "commit" or not got[1].startswith(b"tree "):
                raise GitError(f"commit {commit} unavailable")
            root = got[1][5:got[1].find(b"\n")].decode()
            self._note_commit(commit, root)
        return root

    def _note_commit(self, commit: str, root: str) -> None:
        roots = self._commit_roots
        roots[commit] = root
        if len(roots) > self._CACHED_COMMITS:
            roots.popitem(last=False)

    def _tree_at(self, cat: _CatFile, rev: str, path: str) -> Tree | None:
        """The tree at ``<rev>:<path>`` ("" for the root), or None when that is not a tree.

        A full commit id is walked here (loose objects and the cache: no round trip, which
        matters inside the writers' lock); any other revision is asked of cat-file.
        """
        root = self._commit_roots.get(rev)
        if root is None and len(rev) == 40 and _is_oid(rev.encode()):
            got = self._object(cat, rev)
            if got is None:  # no such object (a made-up commit id): nothing there
                return None
            if got[0] == "tree":
                root = rev
            elif got[0] == "commit" and got[1].startswith(b"tree "):
                root = self._root_of(cat, rev)
        if root is None:  # a branch name, an abbreviated id, a tag...: git resolves it
            asked = cat.get(f"{rev}:{path}" if path else f"{rev}^{{tree}}")
            return Tree(asked[2]) if asked is not None and asked[1] == "tree" else None
        tree = self._tree(cat, root)
        for part in path.split("/") if path else []:
            entry = tree.get(part)
            if entry is None or not is_tree_mode(entry[0]):
                return None
            tree = self._tree(cat, entry[1])
        return tree

    def _build_tree(self, cat: _CatFile, mk: LooseObjectWriter, base: str | None,
                    node: Changes) -> str | None:
        """Apply ``node`` onto the tree ``base`` (an id); return the new tree id (None when
        empty). Only the changed entries are touched (git_objects.Tree.edit)."""
        tree = self._tree(cat, base) if base is not None else Tree(b"")
        edits: dict[str, tuple[str, str] | None] = {}
        for name, change in node.items():
            if isinstance(change, dict):
                old = tree.get(name)
                sub_base = old[1] if old is not None and is_tree_mode(old[0]) else None
                new = self._build_tree(cat, mk, sub_base, change)
                edits[name] = None if new is None else ("40000", new)
            elif change is None:
                edits[name] = None
            elif isinstance(change, tuple):  # a subtree written beforehand
                edits[name] = change
            else:
                edits[name] = ("100644", change)
        edited = tree.edit(edits)
        if not edited.raw:
            return None
        oid = mk.tree(edited)
        self._remember(oid, edited)
        return oid

    def _nested_blobs(self, changes: Mapping[str, bytes | None]) -> Changes:
        blob_ids = iter(self._write_blobs([c for c in changes.values() if c is not None]))
        return _nest({p: (None if d is None else next(blob_ids)) for p, d in changes.items()})

    def commit_files(self, changes: Mapping[str, bytes | None] | ChangeBuilder, *, author: Author,
                     message: str, must_not_exist: VersionKey | None = None,
                     precheck: Callable[[str | None], None] | None = None) -> CommitInfo:
        """Write one commit on the tip changing ``changes`` (repo paths; None deletes).

        ``changes`` may be a function of a reader (``path -> bytes | None`` at the tip being
        built on): it is called again after every lost race, so a read-modify-write (e.g. the
        deprecation list) never overwrites what another writer just committed.
        ``must_not_exist``: refuse with VersionExists if that version folder exists on the tip
        (checked again after every lost race). ``precheck(tip)`` runs on every attempt, inside
        the writers' lock, with the tip this attempt builds on; it raises to refuse (the
        compatibility rule is re-checked there against the tip the compare-and-swap wins on).
        A ref lock left by a dead writer is cleared (storage/maintenance.py). Raises Conflict if
        the race is lost too often.
        """
        self.fault("before-objects")
        nested = None if callable(changes) else self._nested_blobs(changes)
        # The date is set here so the CommitInfo can be returned without reading the commit back.
        when = int(time.time())
        iso = datetime.fromtimestamp(when, UTC).isoformat()
        # The helpers are started before the writers' lock is taken, so that the critical
        # section (tip → trees → commit → update-ref) spawns only commit-tree and update-ref.
        mk = self._objects()
        with self._reader() as cat:
            return self._commit_with(cat, mk, changes, nested, when, iso, author=author,
                                     message=message, must_not_exist=must_not_exist,
                                     precheck=precheck)

    def _commit_with(self, cat: _CatFile, mk: LooseObjectWriter, changes: Mapping[str, bytes | None] | ChangeBuilder,
                     nested: Changes | None, when: int, iso: str, *, author: Author, message: str,
                     must_not_exist: VersionKey | None,
                     precheck: Callable[[str | None], None] | None) -> CommitInfo:
        if True:
            if nested is not None and must_not_exist is not None:
                # A new version folder does not depend on the tip: write its tree before the lock.
                node: Any = nested
                *parents, leaf = must_not_exist.relpath.split("/")
                for part in parents:
                    node = node.get(part) if isinstance(node, dict) else None
                if isinstance(node, dict) and isinstance(node.get(leaf), dict):
                    folder = self._build_tree(cat, mk, None, node[leaf])
                    if folder is not None:
                        node[leaf] = ("040000", folder)
            with self._writers_lock() as holding:
                parts = self.locked_parts
                for attempt in range(self.max_retries + 1):
                    t0 = time.perf_counter()
                    old = self._tip_with(cat)
                    try:
                        base_tree = self._root_of(cat, old) if old is not None else None
                        taken = must_not_exist is not None and old is not None and \
                            self._exists_at(cat, old, must_not_exist.relpath)
                    except GitError as exc:  # a race with the background repack, as below
                        if "unavailable" not in str(exc) or attempt == self.max_retries:
                            raise
                        cat = self._reader_after_race()
                        continue
                    if taken:
                        assert must_not_exist is not None
                        raise VersionExists(
                            f"{must_not_exist} is already published; a published version never changes — publish a new version number",
                            detail_ja=f"{must_not_exist} は公開済みです。公開した版は変更できません。新しい版番号で公開してください",
                            extra={"version": str(must_not_exist)},
                        )
                    t1 = time.perf_counter()
                    parts["read"] += t1 - t0
                    if precheck is not None:
                        precheck(old)
                    t2 = time.perf_counter()
                    parts["precheck"] += t2 - t1
                    if callable(changes):
                        def read(path: str, cat: _CatFile = cat, old: str | None = old) -> bytes | None:
                            got = cat.get(f"{old}:{path}") if old is not None else None
                            return got[2] if got is not None and got[1] == "blob" else None

                        nested = self._nested_blobs(changes(read))
                    assert nested is not None
                    try:
                        tree = self._build_tree(cat, mk, base_tree, nested)
                        if tree is None:
                            raise GitError("a commit may not empty the repository")
                        new = mk.commit(tree, old, author=(author.display, author.email),
                                        committer=(self.committer_name, self.committer_email),
                                        when=when, message=message)
                        self._note_commit(new, tree)
                    except (GitError, FileNotFoundError) as exc:
                        # A race with the background repack (maintenance.py): prune-packed
                        # removes an emptied objects/xx/ folder just as an object is written
                        # into it, or cat-file misses an object just moved into a new pack.
                        # Both are transient: write everything again with fresh helpers.
                        transient = isinstance(exc, FileNotFoundError) or "unavailable" in str(exc)
                        if not transient or attempt == self.max_retries:
                            raise
                        cat = self._reader_after_race()
                        if not callable(changes):
                            nested = self._nested_blobs(changes)
                        continue
                    self.fault("before-update-ref")
                    zero = "0" * len(new)
                    t3 = time.perf_counter()
                    parts["objects"] += t3 - t2
                    refused = self._update_ref(new, old or zero)
                    parts["update-ref"] += time.perf_counter() - t3
                    if refused is None:
                        self.repacker.wrote()
                        return CommitInfo(commit=new, author_name=author.display,
                                          author_email=author.email, date=iso,
                                          message=message.strip("\n"), parent=old)
                    self.retries += 1
                    if holding and clear_stale_lock_from(self.path, refused):
                        continue  # a dead writer's lock was removed: try again at once
                    # Lost the compare-and-swap (tip moved, or main.lock held): back off a little.
                    time.sleep(random.uniform(0.0005, 0.004) * min(attempt + 1, 8))
        raise Conflict(
            f"the repository kept changing; gave up after {self.max_retries} attempts — try again",
            detail_ja=f"リポジトリへの書き込みが {self.max_retries} 回競合しました。もう一度お試しください",
        )

    @contextlib.contextmanager
    def _writers_lock(self) -> Iterator[bool]:
        """Queue this host's writers (flock) so they do not spin on lost compare-and-swaps.

        Only an optimisation: correctness is update-ref's compare-and-swap, which also guards
        writers on other hosts or filesystems where flock does nothing. The kernel drops the
        lock when a process dies, so a killed writer never blocks the others.
        """
        try:
            fd = os.open(self.path / WRITERS_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            yield False
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            started = time.perf_counter()
            try:
                yield True
            finally:
                self.locked_seconds += time.perf_counter() - started
        finally:
            os.close(fd)

    # -- reads ------------------------------------------------------------------------------
    def commit_info(self, commit: str) -> CommitInfo:
        """Author, date and message of one commit."""
        out = self._git("log", "-1", f"--format={_LOG_FORMAT}", commit).stdout.decode()
        infos = _parse_log(out)
        if not infos:
            raise GitError(f"no commit {commit}")
        return infos[0]

    def list_templates(self) -> list[TemplateKey]:
        """Every template with at least one version at the tip."""
        tip = self.tip()
        if tip is None:
            return []
        keys: list[TemplateKey] = []
        with self._reader() as cat:
            root = cat.tree(f"{tip}^{{tree}}") or {}
            for lg, (mode, oid) in sorted(root.items()):
                if not LG_RE.fullmatch(lg) or mode != "40000":
                    continue
                for slug, (smode, soid) in sorted((cat.tree(oid) or {}).items()):
                    if smode == "40000" and is_slug(slug) and any(
                            Version.is_valid(v) and m == "40000"
                            for v, (m, _) in (cat.tree(soid) or {}).items()):
                        keys.append(TemplateKey(lg, slug))
        return keys

    def tip_and_versions(self, key: TemplateKey) -> tuple[str | None, list[str]]:
        """The tip and the template's versions at that tip, read by one process."""
        with self._reader() as cat:
            tip = self._tip_with(cat)
            if tip is None:
                return None, []
            tree = self._tree_at(cat, tip, f"{key.lg}/{key.slug}")
        return tip, _folders(tree)

    def list_versions(self, key: TemplateKey, commit: str | None = None) -> list[str]:
        """Versions of a template in ascending SemVer order (at ``commit`` or the tip).

        Inside the writers' lock (the publish precheck) this reads the trees the write has
        just read: cached, no round trip.
        """
        rev = commit or self.tip()
        if rev is None:
            return []
        with self._reader() as cat:
            tree = self._tree_at(cat, rev, f"{key.lg}/{key.slug}")
        return _folders(tree)

    def _exists_at(self, cat: _CatFile, commit: str, path: str) -> bool:
        """True when ``<commit>:<path>`` names an object (what ``cat-file`` would find)."""
        folder, _, name = path.rpartition("/")
        tree = self._tree_at(cat, commit, folder)
        return tree is not None and tree.get(name) is not None

    def exists(self, key: VersionKey, commit: str | None = None) -> bool:
        """True when the version folder exists at ``commit`` or the tip."""
        rev = commit or self.tip()
        if rev is None:
            return False
        with self._reader() as cat:
            return cat.get(f"{rev}:{key.relpath}") is not None

    def read_version(self, key: VersionKey, commit: str | None = None) -> dict[str, bytes]:
        """Files of a version folder (``template.json``, ``examples/valid/a.json``…); {} if absent."""
        rev = commit or self.tip()
        if rev is None:
            return {}
        files: dict[str, bytes] = {}
        with self._reader() as cat:

            def walk(name: str, prefix: str) -> None:
                for entry, (mode, oid) in (cat.tree(name) or {}).items():
                    if mode == "40000":
                        walk(oid, f"{prefix}{entry}/")
                    else:
                        got = cat.get(oid)
                        if got is not None:
                            files[prefix + entry] = got[2]

            walk(f"{rev}:{key.relpath}", "")
        return files

    def read_file(self, path: str, commit: str | None = None) -> bytes | None:
        """One file by repository path at ``commit`` or the tip, or None."""
        rev = commit or self.tip()
        if rev is None:
            return None
        with self._reader() as cat:
            got = cat.get(f"{rev}:{path}")
        return got[2] if got is not None and got[1] == "blob" else None

    def log_for(self, key: VersionKey | TemplateKey) -> list[CommitInfo]:
        """Commits touching a version (or template) folder, newest first."""
        if self.tip() is None:
            return []
        path = key.relpath if isinstance(key, VersionKey) else f"{key.lg}/{key.slug}"
        out = self._git("log", f"--format={_LOG_FORMAT}", self.ref, "--", path).stdout.decode()
        return _parse_log(out)

    def version_commits(self, at: str | None = None) -> VersionCommits:
        """``"<lg>/<slug>@<version>" -> (commit, bump, event)`` of the commit that added each
        version (in the history of ``at``, default the branch).

        One ``git log``; git picks out the trailers' values, one field each (a commit with a
        trailer twice: the last counts), so that Python only splits fields — at national scale
        this log is the longest read a reindex starts with (300k commits at 100k templates).
        Versions written without trailers (e.g. by hand in a clone) are not in it:
        ``iter_versions`` falls back to one ``git log --diff-filter=A`` over template.json
        additions for them.
        """
        fmt = "%x1e%H%x00%an%x00%ae%x00%aI" + "".join(
            f"%x00%(trailers:key={key},valueonly,separator=%x01)"
            for key in (TRAILER_VERSION, TRAILER_BUMP, TRAILER_EVENT))
        out = self._git("log", f"--format={fmt}", at or self.ref).stdout.decode()
        found: VersionCommits = {}
        for rec in out.split(_RECORD):  # newest first: the oldest claim wins
            fields = rec.split(_FIELD)
            if len(fields) < 7 or not (version := fields[4].strip().rpartition(_VALUES)[2]):
                continue
            event = fields[6].strip().rpartition(_VALUES)[2] or "published"
            if event != "deprecated":
                found[version] = (CommitInfo(commit=fields[0].strip(), author_name=fields[1],
                                             author_email=fields[2], date=fields[3]),
                                  fields[5].strip().rpartition(_VALUES)[2] or None, event)
        return found

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        """True when ``ancestor`` is ``commit`` or one of its ancestors."""
        return self._git("merge-base", "--is-ancestor", ancestor, commit,
                         check=False).returncode == 0

    def log_range(self, since: str | None, tip: str) -> list[tuple[CommitInfo, dict[str, str]]]:
        """Commits after ``since`` up to ``tip`` (all when None), OLDEST first, with trailers."""
        fmt = ("%x1e%H%x00%an%x00%ae%x00%aI%x00%(trailers:key=Yoshiki-Version,key=Yoshiki-Bump,"
               "key=Yoshiki-Event,key=Yoshiki-Actor,separator=%x01)")
        rev = f"{since}..{tip}" if since else tip
        out = self._git("log", "--reverse", "--first-parent", f"--format={fmt}", rev).stdout.decode()
        found: list[tuple[CommitInfo, dict[str, str]]] = []
        for rec in out.split(_RECORD):
            fields = rec.split(_FIELD)
            if len(fields) < 5:
                continue
            raw = fields[4].strip()
            trailers = dict(t.partition(": ")[::2] for t in raw.split("\x01")) if raw else {}
            found.append((CommitInfo(commit=fields[0].strip(), author_name=fields[1],
                                     author_email=fields[2], date=fields[3]), trailers))
        return found

    def files_named(self, name: str, commit: str | None = None) -> dict[str, bytes]:
        """``<lg>/<slug>/<name>`` files at ``commit`` or the tip (e.g. every detached.json)."""
        rev = commit or self.tip()
        if rev is None:
            return {}
        listing = self._git("ls-tree", "-r", "-z", "--full-tree", rev).stdout
        wanted: dict[str, str] = {}
        for entry in listing.split(b"\0"):
            meta, _, raw_path = entry.partition(b"\t")
            path = raw_path.decode("utf-8", "surrogateescape")
            parts = path.split("/")
            if len(parts) == 3 and parts[2] == name and meta:
                wanted[path] = meta.split()[2].decode()
        if not wanted:
            return {}
        with _CatFile(self.path, buffered=True) as cat:
            blobs = list(cat.many(list(wanted.values())))
        return {p: b or b"" for p, b in zip(wanted, blobs, strict=True)}

    def _added_by(self) -> dict[str, CommitInfo]:
        """Slow path: the commit adding each ``<lg>/<slug>/<v>/template.json`` (tree diffs)."""
        out = self._git("log", "--diff-filter=A", "--name-only", f"--format={_LOG_FORMAT}%x00",
                        self.ref, "--", "*/template.json").stdout.decode()
        result: dict[str, CommitInfo] = {}
        for rec in out.split(_RECORD)[1:]:
            head, _, names = rec.rpartition(_FIELD)
            infos = _parse_log(_RECORD + head)
            if not infos:
                continue
            for name in names.split():
                parts = name.split("/")
                if len(parts) == 4 and parts[3] == TEMPLATE_FILE:
                    result[f"{parts[0]}/{parts[1]}@{parts[2]}"] = infos[0]
        return result

    def iter_versions(self, *, at: str | None = None,
                      commits: Callable[[], VersionCommits] | None = None) -> Iterator[StoredVersion]:
        """Every version at the tip (or at commit ``at``) with its template.json, commit, bump
        and deprecation, in path order (a template's versions together).

        ONE ``git ls-tree -r`` lists the tip, ONE ``git cat-file --batch`` reads the
        template.json, schema.json, deprecated.json and detached.json blobs (the last kept in
        ``detached_files`` for the reindex), ONE ``git log`` maps versions to commits — run
        here in a thread, or by whoever ``commits`` asks, once, before the first version (a
        parallel reindex: the process that waits for the versions, registry/reindex_reader.py).
        """
        self.skipped = []
        self.detached_files = {}
        tip = at or self.tip()
        if tip is None:
            return
        if commits is None:
            # git log runs in a thread while ls-tree and cat-file run: three processes, two cores.
            box: list[VersionCommits] = []
            log_thread = threading.Thread(target=lambda: box.append(self.version_commits(tip)))
            log_thread.start()

            def logged() -> VersionCommits:
                log_thread.join()
                if not box:
                    raise GitError("git log failed while reading the repository")
                return box[0]

            commits = logged
        listing = self._git("ls-tree", "-r", "-z", "--full-tree", tip).stdout
        keys: list[VersionKey] = []
        oids: list[str] = []
        deprecated_oids: dict[tuple[str, str], str] = {}
        detached_oids: dict[str, str] = {}
        schema_oids: dict[tuple[str, str, str], str] = {}
        # A template's versions share its lg and slug, and most version numbers recur across
        # templates: each is checked once (1.8 M entries at 100k templates; the checks were
        # half of reading them).
        names_ok: dict[tuple[str, str], bool] = {}
        versions_ok: dict[str, bool] = {}
        for entry in listing.split(b"\0"):
            if not entry.endswith((b"/template.json", b"/deprecated.json", b"/schema.json",
                                   b"/detached.json")):
                continue
            meta, _, raw_path = entry.partition(b"\t")
            parts = raw_path.decode("utf-8", "surrogateescape").split("/")
            oid = meta.rpartition(b" ")[2].decode()  # "<mode> <type> <oid>"
            if len(parts) == 4 and parts[3] == TEMPLATE_FILE:
                lg, slug, version = parts[0], parts[1], parts[2]
                name_ok = names_ok.get((lg, slug))
                if name_ok is None:
                    name_ok = names_ok[(lg, slug)] = bool(LG_RE.fullmatch(lg) and is_slug(slug))
                version_ok = versions_ok.get(version)
                if version_ok is None:
                    version_ok = versions_ok[version] = Version.is_valid(version)
                if name_ok and version_ok:
                    keys.append(VersionKey(lg, slug, version))
                    oids.append(oid)
                else:  # in git, but not a name the registry can index: reported, not fatal
                    self.skipped.append(f"{'/'.join(parts[:3])}: not <LG code>/<slug>/<version>"
                                        " (each version part at most 999999999)")
            elif len(parts) == 4 and parts[3] == "schema.json":
                schema_oids[(parts[0], parts[1], parts[2])] = oid
            elif len(parts) == 3 and parts[2] == DEPRECATED_FILE:
                deprecated_oids[(parts[0], parts[1])] = oid
            elif len(parts) == 3 and parts[2] == DETACHED_FILE and meta:
                detached_oids["/".join(parts)] = oid
        fallback: dict[str, CommitInfo] | None = None
        deprecations: dict[tuple[str, str], dict[str, Any]] = {}
        with _CatFile(self.path, buffered=True) as cat:
            dep_keys = list(deprecated_oids)
            # One pass, deprecation lists first (a buffered cat-file answers at end of input),
            # then each version's template.json and schema.json side by side: streamed, so
            # no more than one version's blobs are held at a time.
            wanted = [deprecated_oids[k] for k in dep_keys]
            wanted.extend(detached_oids.values())
            for k, oid in zip(keys, oids, strict=True):
                wanted.append(oid)
                if (schema_oid := schema_oids.get((k.lg, k.slug, k.version))) is not None:
                    wanted.append(schema_oid)
            del listing
            blobs = cat.many(wanted)
            del wanted
            for tk in dep_keys:
                deprecations[tk] = load_deprecations(next(blobs))
            self.detached_files = {path: next(blobs) or b"" for path in detached_oids}
            found_commits = commits()
            for key in keys:
                data = next(blobs)
                schema = next(blobs) or b"" if (key.lg, key.slug, key.version) in schema_oids else b""
                found = found_commits.get(str(key))
                info: CommitInfo | None
                bump: str | None = None
                event = "published"
                if found is not None:
                    info, bump, event = found
                else:
                    if fallback is None:
                        fallback = self._added_by()
                    info = fallback.get(str(key))
                dep = deprecations.get((key.lg, key.slug), {}).get(key.version)
                yield StoredVersion(
                    key=key, template=data or b"", commit=info, bump=bump, event=event,
                    schema=schema,
                    deprecated=dep is not None,
                    deprecated_reason=str(dep.get("reason", "")) if isinstance(dep, dict) else None,
                )

    def deprecations(self, key: TemplateKey) -> dict[str, Any]:
        """``version -> {"reason", "by", "at"}`` from the template's deprecated.json."""
        data = self.read_file(f"{key.lg}/{key.slug}/{DEPRECATED_FILE}")
        return load_deprecations(data)

    def repair_files(self) -> tuple[list[str], list[str], int]:
        """At start: (stale locks removed, locks left, temporary files removed); maintenance.py."""
        if not self.path.is_dir():
            return [], [], 0
        removed, left = clear_stale_locks(self.path, wait=True)
        temporary = remove_temporary_files(self.path, wait=True)
        return ([str(p.relative_to(self.path)) for p in removed],
                [str(p.relative_to(self.path)) for p in left], len(temporary))

    def write_problems(self) -> dict[str, str]:
        """``git_writable`` and ``git_locks``: "ok" or what is wrong (nothing is changed)."""
        repo = self.path
        writable = all(os.access(p, os.W_OK) for p in (repo, repo / "objects", repo / "refs" / "heads")
                       if p.exists())
        stale = stale_locks(repo)
        return {"git_writable": "ok" if repo.is_dir() and writable else f"{repo} is not writable",
                "git_locks": "ok" if not stale else "; ".join(
                    f"{p.relative_to(repo)} is {age:.0f} s old" for p, age in stale)}

    def fsck(self) -> subprocess.CompletedProcess[bytes]:
        """Run ``git fsck --strict`` (for tests and operators)."""
        return self._git("fsck", "--strict", "--no-progress", check=False)

    # -- what the service writes and reads, in the words of the port (commit trailers here) --
    def commit_version(self, key: VersionKey, files: Mapping[str, bytes], *, author: Author,
                       event: str, bump: str | None, changelog: str | None,
                       extra: str | None = None,
                       precheck: Callable[[str | None], None] | None = None) -> CommitInfo:
        """Add one version folder in one commit whose message carries the trailers.

        ``precheck(tip)`` runs inside the writers' lock on every attempt (see commit_files).
        """
        info = self.commit_files({f"{key.relpath}/{p}": d for p, d in files.items()}, author=author,
                                 message=commit_message(event, key, bump, changelog, extra,
                                                        actor=author.display),
                                 must_not_exist=key, precheck=precheck)
        self.fault("after-update-ref")
        return info

    def flag_deprecated(self, key: VersionKey, entry: Mapping[str, str], *,
                        author: Author) -> CommitInfo:
        """Record ``entry`` ({"reason", "by", "at"}) for the version in the template's deprecated.json."""
        path = f"{key.lg}/{key.slug}/{DEPRECATED_FILE}"

        def flag(read: Callable[[str], bytes | None]) -> dict[str, bytes | None]:
            # Re-read on every attempt: a concurrent deprecation of another version survives.
            current = load_deprecations(read(path))
            current[key.version] = dict(entry)
            ordered = dict(sorted(current.items(), key=lambda kv: _version_order(kv[0])))
            return {path: json.dumps(ordered, ensure_ascii=False, indent=2).encode() + b"\n"}

        return self.commit_files(flag, author=author,
                                 message=commit_message("deprecate", key, None, entry.get("reason"),
                                                        actor=author.display))

    def record_detachment(self, key: VersionKey, entry: Mapping[str, str], *,
                          author: Author) -> CommitInfo:
        """Append ``entry`` (upstream, version, by, at, reason?) to the template's detached.json.

        ``key`` is the template's latest version when it detaches (registry/lineage.py).
        """
        path = f"{key.lg}/{key.slug}/{DETACHED_FILE}"

        def add(read: Callable[[str], bytes | None]) -> dict[str, bytes | None]:
            # Re-read on every attempt, as for deprecated.json.
            return {path: dump_detachments([*load_detachments(read(path)), dict(entry)])}

        return self.commit_files(add, author=author, message=commit_message(
            "detach", key, None, entry.get("reason"), extra=f"from {entry.get('upstream')}",
            actor=author.display))

    def version_log(self, key: TemplateKey) -> list[VersionCommit]:
        """The commits that published versions of the template, newest first (from trailers)."""
        out: list[VersionCommit] = []
        for info in self.log_for(key):
            trailers = {k: v for k, _, v in (line.partition(": ") for line in info.message.splitlines())
                        if k.startswith("Yoshiki-")}
            if trailers.get(TRAILER_EVENT) == "deprecated":
                continue
            body = info.message.split("\n\n")
            out.append(VersionCommit(
                version=trailers.get(TRAILER_VERSION, "").rpartition("@")[2], commit=info,
                event=trailers.get(TRAILER_EVENT, "published"), bump=trailers.get(TRAILER_BUMP),
                changelog=body[1].strip() if len(body) > 2 else None))
        return out


def _folders(tree: Tree | None) -> list[str]:
    """The sub-folders of a template's tree (its versions), in SemVer order."""
    if tree is None:
        return []
    return sort_versions([n for n, (m, _) in tree.as_dict().items() if is_tree_mode(m)])


def _version_order(text: str) -> tuple[int, ...]:
    v = Version.parse(text) if Version.is_valid(text) else Version(0, 0, 0)
    return (v.major, v.minor, v.patch)


def load_deprecations(data: bytes | None) -> dict[str, Any]:
    """Parse a deprecated.json (``{}`` when absent or unreadable)."""
    import json

    if not data:
        return {}
    try:
        loaded = json.loads(data)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _parse_log(out: str) -> list[CommitInfo]:
    infos = []
    for rec in out.split(_RECORD):
        fields = rec.split(_FIELD)
        if len(fields) < 5:
            continue
        infos.append(CommitInfo(commit=fields[0].strip(), author_name=fields[1],
                                author_email=fields[2], date=fields[3],
                                message=fields[4].strip("\n")))
    return infos
