"""The loose-object writer against git itself: same ids, readable objects, fsck --strict clean."""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from registry.storage import git_objects
from registry.storage.git_objects import LooseObjectWriter


def git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    return subprocess.run(["git", f"--git-dir={repo}", *args], input=input, check=True,
                          capture_output=True).stdout


def test_objects_match_what_git_writes(tmp_path: Path) -> None:
    repo = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    w = LooseObjectWriter(repo)
    data = "欠席・遅刻・早退連絡\n".encode()
    blob = w.blob(data)
    assert blob == git(repo, "hash-object", "--stdin", input=data).decode().strip()
    assert w.blob(data) == blob  # writing it again keeps the one object
    inner = w.write({"schema.json": ("100644", blob)})
    # "a" (a tree) sorts as "a/", after "a.json": git's order, checked by git mktree
    entries = {"a": ("040000", inner), "a.json": ("100644", blob), "b": ("100644", blob)}
    tree = w.write(entries)
    listing = "".join(f"{'040000 tree' if m == '040000' else m + ' blob'} {o}\t{n}\n"
                      for n, (m, o) in entries.items())
    assert tree == git(repo, "mktree", input=listing.encode()).decode().strip()
    commit = w.commit(tree, None, author=("稲城市 <総務課>", "somu@example.invalid"),
                      committer=("Yoshiki", "registry@yoshiki.invalid"), when=1700000000,
                      message="publish 132250/x@1.0.0\n\nYoshiki-Event: published\n")
    git(repo, "update-ref", "refs/heads/main", commit)
    shown = git(repo, "cat-file", "-p", commit).decode()
    assert "author 稲城市 総務課 <somu@example.invalid> 1700000000 +0000" in shown
    assert git(repo, "show", f"{commit}:a/schema.json") == data
    fsck = subprocess.run(["git", f"--git-dir={repo}", "fsck", "--strict"], capture_output=True)
    assert fsck.returncode == 0, fsck.stderr


def test_a_taken_temporary_name_or_a_missing_folder_is_no_obstacle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dead process's tmp_obj_<pid>_<n> (same pid, reused) is left alone and another name
    taken; a folder that does not exist (new, or emptied by prune-packed) is made."""
    repo = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    monkeypatch.setattr(git_objects, "_SERIAL", itertools.count())
    data = "多摩市\n".encode()
    oid = git(repo, "hash-object", "--stdin", input=data).decode().strip()
    folder = repo / "objects" / oid[:2]
    folder.mkdir()
    stale = folder / f"tmp_obj_{os.getpid()}_0"
    stale.write_bytes(b"left by a killed writer")
    w = LooseObjectWriter(repo)
    assert w.blob(data) == oid
    assert sorted(p.name for p in folder.iterdir()) == sorted([oid[2:], stale.name])
    assert stat.S_IMODE((folder / oid[2:]).stat().st_mode) == 0o444
    other = "稲城市\n".encode()
    other_oid = git(repo, "hash-object", "--stdin", input=other).decode().strip()
    shutil.rmtree(repo / "objects" / other_oid[:2], ignore_errors=True)
    assert w.blob(other) == other_oid
    assert git(repo, "cat-file", "blob", other_oid) == other
    assert not [p for p in (repo / "objects").glob("??/tmp_obj_*") if p != stale]
