"""The loose-object writer against git itself: same ids, readable objects, fsck --strict clean."""

from __future__ import annotations

import subprocess
from pathlib import Path

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
