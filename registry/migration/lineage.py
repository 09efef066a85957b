"""How two versions are related (same template, a fork, or neither) and which shipped mapping applies."""

from __future__ import annotations

from typing import Any

from registry.layout import VersionKey
from registry.migration.plan import Mapping
from registry.versioning import Version


def upstream_of(template: dict[str, Any]) -> VersionKey | None:
    """The version a fork was taken from (template.json ``upstream``)."""
    up = template.get("upstream")
    if isinstance(up, dict) and isinstance(up.get("template"), str) and isinstance(up.get("version"), str):
        try:
            return VersionKey.parse(f"{up['template']}@{up['version']}")
        except Exception:
            return None
    return None


def describe(a: VersionKey | None, a_template: dict[str, Any], b: VersionKey | None,
             b_template: dict[str, Any]) -> tuple[str, str]:
    """(Japanese, English) sentence on the lineage from A to B."""
    if a is None or b is None:
        return ("系統: フォルダで指定されたため版の関係はわかりません", "lineage: folders given, relation unknown")
    if a.template == b.template:
        return (f"系統: 同じテンプレート {a.template} の {a.version} → {b.version}",
                f"lineage: same template {a.template}, {a.version} → {b.version}")
    up = upstream_of(b_template)
    if up is not None and up.template == a.template:
        return (f"系統: {b} は {up} のフォーク（フォーク元のテンプレート {a.template} の {a.version} から移します）",
                f"lineage: {b} is a fork of {up} (migrating from {a.template} {a.version} across the fork)")
    up_a = upstream_of(a_template)
    if up_a is not None and up_a.template == b.template:
        return (f"系統: {a} は {up_a} のフォーク（フォーク元へ戻します）",
                f"lineage: {a} is a fork of {up_a} (migrating back upstream)")
    return (f"系統: {a.template} と {b.template} に系統上の関係はありません（項目名で対応させます）",
            f"lineage: {a.template} and {b.template} are not related (fields matched by name)")


def shipped_mapping(a: VersionKey | None, b: VersionKey | None, b_template: dict[str, Any]) -> Mapping | None:
    """The ``migrations`` entry of B's template.json for A: exact version first, else the nearest earlier one."""
    entries = b_template.get("migrations")
    if a is None or not isinstance(entries, list):
        return None
    best: tuple[Version, dict[str, Any]] | None = None
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("from"), str):
            continue
        text = entry["from"]
        if "@" not in text:
            if b is None:
                continue
            text = f"{b.template}@{text}"
        try:
            key = VersionKey.parse(text)
        except Exception:
            continue
        if key.template != a.template:
            continue
        if key.version == a.version:
            return Mapping.parse(entry, f"template.json migrations (from {entry['from']})")
        v = Version.parse(key.version)
        if v <= Version.parse(a.version) and (best is None or v > best[0]):
            best = (v, entry)
    if best is None:
        return None
    return Mapping.parse(best[1], f"template.json migrations (from {best[1]['from']})")
