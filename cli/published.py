"""``yoshiki ci --registry``: what the registry's record says about the versions added here.

A version added here must not already be published with other content, and a fork on the
registry stays a fork: a version that drops or changes the ``upstream`` of the registry's previous
version is refused as publish would refuse it (``lineage.upstream-required``) unless the city
detached on the registry — otherwise a fork could shed its locked fields in its own repository
and CI would say nothing.

Published versions are immutable: if the registry already holds ``LG/slug@version`` and its
template.json, schema.json or examples differ from the local folder, publishing would be
refused (409) — or, worse, two cities would mean different forms by one version number. Files
are compared as JSON values (formatting and key order do not matter).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from registry.errors import NotFound, RegistryError
from registry.layout import EXAMPLES_DIR, SCHEMA_FILE, TEMPLATE_FILE, VersionKey
from registry.models import Issue

Fetch = Callable[[VersionKey], dict[str, Any] | None]
"""The registry's version document of a key, or None when it is not published."""


def registry_fetch(url: str) -> Fetch:
    """``GET /api/v1/templates/{lg}/{slug}/versions/{v}`` on the registry at ``url``."""
    client = registry_client(url)

    def fetch(key: VersionKey) -> dict[str, Any] | None:
        try:
            doc = client.get(f"/api/v1/templates/{key.lg}/{key.slug}/versions/{key.version}")
        except NotFound:
            return None
        return doc if isinstance(doc, dict) else None

    return fetch


def registry_client(url: str) -> Any:
    """The one HTTP client, pointed at the registry."""
    from cli.client import Client

    return Client(url, timeout=15.0, follow_redirects=True)


def _local(folder: Path) -> dict[str, Any]:
    """The folder's files as JSON values, keyed like the registry's document."""
    def load(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    examples: dict[str, dict[str, Any]] = {"valid": {}, "invalid": {}}
    for kind, named in examples.items():
        d = folder / EXAMPLES_DIR / kind
        for path in sorted(d.glob("*.json")) if d.is_dir() else []:
            named[path.name] = load(path)
    return {"template": load(folder / TEMPLATE_FILE), "schema": load(folder / SCHEMA_FILE),
            "examples": examples}


def published_issues(keys: Iterable[VersionKey], folder_of: Callable[[VersionKey], Path],
                     fetch: Fetch) -> list[Issue]:
    """An error for each added version the registry already holds with other content."""
    issues: list[Issue] = []
    for key in keys:
        try:
            remote = fetch(key)
        except RegistryError as exc:
            issues.append(Issue(
                rule="ci.registry-unreachable",
                message=f"Could not check whether {key} is already published: {exc}",
                message_ja=f"{key} が公開済みかどうかをレジストリで確認できません: {exc.detail_ja}",
                file=folder_of(key).as_posix()))
            continue
        if remote is None:
            continue
        folder = folder_of(key)
        local = _local(folder)
        differs = [name for name, part in (("template.json", "template"), ("schema.json", "schema"),
                                           ("examples", "examples"))
                   if local[part] != remote.get(part, {} if part == "examples" else None)]
        if not differs:
            continue
        first = differs[0]
        issues.append(Issue(
            rule="ci.published-differs",
            message=(f"{key} is already published on the registry with other content "
                     f"({', '.join(differs)} differ): a published version never changes."),
            message_ja=(f"{key} はレジストリで既に公開されていて、内容が違います（{'、'.join(differs)}）。"
                        f"公開済みの版は変更できません。"),
            file=(folder / first).as_posix() if first != "examples" else (folder / EXAMPLES_DIR).as_posix(),
            hint="Give your change a new version number (yoshiki diff tells which bump it needs).",
            hint_ja="変更には新しい版番号を付けてください（必要な版上げは yoshiki diff で分かります）。"))
    return issues


def lineage_issues(keys: Iterable[VersionKey], folder_of: Callable[[VersionKey], Path],
                   url: str) -> list[Issue]:
    """``lineage.upstream-required`` for each added version that leaves the registry's upstream."""
    from registry.lineage import lineage_issue
    from registry.versioning import Version

    client = registry_client(url)
    issues: list[Issue] = []
    for key in keys:
        try:
            detail = client.get(f"/api/v1/templates/{key.lg}/{key.slug}")
        except NotFound:
            continue                      # a new template: nothing on the registry to keep
        except RegistryError as exc:
            issues.append(Issue(
                rule="ci.registry-unreachable", file=folder_of(key).as_posix(),
                message=f"Could not read {key.lg}/{key.slug}'s lineage on the registry: {exc}",
                message_ja=f"{key.lg}/{key.slug} の系譜をレジストリで確認できません: {exc.detail_ja}"))
            continue
        mine = Version.parse(key.version)
        earlier = [v["version"] for v in detail.get("versions", [])
                   if Version.is_valid(v.get("version")) and Version.parse(v["version"]) < mine]
        if not earlier:
            continue
        previous = max(earlier, key=Version.parse)
        try:
            doc = client.get(f"/api/v1/templates/{key.lg}/{key.slug}/versions/{previous}")
        except RegistryError:
            continue
        local = _local(folder_of(key))["template"]
        issue = lineage_issue(previous, doc.get("template"), local, detail.get("detachments") or [])
        if issue is not None:
            issues.append(msgspec.structs.replace(issue, file=(folder_of(key) / TEMPLATE_FILE).as_posix(),
                                          message=f"{key.lg}/{key.slug}@{issue.message}",
                                          message_ja=f"{key.lg}/{key.slug}@{issue.message_ja}"))
    return issues


__all__ = ["Fetch", "lineage_issues", "published_issues", "registry_fetch"]
