"""The pure part of ``yoshiki ci``: what changed between two trees of a repository, and what is wrong.

The caller (``cli/commands/ci.py``) reads git; this module only sees two ``Tree``s — the set of
files at the base and in the working tree, each with a reader — and returns ``Issue``s:

- a version folder that exists at the base is published and immutable: modifying or deleting it
  is refused (``ci.published-modified`` / ``ci.published-deleted``), naming the file and what to
  do instead (add a new version folder);
- every added version is validated and linted (callbacks: the same functions as ``validate`` and
  ``lint``), diffed against the earlier versions of its template under the compatibility mode its
  template.json declares (transitive modes against every earlier version), and its declared
  version number must be at least the bump the diff requires (``ci.bump-too-small``) and the mode
  must hold (``ci.incompatible``);
- a fork's ``upstream`` must resolve (in the repository, or through a lookup, e.g. the registry's
  API) and every field its upstream marks ``x-yoshiki-locked`` must be kept with unchanged
  validation (``ci.locked-field``), comparing the fields' subschemas with their ``$ref``s resolved.

File names in issues are relative to the layout root ('/'-separated); lines come from
``registry.syntax.sourcemap``. No git, no network, no click here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from registry.errors import NotFound, RegistryError
from registry.layout import LG_RE, SCHEMA_FILE, TEMPLATE_FILE, VersionKey, is_slug
from registry.models import Issue
from registry.syntax import pointers
from registry.syntax.refs import Resolver, SchemaSet
from registry.syntax.sourcemap import locate
from registry.versioning import BUMP_ORDER, Bump, Version

DEFAULT_MODE = "BACKWARD"
MODES = ("BACKWARD", "FORWARD", "FULL", "NONE",
         "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE")
BUMP_JA: dict[str, str] = {"none": "変更なし", "patch": "パッチ", "minor": "マイナー", "major": "メジャー"}
# Validation's own upstream check only looks in the folder; CI replaces it with ci.upstream-missing,
# which also asks the registry when --registry is given.
REPLACED_RULES = frozenset({"layout.upstream-missing"})
_MAX_INLINE_DEPTH = 32

Reader = Callable[[str], bytes | None]
"""Bytes of a file (path relative to the layout root), or None when it does not exist."""


@dataclass(frozen=True)
class Tree:
    """The files of one side (base or working tree): paths relative to the layout root."""

    paths: frozenset[str]
    read: Reader

    @classmethod
    def from_dict(cls, files: dict[str, bytes]) -> Tree:
        """A tree held in memory (tests, in-memory checks)."""
        return cls(frozenset(files), files.get)


@dataclass(frozen=True)
class UpstreamInfo:
    """What a lookup found about an upstream version: whether it exists, and its schema if known."""

    exists: bool
    schema: Any = None


UpstreamLookup = Callable[[str, str], UpstreamInfo]
"""``(template "LG/slug", version) -> UpstreamInfo``; raises RegistryError when it cannot tell."""


@dataclass
class Changes:
    """Version folders added, modified and deleted between the base and the working tree."""

    added: list[VersionKey] = field(default_factory=list)
    modified: dict[VersionKey, list[str]] = field(default_factory=dict)
    deleted: list[VersionKey] = field(default_factory=list)
    # Files below <lg>/<slug>/ whose third component is not a version (e.g. 132241/x/1.1/schema.json).
    misplaced: list[str] = field(default_factory=list)


class VersionReport(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What CI found for one added version (for the JSON and Markdown summaries)."""

    version: str
    previous: str | None = None
    mode: str = DEFAULT_MODE
    declared_bump: str | None = None
    required_bump: str | None = None
    compatible: bool | None = None
    upstream: str | None = None


@dataclass
class CheckResult:
    """Everything CI found: the issues, and what it looked at."""

    issues: list[Issue]
    changes: Changes
    versions: list[VersionReport]


def _key_of(path: str) -> VersionKey | None:
    parts = path.split("/")
    if len(parts) >= 4 and LG_RE.fullmatch(parts[0]) and is_slug(parts[1]) and Version.is_valid(parts[2]):
        return VersionKey(parts[0], parts[1], parts[2])
    return None


def version_files(paths: Iterable[str]) -> dict[VersionKey, set[str]]:
    """Files of every version folder, by version (paths outside version folders are ignored)."""
    out: dict[VersionKey, set[str]] = {}
    for path in paths:
        key = _key_of(path)
        if key is not None:
            out.setdefault(key, set()).add(path)
    return out


def _version_sort(keys: Iterable[VersionKey]) -> list[VersionKey]:
    return sorted(keys, key=lambda k: (k.lg, k.slug, Version.parse(k.version)))


def find_changes(base: Tree, head: Tree, changed: Collection[str] | None = None) -> Changes:
    """Compare the trees; ``changed`` (paths whose content differs, e.g. from ``git diff``) spares reading."""
    before, after = version_files(base.paths), version_files(head.paths)
    result = Changes()
    for key in _version_sort(set(before) | set(after)):
        if key not in before:
            result.added.append(key)
        elif key not in after:
            result.deleted.append(key)
        else:
            differing = sorted(before[key] ^ after[key])
            for path in sorted(before[key] & after[key]):
                same = (path not in changed) if changed is not None else base.read(path) == head.read(path)
                if not same:
                    differing.append(path)
            if differing:
                result.modified[key] = sorted(differing)
    for path in sorted(head.paths - base.paths):
        parts = path.split("/")
        if (len(parts) >= 4 and LG_RE.fullmatch(parts[0]) and _key_of(path) is None
                and not parts[0].startswith(".")):
            result.misplaced.append(path)
    return result


def _issue(rule: str, en: str, ja: str, file: str, *, pointer: str = "", line: int | None = None,
           column: int | None = None, hint: str | None = None, hint_ja: str | None = None,
           severity: str = "error") -> Issue:
    return Issue(rule=rule, message=en, message_ja=ja, file=file, pointer=pointer, line=line,
                 column=column, hint=hint, hint_ja=hint_ja, severity=severity)  # type: ignore[arg-type]


def _next_free(key: VersionKey, head: Tree, bump: Bump) -> str:
    """The next version of the template above every existing one, for a change of size ``bump``."""
    versions = [Version.parse(k.version) for k in version_files(head.paths)
                if k.template == key.template]
    top = max(versions, default=Version.parse(key.version))
    return str(top.bumped(bump if bump != "none" else "patch"))


def immutability_issues(changes: Changes, base: Tree, head: Tree, base_label: str = "BASE") -> list[Issue]:
    """Published version folders must not change: one issue per modified file or deleted version."""
    issues: list[Issue] = []
    for key, files in changes.modified.items():
        suggestion = _next_free(key, head, "patch")
        for path in files:
            gone, new = path not in head.paths, path not in base.paths
            what_en = "was deleted from" if gone else "was added to" if new else "was modified in"
            what_ja = "削除" if gone else "追加" if new else "変更"
            issues.append(_issue(
                "ci.published-modified",
                f"{path} {what_en} the published version {key}; published versions are immutable.",
                f"公開済みの版 {key} のファイル {path} が{what_ja}されています。公開済みの版は変更できません。",
                path,
                hint=(f"Restore it (git checkout {base_label} -- {path}) and put the change in a new "
                      f"version folder, e.g. {key.lg}/{key.slug}/{suggestion}/."),
                hint_ja=(f"元に戻し（git checkout {base_label} -- {path}）、変更は新しい版のフォルダ"
                         f"（例: {key.lg}/{key.slug}/{suggestion}/）として追加してください。")))
    for key in changes.deleted:
        issues.append(_issue(
            "ci.published-deleted",
            f"The published version {key} ({key.relpath}/) was deleted; published versions are never removed.",
            f"公開済みの版 {key}（{key.relpath}/）が削除されています。公開済みの版は削除できません。",
            key.relpath + "/",
            hint=(f"Restore it (git checkout {base_label} -- {key.relpath}); to retire a form, "
                  "publish a new version or deprecate it in the registry."),
            hint_ja=(f"元に戻してください（git checkout {base_label} -- {key.relpath}）。使わなくなった様式は"
                     "新しい版を追加するか、レジストリで非推奨 (deprecate) にしてください。")))
    for path in changes.misplaced:
        parts = path.split("/")
        issues.append(_issue(
            "ci.not-a-version",
            f"{parts[0]}/{parts[1]}/{parts[2]} is not a version folder: versions are MAJOR.MINOR.PATCH (e.g. 1.0.0).",
            f"{parts[0]}/{parts[1]}/{parts[2]} は版のフォルダ名になっていません。1.0.0 のように「メジャー.マイナー.パッチ」にしてください。",
            path))
    return issues


def _load(tree: Tree, path: str) -> Any:
    """The parsed JSON at ``path``, or None (unreadable files are validation's to report)."""
    data = tree.read(path)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None


def _position(tree: Tree, path: str, pointer: str) -> tuple[int | None, int | None]:
    data = tree.read(path)
    if data is None:
        return None, None
    try:
        found = locate(data.decode("utf-8-sig"), pointer)
    except UnicodeDecodeError:
        return None, None
    return found if found is not None else (None, None)


def tree_schemas(*trees: Tree) -> SchemaSet:
    """A SchemaSet that loads other templates' schemas from the trees, first tree first."""

    def load(key: VersionKey) -> Any:
        path = f"{key.relpath}/{SCHEMA_FILE}"
        for tree in trees:
            if path in tree.paths:
                doc = _load(tree, path)
                if doc is not None:
                    return doc
        raise NotFound(f"{path}: no such file", detail_ja=f"{path}: ファイルがありません")

    return SchemaSet(load)


# --------------------------------------------------------------------------- compatibility


def _mode_of(template: Any) -> str:
    mode = template.get("compatibility") if isinstance(template, dict) else None
    return mode if isinstance(mode, str) and mode in MODES else DEFAULT_MODE


def _is_bad(change: Any, mode: str) -> bool:
    needs = ({"backward"} if mode.startswith("BACKWARD") else {"forward"} if mode.startswith("FORWARD")
             else {"backward", "forward"} if mode.startswith("FULL") else set())
    return any(getattr(change, d) != "compatible" for d in needs)


def _change_text(change: Any) -> tuple[str, str]:
    en = change.message or f"{change.kind} at {change.pointer}"
    ja = change.message_ja or en
    return en, ja


def compatibility_issues(key: VersionKey, base: Tree, head: Tree, *, policy: Any = None,
                         schemas: SchemaSet | None = None) -> tuple[list[Issue], VersionReport]:
    """The bump and compatibility-mode checks of one added version against its earlier versions."""
    from registry.diff import check_compat, diff, required_bump

    schema_path = f"{key.relpath}/{SCHEMA_FILE}"
    mode = _mode_of(_load(head, f"{key.relpath}/{TEMPLATE_FILE}"))
    report = VersionReport(version=str(key), mode=mode)
    new = _load(head, schema_path)
    mine = Version.parse(key.version)
    earlier = [k for k in version_files(base.paths | head.paths)
               if k.template == key.template and Version.parse(k.version) < mine]
    earlier = _version_sort(earlier)
    if new is None or not earlier:
        return [], report
    pairs: list[tuple[VersionKey, Any]] = []
    for k in earlier:
        p = f"{k.relpath}/{SCHEMA_FILE}"
        doc = _load(base, p) if p in base.paths else _load(head, p)
        if doc is not None:
            pairs.append((k, doc))
    if not pairs:
        return [], report
    earlier = [k for k, _ in pairs]
    previous = earlier[-1]
    report.previous = previous.version
    # The mode binds the releases of one major line, as the registry's publish does
    # (registry/service.py): a new major version is allowed to break it; the bump check below
    # still requires that major version for any break.
    same_major = [(k, doc) for k, doc in pairs if Version.parse(k.version).major == mine.major]
    compared = same_major if mode.endswith("_TRANSITIVE") else same_major[-1:]
    compared_keys = [k for k, _ in compared]
    schemas = schemas or tree_schemas(head, base)
    try:
        d = diff(pairs[-1][1], new, policy, mode=mode, old_schemas=schemas, new_schemas=schemas)
        compat = check_compat(new, [doc for _, doc in compared], mode, policy, schemas=schemas)
    except RegistryError:
        # An invalid schema on either side: validation reports it; there is nothing to compare.
        return [], report
    # NONE relaxes the mode, not SemVer: data collected under the previous version that the new
    # one rejects still needs a major version (as the registry's publish says).
    required: Bump = required_bump(d, "BACKWARD" if mode == "NONE" else mode)
    declared = Version.parse(previous.version).bump_to(mine)
    report.declared_bump, report.compatible = declared, compat.ok
    # The bump is measured against the previous version only; a transitive mode broken against an
    # older version is ci.incompatible (no version number can fix it).
    report.required_bump = required
    issues: list[Issue] = []
    if BUMP_ORDER[declared] < BUMP_ORDER[required]:
        suggest = str(Version.parse(previous.version).bumped(required))
        bad = [c for c in d.changes if _is_bad(c, mode if mode != "NONE" else "FULL")]
        if not bad:
            bad = [c for dd in compat.diffs for c in dd.changes if _is_bad(c, mode)]
        if not bad:
            bad = [c for c in d.changes if not getattr(c, "cosmetic", False)] or list(d.changes)
        breaks_mode = not compat.ok and mode != "NONE"
        for c in bad[:20]:
            en, ja = _change_text(c)
            line, col = _position(head, schema_path, c.pointer)
            issues.append(_issue(
                "ci.bump-too-small",
                f"{en} — this change needs a {required} version ({suggest}); {key.version} is a {declared} step from {previous.version}.",
                f"{ja} — この変更には{BUMP_JA[required]}の版上げ（{suggest}）が必要です。{key.version} は {previous.version} からの{BUMP_JA[declared]}の版上げです。",
                schema_path, pointer=c.pointer, line=line, column=col,
                hint=(f"Rename the folder to {key.lg}/{key.slug}/{suggest}/ (and its $id)"
                      + (f": within one major version the mode {mode} must hold." if breaks_mode else ".")),
                hint_ja=(f"フォルダを {key.lg}/{key.slug}/{suggest}/ に（$id も）変更してください"
                         + (f"。同じメジャー版の中では互換性モード {mode} を守る必要があります。" if breaks_mode else "。"))))
        return issues, report
    if not compat.ok and mode != "NONE":
        seen: set[tuple[str, str]] = set()
        for dd, old_key in zip(compat.diffs, compared_keys, strict=False):
            for c in dd.changes:
                if not _is_bad(c, mode) or (c.pointer, c.kind) in seen:
                    continue
                seen.add((c.pointer, c.kind))
                en, ja = _change_text(c)
                line, col = _position(head, schema_path, c.pointer)
                issues.append(_issue(
                    "ci.incompatible",
                    f"{en} — {key.version} is not {mode}-compatible with {old_key.version}.",
                    f"{ja} — {key.version} は {old_key.version} と互換性モード {mode} を満たしません。",
                    schema_path, pointer=c.pointer, line=line, column=col,
                    hint=("Keep what earlier versions of this major line accepted, or publish the change "
                          "as a new major version to break on purpose."),
                    hint_ja=("同じメジャー版の以前の版が受け付けた入力を受け付けるように戻すか、意図した変更なら"
                             "新しいメジャー版として追加してください。")))
        if not issues:
            issues.append(_issue(
                "ci.incompatible", f"{key.version} is not {mode}-compatible with its earlier versions.",
                f"{key.version} は以前の版と互換性モード {mode} を満たしません。", schema_path))
    return issues, report


# --------------------------------------------------------------------------- forks


_ANNOTATIONS = ("title", "description", "examples", "default", "$comment", "deprecated")


def _inline(node: Any, base: str, resolver: Resolver, depth: int = 0,
            active: frozenset[str] = frozenset()) -> Any:
    """``node`` with every ``$ref`` replaced by its target (recursion and depth bounded).

    A target's keywords are merged into the referring node (siblings win for annotations, such as
    a renaming ``title``); conflicting assertions keep both, the target under ``allOf``.
    """
    if depth > _MAX_INLINE_DEPTH:
        return node
    if isinstance(node, list):
        return [_inline(v, base, resolver, depth + 1, active) for v in node]
    if not isinstance(node, dict):
        return node
    base = Resolver.base_of(base, node)
    out: dict[str, Any] = {}
    target: Any = None
    for k, v in node.items():
        if k in ("$id", "$schema", "$anchor", "$comment", "$defs"):
            continue
        if k == "$ref" and isinstance(v, str):
            key = f"{base}|{v}"
            try:
                t_base, t = resolver.resolve(base, v)
            except RegistryError:
                out[k] = v
                continue
            if key in active:
                out[k] = v
                continue
            target = _inline(t, t_base, resolver, depth + 1, active | {key})
            continue
        if k in ("const", "enum", "default", "examples"):
            out[k] = v
        else:
            out[k] = _inline(v, base, resolver, depth + 1, active)
    if isinstance(target, dict):
        clash = [k for k, v in target.items()
                 if k in out and out[k] != v and k not in _ANNOTATIONS and not k.startswith("x-yoshiki")]
        if clash:
            out["allOf"] = [*out.get("allOf", []), target]
        else:
            out = {**target, **out}
    elif target is not None:
        out["allOf"] = [*out.get("allOf", []), target]
    return out


def locked_pointers(schema: Any) -> list[str]:
    """JSON pointers of every subschema marked ``x-yoshiki-locked: true``."""
    found: list[str] = []

    def walk(node: Any, path: list[str | int]) -> None:
        if isinstance(node, dict):
            if node.get("x-yoshiki-locked") is True:
                found.append(pointers.join(path))
            for k, v in node.items():
                if k not in ("const", "enum", "examples", "default"):
                    walk(v, [*path, k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, [*path, i])

    walk(schema, [])
    return found


def _required_at(schema: Any, ptr: str) -> list[Any]:
    try:
        node = pointers.resolve(schema, ptr)
    except (KeyError, IndexError, ValueError):
        return []
    req = node.get("required") if isinstance(node, dict) else None
    return req if isinstance(req, list) else []


def _field_name(node: Any, ptr: str) -> tuple[str, str]:
    title = node.get("title") if isinstance(node, dict) else None
    return (f"{title!r} ({ptr})", f"「{title}」({ptr})") if isinstance(title, str) else (ptr, ptr)


def locked_field_issues(upstream: Any, fork: Any, upstream_name: str, fork_file: str, head: Tree, *,
                        upstream_schemas: SchemaSet, fork_schemas: SchemaSet, policy: Any = None) -> list[Issue]:
    """Each field ``upstream`` marks ``x-yoshiki-locked`` must exist in ``fork`` and validate the same.

    The subschemas are compared with their ``$ref``s resolved (a fork may move a field's definition
    into ``$defs`` or a common file) by the diff engine: both directions must be compatible.
    """
    from registry.diff import diff

    issues: list[Issue] = []
    up_res = Resolver(upstream, upstream_schemas)
    fork_res = Resolver(fork, fork_schemas)
    for ptr in locked_pointers(upstream):
        up_node = pointers.resolve(upstream, ptr)
        name_en, name_ja = _field_name(up_node, ptr)
        try:
            fork_node = pointers.resolve(fork, ptr)
        except (KeyError, IndexError, ValueError):
            line, col = _position(head, fork_file, ptr)
            issues.append(_issue(
                "ci.locked-field",
                f"The field {name_en} is locked (x-yoshiki-locked) by {upstream_name}; the fork dropped it.",
                f"項目 {name_ja} は {upstream_name} で固定 (x-yoshiki-locked) されています。フォークで削除することはできません。",
                fork_file, pointer=ptr, line=line, column=col,
                hint="Restore the field exactly as the upstream defines it.",
                hint_ja="フォーク元と同じ定義で項目を戻してください。"))
            continue
        up_sub = _inline(up_node, up_res.root_uri, up_res)
        fork_sub = _inline(fork_node, fork_res.root_uri, fork_res)
        try:
            d = diff(up_sub, fork_sub, policy, mode="FULL")
        except RegistryError:
            continue  # an invalid schema: validation reports it
        changed = [c for c in d.changes if c.backward != "compatible" or c.forward != "compatible"]
        line, col = _position(head, fork_file, ptr)
        if changed:
            first_en, first_ja = _change_text(changed[0])
            issues.append(_issue(
                "ci.locked-field",
                f"The field {name_en} is locked (x-yoshiki-locked) by {upstream_name}; the fork changes how it validates: {first_en}",
                f"項目 {name_ja} は {upstream_name} で固定 (x-yoshiki-locked) されています。フォークで検証内容が変わっています: {first_ja}",
                fork_file, pointer=ptr, line=line, column=col,
                hint="Only title and description may differ; use the upstream's definition of this field.",
                hint_ja="変更できるのは表示名と説明だけです。この項目はフォーク元の定義のまま使ってください。"))
            continue
        tokens = pointers.split(ptr)
        if len(tokens) >= 2 and tokens[-2] == "properties":
            parent, name = pointers.join(tokens[:-2]), tokens[-1]
            if name in _required_at(upstream, parent) and name not in _required_at(fork, parent):
                issues.append(_issue(
                    "ci.locked-field",
                    f"The field {name_en} is locked and required by {upstream_name}; the fork must keep it required.",
                    f"項目 {name_ja} は {upstream_name} で固定 (x-yoshiki-locked) され、必須です。フォークでも必須のままにしてください。",
                    fork_file, pointer=ptr, line=line, column=col,
                    hint=f"Add {name!r} back to required.", hint_ja=f"required に {name!r} を戻してください。"))
    return issues


def _upstream_of(template: Any) -> tuple[str, str] | None:
    up = template.get("upstream") if isinstance(template, dict) else None
    if isinstance(up, dict) and isinstance(up.get("template"), str) and isinstance(up.get("version"), str):
        return up["template"], up["version"]
    return None


def upstream_issues(key: VersionKey, head: Tree, lookup: UpstreamLookup | None, *,
                    policy: Any = None, schemas: SchemaSet | None = None) -> tuple[list[Issue], str | None]:
    """The fork's ``upstream`` resolves, and its locked fields are kept; also returns the upstream name."""
    template_path = f"{key.relpath}/{TEMPLATE_FILE}"
    up = _upstream_of(_load(head, template_path))
    if up is None:
        return [], None
    name, version = up
    label = f"{name}@{version}"
    up_path = f"{name}/{version}/{SCHEMA_FILE}"
    upstream_schema: Any = None
    if up_path in head.paths and ".." not in name:
        upstream_schema = _load(head, up_path)
        exists = True
    elif lookup is not None:
        try:
            info = lookup(name, version)
        except RegistryError as exc:
            line, col = _position(head, template_path, "/upstream")
            return [_issue("ci.registry-unreachable",
                           f"Cannot check the upstream {label} in the registry: {exc.detail}",
                           f"レジストリで元のテンプレート {label} を確認できません: {exc.detail_ja}",
                           template_path, pointer="/upstream", line=line, column=col,
                           hint="Check --registry and the network, then run again.",
                           hint_ja="--registry の URL とネットワークを確認して再実行してください。")], label
        exists, upstream_schema = info.exists, info.schema
    else:
        exists = False
    if not exists:
        line, col = _position(head, template_path, "/upstream")
        where_en = "in this repository or the registry" if lookup is not None else "in this repository"
        where_ja = "このリポジトリにもレジストリにも" if lookup is not None else "このリポジトリに"
        return [_issue(
            "ci.upstream-missing",
            f"The upstream {label} does not exist {where_en}.",
            f"元のテンプレート {label} が{where_ja}ありません。",
            template_path, pointer="/upstream", line=line, column=col,
            hint=("Point upstream at an existing version" +
                  ("" if lookup is not None else ", or pass --registry URL to look it up in the registry") + "."),
            hint_ja=("upstream には存在するテンプレートの版を指定してください" +
                     ("" if lookup is not None else "（レジストリにある場合は --registry URL を指定してください）") + "。"))], label
    fork = _load(head, f"{key.relpath}/{SCHEMA_FILE}")
    if upstream_schema is None or fork is None:
        return [], label
    sset = schemas or tree_schemas(head)
    return locked_field_issues(upstream_schema, fork, label, f"{key.relpath}/{SCHEMA_FILE}", head,
                               upstream_schemas=sset, fork_schemas=sset, policy=policy), label


# --------------------------------------------------------------------------- the whole check


def check_repository(base: Tree, head: Tree, *, changed: Collection[str] | None = None,
                     validate: Callable[[VersionKey], list[Issue]] | None = None,
                     lint: Callable[[VersionKey], list[Issue]] | None = None,
                     upstream_lookup: UpstreamLookup | None = None, policy: Any = None,
                     base_label: str = "BASE") -> CheckResult:
    """Run every CI check on the change from ``base`` to ``head``."""
    changes = find_changes(base, head, changed)
    issues = immutability_issues(changes, base, head, base_label)
    reports: list[VersionReport] = []
    schemas = tree_schemas(head, base)
    for key in changes.added:
        found: list[Issue] = []
        if validate is not None:
            found.extend(i for i in validate(key) if i.rule not in REPLACED_RULES)
        if lint is not None:
            found.extend(lint(key))
        compat, report = compatibility_issues(key, base, head, policy=policy, schemas=schemas)
        found.extend(compat)
        ups, report.upstream = upstream_issues(key, head, upstream_lookup, policy=policy, schemas=schemas)
        found.extend(ups)
        issues.extend(found)
        reports.append(report)
    return CheckResult(issues=issues, changes=changes, versions=reports)
