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
import os
import tempfile
import zlib
from pathlib import Path

from registry.errors import RegistryError


class LooseObjectWriter:
    """Writes blobs, trees and commits into ``<git_dir>/objects``; ``write`` is mktree's API."""

    def __init__(self, git_dir: Path) -> None:
        self.objects = Path(git_dir) / "objects"
        config = Path(git_dir) / "config"
        text = config.read_text(encoding="utf-8", errors="replace") if config.exists() else ""
        if "objectformat" in text.replace(" ", "").lower() and "sha256" in text.lower():
            raise RegistryError("the repository uses SHA-256 objects; Yoshiki writes SHA-1 repositories",
                                detail_ja="SHA-256 形式のリポジトリには書き込めません（SHA-1 形式のみ対応）")

    def object(self, kind: str, body: bytes) -> str:
        """Write one object (if absent); return its id."""
        raw = f"{kind} {len(body)}\0".encode() + body
        oid = hashlib.sha1(raw).hexdigest()
        folder = self.objects / oid[:2]
        target = folder / oid[2:]
        if target.exists():
            return oid
        for attempt in range(3):
            folder.mkdir(exist_ok=True)
            try:
                fd, tmp = tempfile.mkstemp(dir=folder, prefix="tmp_obj_")  # O_CREAT | O_EXCL
                break
            except FileNotFoundError:  # prune-packed removed the emptied folder meanwhile
                if attempt == 2:
                    raise
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(zlib.compress(raw, 1))
            os.chmod(tmp, 0o444)
            # another writer may have written the same object: same name, same bytes
            with contextlib.suppress(FileExistsError):
                os.link(tmp, target)
        finally:
            os.unlink(tmp)
        return oid

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
