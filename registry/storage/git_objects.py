"""Writing git objects without a process per object: loose objects, zlib + SHA-1 (as dulwich).

A loose object is ``zlib(b"<type> <size>\\0" + body)`` at ``objects/ab/cdef…`` named by the SHA-1
of the uncompressed bytes. It is written to a temporary file made with O_EXCL in the object's
folder, then linked to its name (an existing object of the same name is the same object and is
kept) — what git itself does. Like git with its default ``core.fsync`` settings, the object is
not fsynced; the branch moves (``update-ref``) only after every object it reaches exists, so a
crashed writer leaves unreferenced objects at worst (``git gc`` prunes them).

Used by ``GitStore.commit_files`` for blobs, trees and the commit: a publish then starts no
``hash-object``, ``mktree`` or ``commit-tree`` process (bench/store.py measures the difference).
Only SHA-1 repositories (git's default, and what ``GitStore`` creates) are supported.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import zlib
from pathlib import Path

from registry.errors import RegistryError

_SERIAL = itertools.count()  # temporary names: tmp_obj_<pid>_<serial>


class LooseObjectWriter:
    """Writes blobs, trees and commits into ``<git_dir>/objects``; ``write`` is mktree's API."""

    def __init__(self, git_dir: Path) -> None:
        self.objects = str(Path(git_dir) / "objects")
        config = Path(git_dir) / "config"
        text = config.read_text(encoding="utf-8", errors="replace") if config.exists() else ""
        if "objectformat" in text.replace(" ", "").lower() and "sha256" in text.lower():
            raise RegistryError("the repository uses SHA-256 objects; Yoshiki writes SHA-1 repositories",
                                detail_ja="SHA-256 形式のリポジトリには書き込めません（SHA-1 形式のみ対応）")

    def object(self, kind: str, body: bytes) -> str:
        """Write one object (if absent); return its id.

        Five system calls for a new object (git's own sequence, no more): the temporary file is
        created read-only with O_EXCL under a name unique to this process, written, linked to
        the object's name (an existing object of that name is the same object and is kept) and
        unlinked. Its folder is made only when the create finds none (a new ``objects/xx/``,
        or one that ``git prune-packed`` emptied and removed meanwhile).
        """
        raw = f"{kind} {len(body)}\0".encode() + body
        oid = hashlib.sha1(raw).hexdigest()
        folder = os.path.join(self.objects, oid[:2])
        target = os.path.join(folder, oid[2:])
        if os.path.exists(target):
            return oid
        data = zlib.compress(raw, 1)
        tmp, fd = self._create(folder)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            # another writer may have written the same object: same name, same bytes
            with contextlib.suppress(FileExistsError):
                os.link(tmp, target)
        finally:
            os.unlink(tmp)
        return oid

    @staticmethod
    def _create(folder: str) -> tuple[str, int]:
        """A new read-only temporary file in ``folder`` (made when missing): (path, fd)."""
        for attempt in range(6):
            tmp = os.path.join(folder, f"tmp_obj_{os.getpid()}_{next(_SERIAL)}")
            try:
                return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            except FileExistsError:  # left by a dead process that had this pid: another name
                continue
            except FileNotFoundError:  # no folder yet, or prune-packed removed the emptied one
                if attempt == 5:
                    raise
                os.makedirs(folder, exist_ok=True)
        raise FileExistsError(f"no free temporary name in {folder}")

    def blob(self, data: bytes) -> str:
        return self.object("blob", data)

    def write(self, entries: dict[str, tuple[str, str]]) -> str:
        """A tree of ``name -> (mode, oid)``, sorted as git sorts (a tree's name with a "/")."""
        def order(item: tuple[str, tuple[str, str]]) -> bytes:
            name, (mode, _) = item
            raw = name.encode("utf-8", "surrogateescape")
            return raw + b"/" if mode in ("40000", "040000") else raw

        body = bytearray()
        for name, (mode, oid) in sorted(entries.items(), key=order):
            mode = "40000" if mode in ("40000", "040000") else mode
            body += mode.encode() + b" " + name.encode("utf-8", "surrogateescape") + b"\0"
            body += bytes.fromhex(oid)
        return self.object("tree", bytes(body))

    def commit(self, tree: str, parent: str | None, *, author: tuple[str, str],
               committer: tuple[str, str], when: int, message: str) -> str:
        """A commit (UTC, ``+0000``); names and e-mails lose ``<``, ``>`` and newlines as in git."""
        def ident(who: tuple[str, str]) -> str:
            name, email = (_crud(who[0]), _crud(who[1]))
            return f"{name} <{email}> {when} +0000"

        lines = [f"tree {tree}"]
        if parent:
            lines.append(f"parent {parent}")
        lines += [f"author {ident(author)}", f"committer {ident(committer)}", "", ""]
        return self.object("commit", "\n".join(lines).encode() + message.encode())

    def close(self) -> None:
        """Nothing to stop (mktree's API)."""


def _crud(value: str) -> str:
    for ch in "<>\n\r\0":
        value = value.replace(ch, "")
    return value.strip(" .,:;\"'")
