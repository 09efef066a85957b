"""The git side of ``yoshiki ci``: the ``git`` CLI through subprocess (no GitPython).

One short process per question: the comparison base (``find_base``), and the two trees the
pure checks compare (``read_trees``: the base from git objects, the working tree from disk,
untracked files included, ignored files not).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.checks.tree import Tree

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")


class Git:
    """Runs ``git`` in one work tree; every call is one short subprocess."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run a git command; a failure with ``check`` becomes a UsageError with git's message."""
        from registry.errors import UsageError

        try:
            proc = subprocess.run(["git", *args], cwd=self.cwd, capture_output=True, check=False,
                                  env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"})
        except FileNotFoundError:
            raise UsageError("git is not installed (yoshiki ci needs the git command)",
                             detail_ja="git がインストールされていません（yoshiki ci には git コマンドが必要です）") from None
        if check and proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip()
            raise UsageError(f"git {' '.join(args)} failed: {msg}",
                             detail_ja=f"git {' '.join(args)} が失敗しました: {msg}")
        return proc

    def out(self, *args: str) -> str:
        """Standard output of a git command, stripped."""
        return self.run(*args).stdout.decode("utf-8", "replace").strip()

    def commit_of(self, ref: str) -> str | None:
        """The commit a ref names, or None."""
        proc = self.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def zlist(self, *args: str) -> list[str]:
        """A NUL-separated listing."""
        data = self.run(*args).stdout
        return [p.decode("utf-8", "surrogateescape") for p in data.split(b"\0") if p]


def find_base(git: Git, ref: str | None, prefix: str = "") -> tuple[str, str]:
    """(commit or the empty tree, a label for messages) of the comparison base."""
    from registry.errors import NotFound

    if ref is not None:
        commit = git.commit_of(ref)
        if commit is None:
            raise NotFound(f"--base {ref}: no such commit, branch or tag (fetch it first: actions/checkout needs fetch-depth: 0)",
                           detail_ja=f"--base {ref}: そのコミット・ブランチ・タグはありません（先に取得してください。actions/checkout では fetch-depth: 0 が必要です）")
        return commit, ref
    head = git.commit_of("HEAD")
    if head is None:
        return EMPTY_TREE, "(コミットなし / no commits)"
    candidates: list[str] = []
    origin_head = git.run("symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD", check=False)
    if origin_head.returncode == 0:
        candidates.append(origin_head.stdout.decode().strip())
    candidates.extend(DEFAULT_BRANCHES)
    for name in candidates:
        if git.commit_of(name) is None:
            continue
        proc = git.run("merge-base", "HEAD", name, check=False)
        base = proc.stdout.decode().strip()
        if proc.returncode == 0 and base and base != head:
            return base, f"merge-base(HEAD, {name})"
    # On the default branch itself (or with none): uncommitted changes are what a pre-commit hook
    # or a local run checks, so compare with HEAD; a clean tree (CI after a push) checks HEAD's
    # own commit against its parent.
    dirty = git.run("status", "--porcelain", "-z", "--untracked-files=all", "--", prefix or ".").stdout
    if dirty.strip(b"\0"):
        return head, "HEAD"
    parent = git.commit_of("HEAD~1")
    if parent is not None:
        return parent, "HEAD~1"
    return EMPTY_TREE, "(最初のコミット / first commit)"


def _strip(prefix: str, paths: Sequence[str]) -> list[str]:
    if not prefix:
        return list(paths)
    return [p[len(prefix) + 1:] for p in paths if p.startswith(prefix + "/")]


def read_trees(git: Git, toplevel: Path, prefix: str, base: str) -> tuple[Tree, Tree, set[str] | None]:
    """The base tree, the working tree and the set of paths whose content differs."""
    from registry.checks.tree import Tree

    spec = [prefix] if prefix else []
    blobs: dict[str, str] = {}
    if base != EMPTY_TREE:
        data = git.run("ls-tree", "-r", "-z", "--full-tree", base, "--", *spec).stdout
        for entry in data.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == b"blob":
                blobs[path.decode("utf-8", "surrogateescape")] = parts[2].decode()
    base_paths = {p[len(prefix) + 1:] if prefix else p: sha for p, sha in blobs.items()
                  if not prefix or p.startswith(prefix + "/")}

    def read_base(path: str) -> bytes | None:
        sha = base_paths.get(path)
        if sha is None:
            return None
        return git.run("cat-file", "blob", sha).stdout

    listed = git.zlist("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name",
                       "--", *(spec or ["."]))
    root = toplevel / prefix if prefix else toplevel
    head_paths = {p for p in _strip(prefix, listed) if (root / p).is_file()}

    def read_head(path: str) -> bytes | None:
        try:
            return (root / path).read_bytes() if path in head_paths else None
        except OSError:
            return None

    changed: set[str] | None = None
    if base != EMPTY_TREE:
        diffed = git.zlist("diff", "--name-only", "-z", "--no-renames", base, "--", *(spec or ["."]))
        untracked = git.zlist("ls-files", "-z", "--others", "--exclude-standard", "--full-name",
                              "--", *(spec or ["."]))
        changed = set(_strip(prefix, diffed)) | set(_strip(prefix, untracked))
    return (Tree(frozenset(base_paths), read_base), Tree(frozenset(head_paths), read_head), changed)
