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

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from registry.checks.compatibility import DEFAULT_MODE, assess, mode_of, plan
from registry.checks.compatibility import compatibility_issues as compatibility_rule_issues
from registry.checks.locked import locked_field_issues
from registry.checks.tree import Tree, load_json, position, tree_schemas

__all__ = ["DEFAULT_MODE", "Changes", "CheckResult", "Tree", "UpstreamInfo", "UpstreamLookup",
           "VersionReport", "check_repository", "compatibility_issues", "find_changes",
           "immutability_issues", "locked_field_issues", "tree_schemas", "upstream_issues",
           "version_files"]
from registry.errors import RegistryError
from registry.layout import LG_RE, SCHEMA_FILE, TEMPLATE_FILE, VersionKey, is_slug
from registry.models import Issue
from registry.syntax.refs import SchemaSet
from registry.versioning import Bump, Version

# Validation's own upstream check only looks in the folder; CI replaces it with ci.upstream-missing,
# which also asks the registry when --registry is given.
REPLACED_RULES = frozenset({"layout.upstream-missing"})


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


# --------------------------------------------------------------------------- compatibility


def compatibility_issues(key: VersionKey, base: Tree, head: Tree, *, policy: Any = None,
                         schemas: SchemaSet | None = None) -> tuple[list[Issue], VersionReport]:
    """The bump and compatibility-mode checks of one added version against its earlier versions.

    The rule is ``registry.checks.compatibility`` (the registry's publish applies the same).
    """
    from registry.diff import check_compat, diff

    schema_path = f"{key.relpath}/{SCHEMA_FILE}"
    mode = mode_of(load_json(head, f"{key.relpath}/{TEMPLATE_FILE}"))
    report = VersionReport(version=str(key), mode=mode)
    new = load_json(head, schema_path)
    mine = Version.parse(key.version)
    if new is None:
        return [], report
    docs: dict[str, Any] = {}
    for k in version_files(base.paths | head.paths):
        if k.template == key.template and Version.parse(k.version) < mine:
            p = f"{k.relpath}/{SCHEMA_FILE}"
            doc = load_json(base, p) if p in base.paths else load_json(head, p)
            if doc is not None:
                docs[k.version] = doc
    chosen = plan(key.version, docs, mode)
    if chosen.previous is None:
        return [], report
    report.previous = chosen.previous
    schemas = schemas or tree_schemas(head, base)
    try:
        d = diff(docs[chosen.previous], new, policy, mode=mode, old_schemas=schemas, new_schemas=schemas)
        compat = check_compat(new, [docs[v] for v in chosen.compared], mode, policy, schemas=schemas)
    except RegistryError:
        # An invalid schema on either side: validation reports it; there is nothing to compare.
        return [], report
    verdict = assess(key.version, mode, chosen.previous, d, compat, chosen.compared)
    report.declared_bump, report.compatible = verdict.declared, compat.ok
    report.required_bump = verdict.required
    issues = compatibility_rule_issues(verdict, key, schema_path,
                                       lambda ptr: position(head, schema_path, ptr))
    return issues, report


# --------------------------------------------------------------------------- forks


def _upstream_of(template: Any) -> tuple[str, str] | None:
    up = template.get("upstream") if isinstance(template, dict) else None
    if isinstance(up, dict) and isinstance(up.get("template"), str) and isinstance(up.get("version"), str):
        return up["template"], up["version"]
    return None


def upstream_issues(key: VersionKey, head: Tree, lookup: UpstreamLookup | None, *,
                    policy: Any = None, schemas: SchemaSet | None = None) -> tuple[list[Issue], str | None]:
    """The fork's ``upstream`` resolves, and its locked fields are kept; also returns the upstream name."""
    template_path = f"{key.relpath}/{TEMPLATE_FILE}"
    up = _upstream_of(load_json(head, template_path))
    if up is None:
        return [], None
    name, version = up
    label = f"{name}@{version}"
    up_path = f"{name}/{version}/{SCHEMA_FILE}"
    upstream_schema: Any = None
    if up_path in head.paths and ".." not in name:
        upstream_schema = load_json(head, up_path)
        exists = True
    elif lookup is not None:
        try:
            info = lookup(name, version)
        except RegistryError as exc:
            line, col = position(head, template_path, "/upstream")
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
        line, col = position(head, template_path, "/upstream")
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
    fork = load_json(head, f"{key.relpath}/{SCHEMA_FILE}")
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
