"""GitTemplateStore on real bare repositories: plumbing writes, CAS, reads, bulk reader."""

from __future__ import annotations

import contextlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from registry.errors import VersionExists
from registry.layout import TemplateKey, VersionKey
from registry.storage.git_store import GitTemplateStore, commit_message
from tests.storage.conftest import TAMA, fsck_ok, under, version_files

V1 = VersionKey("132241", "staff-lunch-survey", "1.0.0")
V2 = VersionKey("132241", "staff-lunch-survey", "1.1.0")


def publish(store: GitTemplateStore, key: VersionKey, bump: str | None = None) -> str:
    info = store.commit_files(under(key, version_files(key)), author=TAMA,
                              message=commit_message("publish", key, bump, "変更点"),
                              must_not_exist=key)
    return info.commit


def git(store: GitTemplateStore, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={store.path}", *args], capture_output=True,
                          text=True, check=True).stdout


def test_creates_a_bare_repository_without_index_or_worktree(store: GitTemplateStore) -> None:
    assert git(store, "rev-parse", "--is-bare-repository").strip() == "true"
    assert store.tip() is None
    assert store.list_templates() == []
    publish(store, V1)
    assert not (store.path / "index").exists()
    assert git(store, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_one_commit_per_publish_authored_by_the_account(store: GitTemplateStore) -> None:
    first = publish(store, V1)
    second = publish(store, V2, "minor")
    log = git(store, "log", "--format=%H|%an|%ae|%cn|%s", "main").splitlines()
    assert log == [
        f"{second}|情報政策課 (多摩市 132241)|joho@city.tama.invalid|Yoshiki Registry|"
        "publish 132241/staff-lunch-survey 1.1.0 (minor)",
        f"{first}|情報政策課 (多摩市 132241)|joho@city.tama.invalid|Yoshiki Registry|"
        "publish 132241/staff-lunch-survey 1.0.0",
    ]
    assert git(store, "rev-parse", f"{second}^").strip() == first
    fsck_ok(store)


def test_unchanged_subtrees_are_reused(store: GitTemplateStore) -> None:
    publish(store, V1)
    other = VersionKey("132250", "staff-lunch-survey", "1.0.0")
    before = git(store, "rev-parse", "main:132241/staff-lunch-survey/1.0.0").strip()
    publish(store, other)
    assert git(store, "rev-parse", "main:132241/staff-lunch-survey/1.0.0").strip() == before
    assert store.list_templates() == [TemplateKey("132241", "staff-lunch-survey"),
                                      TemplateKey("132250", "staff-lunch-survey")]


def test_reads_versions_and_files_at_a_commit(store: GitTemplateStore) -> None:
    first = publish(store, V1)
    publish(store, V2, "minor")
    assert store.list_versions(V1.template) == ["1.0.0", "1.1.0"]
    assert store.list_versions(V1.template, first) == ["1.0.0"]
    assert store.exists(V2)
    assert not store.exists(V2, first)
    files = store.read_version(V1)
    assert files == version_files(V1)
    assert store.read_version(V2, first) == {}
    assert store.read_file(f"{V1.relpath}/template.json") == files["template.json"]
    assert store.read_file("132241/nothing/1.0.0/template.json") is None


def test_published_version_is_immutable(store: GitTemplateStore) -> None:
    tip = publish(store, V1)
    with pytest.raises(VersionExists, match="already published"):
        publish(store, V1)
    assert store.tip() == tip


def test_compare_and_swap_refuses_a_moved_tip(store: GitTemplateStore) -> None:
    first = publish(store, V1)
    publish(store, V2, "minor")
    tree = git(store, "rev-parse", f"{first}^{{tree}}").strip()
    stale = subprocess.run(["git", f"--git-dir={store.path}", "commit-tree", tree, "-p", first,
                            "-m", "stale"], capture_output=True, text=True, check=True,
                           env={"GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x",
                                "GIT_COMMITTER_NAME": "x", "GIT_COMMITTER_EMAIL": "x@x",
                                "PATH": "/usr/bin:/bin"}).stdout.strip()
    # What the store does: update-ref with the old value it read — a stale one must fail.
    proc = subprocess.run(["git", f"--git-dir={store.path}", "update-ref", "refs/heads/main",
                           stale, first], capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "expected" in proc.stderr or "but" in proc.stderr
    # The same through the store's long-lived `update-ref --stdin`: refused with git's reason,
    # the branch unmoved; the next compare-and-swap (a fresh helper) succeeds.
    tip = store.tip()
    assert tip is not None
    refused = store._update_ref(stale, first)
    assert refused is not None
    assert b"expected" in refused
    assert store.tip() == tip
    assert store._update_ref(stale, tip) is None
    assert store.tip() == stale
    assert store._update_ref(tip, stale) is None  # the same helper, again
    assert store.tip() == tip


def test_history_log_for_a_version_and_a_template(store: GitTemplateStore) -> None:
    publish(store, V1)
    publish(store, V2, "minor")
    assert [c.message.splitlines()[0] for c in store.log_for(V1)] == [
        "publish 132241/staff-lunch-survey 1.0.0"]
    assert len(store.log_for(V1.template)) == 2
    assert store.log_for(V1)[0].date.endswith("+00:00")


def test_bulk_reader_maps_versions_to_their_commits(store: GitTemplateStore) -> None:
    first = publish(store, V1)
    second = publish(store, V2, "minor")
    got = list(store.iter_versions())
    assert [(str(v.key), v.commit.commit if v.commit else None, v.bump) for v in got] == [
        ("132241/staff-lunch-survey@1.0.0", first, None),
        ("132241/staff-lunch-survey@1.1.0", second, "minor"),
    ]
    assert got[0].template == version_files(V1)["template.json"]


def test_bulk_reader_falls_back_for_commits_without_trailers(store: GitTemplateStore) -> None:
    info = store.commit_files(under(V1, version_files(V1)), author=TAMA, message="hand-made\n")
    (got,) = list(store.iter_versions())
    assert got.commit is not None
    assert got.commit.commit == info.commit


def test_deprecation_file_next_to_the_versions(store: GitTemplateStore) -> None:
    publish(store, V1)
    store.commit_files({"132241/staff-lunch-survey/deprecated.json":
                        '{"1.0.0": {"reason": "様式改定", "by": "x", "at": "2026-01-01"}}'.encode()},
                       author=TAMA, message="deprecate\n")
    assert store.deprecations(V1.template)["1.0.0"]["reason"] == "様式改定"
    (got,) = list(store.iter_versions())
    assert got.deprecated
    assert got.deprecated_reason == "様式改定"
    assert store.list_versions(V1.template) == ["1.0.0"]


def test_delete_and_empty_repository(store: GitTemplateStore, tmp_path: Path) -> None:
    publish(store, V1)
    publish(store, V2, "minor")
    store.commit_files({f"{V2.relpath}/{p}": None for p in version_files(V2)}, author=TAMA,
                       message="remove\n")
    assert store.list_versions(V1.template) == ["1.0.0"]
    fsck_ok(store)


def test_read_modify_write_is_redone_after_a_lost_race(store: GitTemplateStore) -> None:
    publish(store, V1)
    path = "132241/staff-lunch-survey/deprecated.json"
    other = GitTemplateStore(store.path)
    # A writer on another host: it shares no flock with us, only update-ref's compare-and-swap.
    other._writers_lock = contextlib.nullcontext  # type: ignore[method-assign]
    calls: list[bytes | None] = []

    def add(name: str) -> Any:
        def build(read: Any) -> dict[str, bytes | None]:
            current = read(path)
            calls.append(current)
            if len(calls) == 1:  # another writer commits while we are building
                other.commit_files({path: b'{"other": 1}\n'}, author=TAMA, message="other\n")
            merged = {**json.loads(current or b"{}"), name: 1}
            return {path: json.dumps(merged, sort_keys=True).encode()}
        return build

    store.commit_files(add("mine"), author=TAMA, message="mine\n")
    assert calls == [None, b'{"other": 1}\n']
    assert store.retries == 1
    assert json.loads(store.read_file(path) or b"") == {"mine": 1, "other": 1}
    fsck_ok(store)


def test_versions_read_at_any_revision_and_trees_like_git(store: GitTemplateStore) -> None:
    """The trees walked without cat-file (loose files, a cache by id) answer as git does: at a
    commit id, a root tree id, a branch, an abbreviated id; nothing at a made-up id. A second
    store (empty caches, another writer's loose objects) sees the same; what the store writes
    beside a root of many folders, named to sort differently as folders ("a" sorts as "a/"),
    is the tree git mktree writes."""
    first = publish(store, V1)
    t = V1.template
    other = GitTemplateStore(store.path)
    for s in (store, other):
        root = git(s, "rev-parse", f"{first}^{{tree}}").strip()
        for rev in (first, root, "main", first[:12]):
            assert s.list_versions(t, rev) == ["1.0.0"], rev
        assert s.list_versions(t, "0" * 40) == []
        assert s.exists(V1)
        assert not s.exists(V2)
    second = publish(other, V2)
    assert store.list_versions(t, second) == ["1.0.0", "1.1.0"]
    # folders next to "132241" whose names sort differently as folders and as files
    names = ["13224", "132241-a", "132241.b", "1322410", "132241_c"]
    for lg in names:
        store.commit_files({f"{lg}/x/y.json": b"{}\n"}, author=TAMA, message="add\n")
    listing = git(store, "ls-tree", "main")
    rebuilt = subprocess.run(["git", f"--git-dir={store.path}", "mktree"], input=listing, text=True,
                             capture_output=True, check=True).stdout.strip()
    assert rebuilt == git(store, "rev-parse", "main^{tree}").strip()
    assert [line.split("\t")[1] for line in listing.splitlines()] == \
        ["13224", "132241-a", "132241.b", "132241", "1322410", "132241_c"]
    fsck_ok(store)
