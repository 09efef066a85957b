"""Reading git for the index: every version at the tip as an index record, template by template.

``CatalogueReader`` is the one way versions are read back from git (``RegistryService.records``
and reindex). ``PreparedFeed`` hands a reindex its templates ready for the index
(``registry.storage.rebuild.prepare``); for a large catalogue it reads and prepares them in a
second process, so that git's output is parsed, the search keys analysed and the index written
on two cores at once (bench/store.py prints the reindex with it; the note on issue 18 has the
figures). Both ways give the same templates in the same order: the worker runs this module's
own generator.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from registry.checks.compatibility import DEFAULT_MODE
from registry.checks.identifiers import upstream_issues
from registry.layout import VersionKey
from registry.readmodels import VersionRecord
from registry.search.fields import field_titles
from registry.storage.bulk import gc_paused
from registry.storage.ports import CommitInfo, TemplateStore, VersionCommits
from registry.storage.rebuild import PackedVersion, Prepared, prepare
from registry.storage.sql_index import utc_text

WORKER_FROM_OBJECTS = 60_000
"""A reindex reads git in a second process from this many git objects (~7,500 versions): below
it, starting the process (~1 s: Python, the dictionary of SudachiPy) costs more than it saves."""

WORKER_FROM_CORES = 2
"""...and only with a second core for it. On two cores the two processes and git's cat-file and
log share them: at 100k templates the second process took 0.80× the wall time of reading
here (26.4 s against 32.8 s) for ~5 % more CPU (bench/store.py, session 7; the issue 18
notes); with more cores each process's work runs fully beside the other's."""

_BATCH = 200  # templates per message from the worker
_QUEUED = 64  # messages held at most (~0.3 MB each at national scale)


def loads(data: bytes) -> Any:
    """JSON read back from git for the index: msgspec (C, ~2x json), json for what it refuses
    (NaN, a BOM, UTF-16…), so reindex reads exactly what it read before."""
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        return json.loads(data)


class CatalogueReader:
    """Every version at ``tip`` (default: the current one) as index records, one list per
    template. A fork's versions come after the upstream versions they name, so each knows its
    upstream's commit (those whose upstream version is not in git come last, without one).
    ``skipped`` says, once read, what could not be indexed and why, and ``detached`` holds the
    ``<lg>/<slug>/detached.json`` files met on the way (path -> bytes)."""

    def __init__(self, store: TemplateStore, tip: str | None = None,
                 commits: Callable[[], VersionCommits] | None = None,
                 record: type[VersionRecord] = VersionRecord) -> None:
        self.store = store
        self.tip = tip
        self.commits = commits  # where the version → commit map comes from (default: git log)
        self.record = record  # the records' class (the worker's: rebuild.PackedVersion)
        self.skipped: list[str] = []
        self.detached: dict[str, bytes] = {}

    def __iter__(self) -> Iterator[list[VersionRecord]]:
        refused: list[str] = []
        commits: dict[str, str] = {}
        parked: dict[str, list[list[VersionRecord]]] = defaultdict(list)

        def fill(group: list[VersionRecord]) -> str | None:
            """Set each fork version's upstream commit; the first one not read yet, if any."""
            missing = None
            for rec in group:
                if rec.upstream_template and rec.upstream_version:
                    wanted = f"{rec.upstream_template}@{rec.upstream_version}"
                    rec.upstream_commit = commits.get(wanted)
                    if rec.upstream_commit is None and missing is None:
                        missing = wanted
            return missing

        def ready(group: list[VersionRecord]) -> Iterator[list[VersionRecord]]:
            missing = fill(group)
            if missing is None:
                yield group
            else:
                parked[missing].append(group)

        group: list[VersionRecord] = []
        current: tuple[str, str] | None = None
        for s in self.store.iter_versions(at=self.tip, commits=self.commits):
            if (s.key.lg, s.key.slug) != current:
                yield from ready(group) if group else ()
                group, current = [], (s.key.lg, s.key.slug)
            if s.commit:
                commits[str(s.key)] = s.commit.commit
                for waiting in parked.pop(str(s.key), ()):
                    yield from ready(waiting)
            try:
                template = loads(s.template)
            except ValueError:
                template = {}
            bad = upstream_issues(template)
            if bad:  # written before upstream was checked: report and skip, never fail
                refused.append(f"{s.key}: {bad[0].message}")
                continue
            rec = record_of(s.key, template if isinstance(template, dict) else {}, s.commit,
                            s.bump, s.event, s.deprecated, s.deprecated_reason, self.record)
            try:
                rec.field_titles = field_titles(loads(s.schema)) if s.schema else []
            except ValueError:
                rec.field_titles = []
            group.append(rec)
        yield from ready(group) if group else ()
        for groups in parked.values():  # an upstream version they name is not in git
            for waiting in groups:
                fill(waiting)  # ...but the others they name may have come since
                yield waiting
        self.skipped = [*self.store.skipped, *refused]
        self.detached = dict(self.store.detached_files)


def record_of(key: VersionKey, template: dict[str, Any], info: CommitInfo | None,
              bump: str | None, event: str, deprecated: bool = False,
              deprecated_reason: str | None = None,
              cls: type[VersionRecord] = VersionRecord) -> VersionRecord:
    """A version's index record from its template.json and the commit that published it."""
    upstream = template.get("upstream") if isinstance(template.get("upstream"), dict) else {}
    tags = template.get("tags")
    return cls(
        lg=key.lg, slug=key.slug, version=key.version,
        title=str(template.get("title") or key.slug),
        category=str(template.get("category") or "その他"),
        commit=info.commit if info else "", published_at=utc_text(info.date) if info else "",
        author_name=info.author_name if info else "", author_email=info.author_email if info else "",
        title_en=template.get("title_en"), description=template.get("description"),
        tags=[str(t) for t in tags] if isinstance(tags, list) else [],
        license=template.get("license"),
        compatibility=str(template.get("compatibility") or DEFAULT_MODE),
        changelog=template.get("changelog"), bump=bump,
        upstream_template=upstream.get("template") if upstream else None,
        upstream_version=upstream.get("version") if upstream else None,
        deprecated=deprecated, deprecated_reason=deprecated_reason,
        event=event,  # type: ignore[arg-type]
    )


def _prepared(reader: CatalogueReader) -> Iterator[Prepared]:
    for template_id, group in enumerate(reader, start=1):
        yield prepare(template_id, group)


class _Batch(msgspec.Struct, tag=True):
    items: list[Prepared]


class _Done(msgspec.Struct, tag=True):
    skipped: list[str]
    detached: dict[str, bytes]


class _Failed(msgspec.Struct, tag=True):
    error: str


class PreparedFeed:
    """The templates at ``tip`` ready for the index, in ``CatalogueReader``'s order; once it has
    been iterated, ``skipped`` says what could not be indexed and why and ``detached`` holds the
    detached.json files.

    ``parallel``: read and prepare in a second process (True), here (False), or by the machine
    and the repository (None: from ``WORKER_FROM_CORES`` cores and ``WORKER_FROM_OBJECTS`` git
    objects). Only a git store without a test fault hook is read in a second process.
    """

    def __init__(self, store: TemplateStore, tip: str | None, *, parallel: bool | None = None) -> None:
        from registry.storage.git_store import GitTemplateStore

        self.store = store
        self.tip = tip
        self.skipped: list[str] = []
        self.detached: dict[str, bytes] = {}
        git = isinstance(store, GitTemplateStore) and store.fault.point is None
        if parallel is None:
            parallel = (git and (os.cpu_count() or 1) >= WORKER_FROM_CORES
                        and _objects(Path(store.path)) >= WORKER_FROM_OBJECTS)  # type: ignore[attr-defined]
        self.parallel = bool(parallel and git)

    def __iter__(self) -> Iterator[Prepared]:
        if not self.parallel:
            reader = CatalogueReader(self.store, self.tip)
            yield from _prepared(reader)
            self.skipped, self.detached = reader.skipped, reader.detached
            return
        yield from self._from_worker()

    def _from_worker(self) -> Iterator[Prepared]:
        """A fresh interpreter runs this module (not multiprocessing, whose "spawn" re-imports
        the caller's main script) and writes framed messages to a pipe of its own; a thread
        drains the pipe into a queue (blocking reads let go of the GIL), so that the worker
        never waits for this process to finish writing a batch, nor the other way round."""
        from registry.storage.git_store import GitError, widen_pipe

        read_fd, write_fd = os.pipe()
        widen_pipe(write_fd)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        with tempfile.TemporaryFile() as said:
            try:
                worker = subprocess.Popen(
                    [sys.executable, "-m", "registry.reindex_reader", str(write_fd),
                     str(self.store.path), self.tip or ""],  # type: ignore[attr-defined]
                    pass_fds=(write_fd,), stdin=subprocess.PIPE, stdout=said, stderr=said,
                    env=env)
            except BaseException:
                os.close(read_fd)
                raise
            finally:
                os.close(write_fd)
            frames: queue.Queue[bytes] = queue.Queue(maxsize=_QUEUED)
            drain = threading.Thread(target=_drain, args=(read_fd, frames), daemon=True,
                                     name="yoshiki-reindex-pipe")
            drain.start()
            decoder = msgspec.msgpack.Decoder(_Batch | _Done | _Failed)
            try:
                self._send_commits(worker)
                while data := frames.get():
                    message = decoder.decode(data)
                    if isinstance(message, _Batch):
                        yield from message.items
                    elif isinstance(message, _Done):
                        self.skipped, self.detached = message.skipped, message.detached
                        return
                    else:
                        raise GitError(f"the reindex reader failed: {message.error}")
                said.seek(0)
                output = said.read().decode("utf-8", "replace").strip()[-2000:]
                raise GitError(f"the reindex reader stopped (exit code {worker.wait()}) before it"
                               f" had read the repository: {output or 'it said nothing'}")
            finally:
                if worker.poll() is None:
                    worker.kill()
                worker.wait()
                while drain.is_alive():  # let a drain blocked on a full queue reach the end
                    with contextlib.suppress(queue.Empty):
                        frames.get(timeout=0.05)

    def _send_commits(self, worker: subprocess.Popen[bytes]) -> None:
        """git log, read here while the worker lists the tree and starts reading blobs (this
        process has nothing else to do until the first batch): the map goes to the worker's
        stdin, which it reads before its first version. At 100k templates the log is 300k
        commits (~2.5 s of git) that no longer hold up the worker: its first batch came
        after 6.2–6.9 s, now after 4.6–4.8 s (with GIT_FLUSH=0, GitTemplateStore._git)."""
        assert worker.stdin is not None
        try:
            commits = self.store.version_commits(self.tip) if self.tip else {}
            worker.stdin.write(msgspec.msgpack.encode(commits))
        except BrokenPipeError:  # the worker ended early: its own message says why
            pass
        except BaseException:
            worker.kill()
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                worker.stdin.close()


def _drain(fd: int, frames: queue.Queue[bytes]) -> None:
    """Each framed message from the worker's pipe into ``frames``; b"" at its end."""
    with os.fdopen(fd, "rb") as pipe:
        while True:
            head = pipe.read(4)
            data = pipe.read(int.from_bytes(head, "big")) if len(head) == 4 else b""
            if not data:
                break
            frames.put(data)
    frames.put(b"")


def _work(out: BinaryIO, repo: str, tip: str | None) -> None:
    """The second process of a parallel reindex: reads git and prepares, in batches."""
    from registry.storage.git_store import GitTemplateStore

    encode = msgspec.msgpack.Encoder().encode

    def send(message: _Batch | _Done | _Failed) -> None:
        data = encode(message)
        out.write(len(data).to_bytes(4, "big"))
        out.write(data)

    def commits() -> VersionCommits:  # sent by the reindex on stdin (_send_commits)
        return msgspec.msgpack.decode(sys.stdin.buffer.read(), type=VersionCommits)

    try:
        reader = CatalogueReader(GitTemplateStore(repo), tip, commits, PackedVersion)
        batch: list[Prepared] = []
        with gc_paused():  # nothing it builds is in a cycle
            for prepared in _prepared(reader):
                batch.append(prepared)
                if len(batch) >= _BATCH:
                    send(_Batch(batch))
                    batch = []
        send(_Batch(batch))
        send(_Done(reader.skipped, reader.detached))
    except Exception as exc:  # told to the reindex, which fails with it
        send(_Failed(f"{type(exc).__name__}: {exc}"))
    finally:
        out.close()


def _objects(repo: Path) -> int:
    """How many objects the repository holds, loose and packed (``git count-objects -v``)."""
    proc = subprocess.run(["git", f"--git-dir={repo}", "count-objects", "-v"], capture_output=True,
                          check=False)
    fields = dict(line.split(": ", 1) for line in proc.stdout.decode().splitlines() if ": " in line)
    return int(fields.get("count", 0)) + int(fields.get("in-pack", 0))


if __name__ == "__main__":  # the worker: python -m registry.reindex_reader FD REPO [TIP]
    _work(os.fdopen(int(sys.argv[1]), "wb"), sys.argv[2], sys.argv[3] or None)
