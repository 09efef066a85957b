"""The loose-object writer against git itself: same ids, readable objects, fsck --strict clean."""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.storage import git_objects
from registry.storage.git_objects import LooseObjectWriter, Tree, read_loose


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


# -- trees edited in place: what git mktree writes for the same entries -------------------------

# Names that sort differently as folders: "a" (a tree) sorts as "a/", after "a-b" and "a.b"
# ("-" and "." are below "/") and before "a0" ("0" is above "/").
NAMES = st.sampled_from(["a", "a-b", "a.b", "a0", "a_b", "ab", "b", "132241", "13224", "1322410",
                         "template.json", "examples", "examples.json", "z", "多摩市", "x y"])
MODES = st.sampled_from(["100644", "100755", "120000", "40000", "040000"])
OIDS = st.binary(min_size=20, max_size=20).map(bytes.hex)
ENTRY = st.tuples(MODES, OIDS)


def mktree(repo: Path, entries: dict[str, tuple[str, str]]) -> str:
    """The id git mktree gives these entries (objects need not exist: --missing)."""
    listing = "".join(f"{'040000 tree' if m in ('40000', '040000') else m + ' blob'} {o}\t{n}\n"
                      for n, (m, o) in entries.items())
    return git(repo, "mktree", "--missing", input=listing.encode()).decode().strip()


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("trees") / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    return repo


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.dictionaries(NAMES, ENTRY, max_size=12),
       edits=st.lists(st.dictionaries(NAMES, st.none() | ENTRY, max_size=4), max_size=4))
def test_an_edited_tree_is_the_tree_git_writes(bare: Path, base: dict[str, tuple[str, str]],
                                               edits: list[dict[str, tuple[str, str] | None]]) -> None:
    """Each edit of a parsed tree (replace, add, remove, file <-> folder) gives the bytes, hence
    the id, git mktree writes for the resulting entries; parsing them back gives them back."""
    tree = Tree(b"").edit(base)
    expected = dict(base)
    w = LooseObjectWriter(bare)
    assert w.tree(tree) == mktree(bare, expected)
    for edit in edits:
        tree = Tree(tree.raw).edit(edit) if len(edit) % 2 else tree.edit(edit)  # parsed or not
        for name, change in edit.items():
            if change is None:
                expected.pop(name, None)
            else:
                expected[name] = change
        assert w.tree(tree) == mktree(bare, expected)
        norm = {n: ("40000" if m == "040000" else m, o) for n, (m, o) in expected.items()}
        assert Tree(tree.raw).as_dict() == norm
        assert all(tree.get(n) == v for n, v in norm.items())


def test_a_national_root_tree_edited_in_place(tmp_path: Path) -> None:
    """1,788 municipality folders: replacing one, adding one, removing one as git would; the
    big tree is written stored (zlib level 0) and git reads it (fsck --strict clean)."""
    from registry.municipalities import all_municipalities

    repo = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    w = LooseObjectWriter(repo)
    leaf = w.write({"template.json": ("100644", w.blob(b"{}\n"))})
    entries = {m.code: ("040000", leaf) for m in all_municipalities()}
    root = Tree(b"").edit(entries)
    assert len(root.raw) > 16 * 1024
    root_id = w.tree(root)
    assert root_id == mktree(repo, entries)
    assert git(repo, "cat-file", "-t", root_id) == b"tree\n"
    assert read_loose(repo, root_id) == ("tree", root.raw)
    other = w.write({"schema.json": ("100644", w.blob(b"[]\n"))})
    code = sorted(entries)[900]
    edit = {code: ("40000", other), "999999": ("40000", other), sorted(entries)[5]: None}
    edited = Tree(root.raw).edit(edit)
    for name, change in edit.items():
        if change is None:
            del entries[name]
        else:
            entries[name] = change
    new_id = w.tree(edited)
    assert new_id == mktree(repo, entries)
    commit = w.commit(new_id, None, author=("a", "a@example.invalid"),
                      committer=("b", "b@example.invalid"), when=1700000000, message="m\n")
    git(repo, "update-ref", "refs/heads/main", commit)
    fsck = subprocess.run(["git", f"--git-dir={repo}", "fsck", "--strict"], capture_output=True)
    assert fsck.returncode == 0, fsck.stderr
    assert read_loose(repo, "0" * 40) is None


def test_a_malformed_tree_or_name_is_refused() -> None:
    with pytest.raises(ValueError, match="well-formed"):
        _ = Tree(b"100644 a\0short").entries
    for bad in ("", "a/b", "a\0b"):
        with pytest.raises(ValueError, match="entry name"):
            Tree(b"").edit({bad: ("100644", "0" * 40)})
    with pytest.raises(ValueError, match="SHA-1"):
        Tree(b"").edit({"a": ("100644", "00")})
