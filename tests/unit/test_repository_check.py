"""registry.checks.repository on in-memory trees: changes, immutability, bumps, modes, forks, purity."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from registry.checks.locked import locked_pointers
from registry.checks.repository import (
    Changes,
    Tree,
    UpstreamInfo,
    check_repository,
    find_changes,
    version_files,
)
from registry.layout import VersionKey

LG = "132241"


def schema(version: str, *, slug: str = "form", lg: str = LG, maximum: int = 10, **props: Any) -> bytes:
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://yoshiki.invalid/{lg}/{slug}/{version}/schema.json",
        "title": "申込", "type": "object",
        "properties": {"n": {"type": "integer", "title": "人数", "maximum": maximum}, **props},
        "required": ["n"],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def template(**extra: Any) -> bytes:
    return json.dumps({"title": "申込", "category": "その他", **extra}, ensure_ascii=False).encode()


def version(v: str, *, slug: str = "form", lg: str = LG, tpl: dict[str, Any] | None = None,
            **kw: Any) -> dict[str, bytes]:
    base = f"{lg}/{slug}/{v}"
    return {f"{base}/template.json": template(**(tpl or {})),
            f"{base}/schema.json": schema(v, slug=slug, lg=lg, **kw)}


def rules(base: dict[str, bytes], head: dict[str, bytes], **kw: Any) -> list[str]:
    result = check_repository(Tree.from_dict(base), Tree.from_dict(head), **kw)
    return [i.rule for i in result.issues]


def test_version_files_ignore_everything_outside_version_folders() -> None:
    files = version_files(["README.md", f"{LG}/form/1.0.0/schema.json", f"{LG}/form/notes.txt",
                           f"{LG}/form/1.0.0/examples/valid/a.json"])
    assert files == {VersionKey(LG, "form", "1.0.0"): {f"{LG}/form/1.0.0/schema.json",
                                                       f"{LG}/form/1.0.0/examples/valid/a.json"}}


def test_find_changes_sorts_added_modified_deleted() -> None:
    base = {**version("1.0.0"), **version("1.0.0", slug="old")}
    head = {**version("1.0.0", maximum=11), **version("1.1.0", maximum=20), "README.md": b"x"}
    changes = find_changes(Tree.from_dict(base), Tree.from_dict(head))
    assert changes == Changes(added=[VersionKey(LG, "form", "1.1.0")],
                              modified={VersionKey(LG, "form", "1.0.0"): [f"{LG}/form/1.0.0/schema.json"]},
                              deleted=[VersionKey(LG, "old", "1.0.0")])


def test_changed_paths_from_git_spare_reading() -> None:
    base, head = version("1.0.0"), version("1.0.0")
    changes = find_changes(Tree.from_dict(base), Tree.from_dict(head), changed={f"{LG}/form/1.0.0/template.json"})
    assert changes.modified == {VersionKey(LG, "form", "1.0.0"): [f"{LG}/form/1.0.0/template.json"]}


def test_a_file_added_to_a_published_version_is_a_modification() -> None:
    head = {**version("1.0.0"), f"{LG}/form/1.0.0/examples/valid/new.json": b"{}"}
    result = check_repository(Tree.from_dict(version("1.0.0")), Tree.from_dict(head))
    assert [(i.rule, i.file) for i in result.issues] == [
        ("ci.published-modified", f"{LG}/form/1.0.0/examples/valid/new.json")]
    assert "追加されています" in result.issues[0].message_ja


def test_a_folder_that_is_not_a_version_is_reported() -> None:
    head = {f"{LG}/form/1.1/schema.json": b"{}"}
    assert rules({}, head) == ["ci.not-a-version"]


@pytest.mark.parametrize(("new_version", "maximum", "expected"), [
    ("1.0.1", 10, []),                              # nothing changed but the version
    ("1.1.0", 20, []),                              # widening: minor
    ("1.0.1", 20, ["ci.bump-too-small"]),           # widening released as patch
    ("1.1.0", 5, ["ci.bump-too-small"]),            # narrowing released as minor
    ("2.0.0", 5, []),                               # a new major line may break BACKWARD
])
def test_bumps_under_backward(new_version: str, maximum: int, expected: list[str]) -> None:
    base = version("1.0.0")
    assert rules(base, {**base, **version(new_version, maximum=maximum)}) == expected


def test_a_deliberate_break_declares_none_and_a_major() -> None:
    base = version("1.0.0")
    assert rules(base, {**base, **version("2.0.0", maximum=5, tpl={"compatibility": "NONE"})}) == []
    assert rules(base, {**base, **version("1.1.0", maximum=5, tpl={"compatibility": "NONE"})}) == [
        "ci.bump-too-small"]


def test_forward_mode_refuses_widening() -> None:
    base = version("1.0.0")
    assert rules(base, {**base, **version("1.1.0", maximum=20, tpl={"compatibility": "FORWARD"})}) == [
        "ci.bump-too-small"]
    assert rules(base, {**base, **version("1.1.0", maximum=5, tpl={"compatibility": "FORWARD"})}) == []


def test_transitive_modes_compare_with_every_earlier_version_of_the_major_line() -> None:
    # lenient: adding 備考 as text, dropping it, adding it back as a number is compatible step by
    # step, but data collected under 1.1.0 (備考 as text) is rejected by 1.3.0.
    text = {"note": {"type": "string", "title": "備考", "maxLength": 100}}
    number = {"note": {"type": "integer", "title": "備考"}}
    base = {**version("1.0.0"), **version("1.1.0", **text), **version("1.2.0")}
    head = {**base, **version("1.3.0", **number)}
    assert rules(base, head) == []
    head = {**base, **version("1.3.0", tpl={"compatibility": "BACKWARD_TRANSITIVE"}, **number)}
    result = check_repository(Tree.from_dict(base), Tree.from_dict(head))
    assert [i.rule for i in result.issues] == ["ci.incompatible"]
    assert result.issues[0].pointer.startswith("/properties/note")
    assert "1.3.0 は 1.1.0 と互換性モード BACKWARD_TRANSITIVE を満たしません" in result.issues[0].message_ja
    # a new major line starts afresh: 2.0.0 is compared with nothing of the 1.x line
    head = {**base, **version("2.0.0", tpl={"compatibility": "BACKWARD_TRANSITIVE"}, **number)}
    assert rules(base, head) == []


def test_versions_added_together_are_compared_with_each_other() -> None:
    head = {**version("1.0.0"), **version("1.1.0", maximum=5)}
    assert rules({}, head) == ["ci.bump-too-small"]


def test_the_suggested_version_is_in_the_hint() -> None:
    base = version("1.0.0")
    result = check_repository(Tree.from_dict(base), Tree.from_dict({**base, **version("1.1.0", maximum=5)}))
    issue = result.issues[0]
    assert (issue.file, issue.pointer, issue.line, issue.column) == (
        f"{LG}/form/1.1.0/schema.json", "/properties/n/maximum", 10, 7)
    assert issue.hint_ja is not None
    assert issue.hint_ja.startswith(f"フォルダを {LG}/form/2.0.0/ に（$id も）変更してください")


def test_validation_and_lint_callbacks_run_for_added_versions_only() -> None:
    seen: list[str] = []

    def validate(key: VersionKey) -> list[Any]:
        seen.append(str(key))
        return []

    base = version("1.0.0")
    check_repository(Tree.from_dict(base), Tree.from_dict({**base, **version("1.1.0", maximum=20)}),
                     validate=validate, lint=validate)
    assert seen == [f"{LG}/form@1.1.0", f"{LG}/form@1.1.0"]


LOCKED = {"type": "string", "title": "氏名", "maxLength": 50, "x-yoshiki-locked": True}


def fork(**props: Any) -> dict[str, bytes]:
    return version("1.0.0", lg="132250", tpl={"upstream": {"template": f"{LG}/form", "version": "1.0.0"}},
                   **props)


def test_locked_pointers() -> None:
    assert locked_pointers(json.loads(schema("1.0.0", name=LOCKED))) == ["/properties/name"]


@pytest.mark.parametrize(("fork_field", "expected"), [
    (None, ["ci.locked-field"]),                                            # dropped
    ({**LOCKED, "maxLength": 20}, ["ci.locked-field"]),                     # validates differently
    ({**LOCKED, "title": "お名前", "description": "説明"}, []),                # wording only
    ({"$ref": "#/$defs/name"}, []),                                         # moved into $defs
])
def test_forks_keep_locked_fields(fork_field: dict[str, Any] | None, expected: list[str]) -> None:
    base = version("1.0.0", name=LOCKED)
    props: dict[str, Any] = {} if fork_field is None else {"name": fork_field}
    head = {**base, **fork(**props)}
    if fork_field == {"$ref": "#/$defs/name"}:
        doc = json.loads(head["132250/form/1.0.0/schema.json"])
        doc["$defs"] = {"name": LOCKED}
        head["132250/form/1.0.0/schema.json"] = json.dumps(doc).encode()
    assert rules(base, head) == expected


def test_upstreams_resolve_in_the_tree_or_through_the_lookup() -> None:
    head = fork()
    assert rules({}, head) == ["ci.upstream-missing"]
    asked: list[tuple[str, str]] = []

    def lookup(name: str, v: str) -> UpstreamInfo:
        asked.append((name, v))
        return UpstreamInfo(exists=True, schema=json.loads(schema("1.0.0", name=LOCKED)))

    assert rules({}, head, upstream_lookup=lookup) == ["ci.locked-field"]
    assert asked == [(f"{LG}/form", "1.0.0")]
    assert rules({}, head, upstream_lookup=lambda n, v: UpstreamInfo(exists=False)) == ["ci.upstream-missing"]


def test_the_module_is_pure() -> None:
    code = ("import sys, registry.checks.repository; "
            "bad = [m for m in ('git', 'click', 'litestar', 'sqlmodel', 'sqlalchemy', 'httpx') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_policy_reaches_the_diff() -> None:
    from registry.diff import Policy

    base = version("1.0.0")
    head = {**base, **version("1.1.0", note={"type": "string", "title": "備考"})}
    assert rules(base, head, policy=Policy.lenient()) == []
    # strict: the open object accepted any "note" before, so narrowing it to a string is a break.
    assert rules(base, head, policy=Policy.strict()) == ["ci.bump-too-small"]
