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

``Tree`` edits a tree object without parsing it into a dict and sorting it again: at national
scale the root tree has one folder per municipality (1,788 entries, 59 KB) and every publish
replaces one of them. Its entries are split by one regular expression (C, ~0.25 ms), the changed
entry is replaced (or inserted at its place in git's order) and the body is joined again; the
result is what ``git mktree`` writes for the same entries (tests/storage/test_git_objects.py).
``read_loose`` reads a loose object (what other writers just wrote) without asking git.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import os
import re
import zlib
from collections.abc import Mapping
from pathlib import Path

from registry.errors import RegistryError

_SERIAL = itertools.count()  # temporary names: tmp_obj_<pid>_<serial>
# One tree entry: "<mode> <name>\0" and 20 bytes of SHA-1 (names hold no NUL, so the name ends
# at the first NUL and the id is the next 20 bytes, whatever they are).
_ENTRY = re.compile(rb"(([0-7]+) ([^\0]+)\0.{20})", re.S)
TREE_MODE = "40000"
# A tree this big is mostly SHA-1 bytes, which do not compress: zlib level 1 spends 0.8 ms to
# make the 59 KB root tree 46 KB. It is written stored (level 0, still a zlib stream git reads).
_STORED_TREE = 16 * 1024


def is_tree_mode(mode: str) -> bool:
    return mode in ("40000", "040000")


def tree_order(name: bytes, mode: str) -> bytes:
    """git's sort key for a tree entry: names compared as bytes, a tree's as if it ended in "/"."""
    return name + b"/" if is_tree_mode(mode) else name


class Tree:
    """A tree object's body with its entries split out, in git's order; never changed.

    ``entries`` holds each entry's raw bytes, its mode and its name (bytes); ``get`` finds one;
    ``edit`` returns a new Tree with some entries replaced, added or removed.
    """

    __slots__ = ("_entries", "_keys", "_names", "raw")

    def __init__(self, raw: bytes, entries: list[tuple[bytes, bytes, bytes]] | None = None,
                 names: list[bytes] | None = None) -> None:
        self.raw = raw
        self._entries = entries
        self._names = names
        self._keys: list[bytes] | None = None

    @property
    def entries(self) -> list[tuple[bytes, bytes, bytes]]:
        if self._entries is None:
            found = _ENTRY.findall(self.raw)
            if sum(len(e[0]) for e in found) != len(self.raw):
                raise ValueError("not a well-formed tree object")
            self._entries = found
        return self._entries

    @property
    def names(self) -> list[bytes]:
        if self._names is None:
            self._names = [e[2] for e in self.entries]
        return self._names

    def _index(self, name: bytes) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            return -1

    def get(self, name: str) -> tuple[str, str] | None:
        """``(mode, hex oid)`` of the entry ``name``, or None."""
        i = self._index(name.encode("utf-8", "surrogateescape"))
        if i < 0:
            return None
        whole, mode, _ = self.entries[i]
        return mode.decode(), whole[-20:].hex()

    def as_dict(self) -> dict[str, tuple[str, str]]:
        """``name -> (mode, hex oid)``, in git's order."""
        return {name.decode("utf-8", "surrogateescape"): (mode.decode(), whole[-20:].hex())
                for whole, mode, name in self.entries}

    def edit(self, changes: Mapping[str, tuple[str, str] | None]) -> Tree:
        """This tree with ``name -> (mode, hex oid)`` set (None: removed), as git would write it."""
        entries = list(self.entries)
        names = list(self.names)
        keys = None if self._keys is None else list(self._keys)
        for text, change in changes.items():
            name = text.encode("utf-8", "surrogateescape")
            if not name or b"/" in name or b"\0" in name:
                raise ValueError(f"not a tree entry name: {text!r}")
            try:
                i = names.index(name)
            except ValueError:
                i = -1
            if change is None:
                if i >= 0:
                    del entries[i], names[i]
                    if keys is not None:
                        del keys[i]
                continue
            mode, oid = change
            mode = TREE_MODE if is_tree_mode(mode) else mode
            whole = mode.encode() + b" " + name + b"\0" + bytes.fromhex(oid)
            if len(whole) != len(mode) + len(name) + 22:
                raise ValueError(f"not a SHA-1 object id: {oid!r}")
            entry = (whole, mode.encode(), name)
            if i >= 0 and is_tree_mode(entries[i][1].decode()) == is_tree_mode(mode):
                entries[i] = entry  # same place in git's order
                continue
            if i >= 0:
                del entries[i], names[i]
                if keys is not None:
                    del keys[i]
            if keys is None:
                keys = [tree_order(n, m.decode()) for _, m, n in entries]
            key = tree_order(name, mode)
            at = bisect.bisect_left(keys, key)
            entries.insert(at, entry)
            names.insert(at, name)
            keys.insert(at, key)
        tree = Tree(b"".join([e[0] for e in entries]), entries, names)
        tree._keys = keys
        return tree


def read_loose(git_dir: Path | str, oid: str) -> tuple[str, bytes] | None:
    """``(type, body)`` of a loose object, or None when it is not loose (packed, or absent).

    A loose object is written whole under a temporary name, then linked to its name: it is
    either there, complete, or not. Its SHA-1 is checked all the same (a bad disk).
    """
    try:
        with open(os.path.join(git_dir, "objects", oid[:2], oid[2:]), "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    raw = zlib.decompress(data)
    if hashlib.sha1(raw).hexdigest() != oid:
        raise RegistryError(f"the loose object {oid} is damaged",
                            detail_ja=f"git のオブジェクト {oid} が壊れています")
    header, _, body = raw.partition(b"\0")
    kind, _, size = header.partition(b" ")
    if size != str(len(body)).encode():
        raise RegistryError(f"the loose object {oid} is damaged",
                            detail_ja=f"git のオブジェクト {oid} が壊れています")
    return kind.decode(), body


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
        data = zlib.compress(raw, 0 if kind == "tree" and len(body) > _STORED_TREE else 1)
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
        return self.tree(Tree(b"").edit(entries))

    def tree(self, tree: Tree) -> str:
        """Write a Tree (its body is already in git's order)."""
        return self.object("tree", tree.raw)

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
