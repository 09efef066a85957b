"""Lineage is a fact: a fork stays a fork of its upstream until its city detaches it explicitly.

Once a template's version names an ``upstream``, the next version (in version order) must name the
same upstream template — dropping ``upstream`` from template.json would otherwise drop the locked
fields' protection and the template would silently vanish from its upstream's fork list. The city
ends the relation on purpose with ``yoshiki detach LG/SLUG`` (``POST …/detach``): the registry
writes ``<lg>/<slug>/detached.json`` next to the version folders (git stays the source of truth;
reindex restores it) as a list of records::

    [{"upstream": "131016/event-application", "version": "2.1.0",
      "by": "情報政策課 (多摩市 132241)", "at": "2026-12-04T22:00:00+00:00", "reason": "…"}]

``version`` is the fork's latest version when it detached. A version whose previous version
(the latest earlier one) names upstream U may leave U only if a record for U has
``version >= previous``: detaching covers the versions published after it, and a template that
takes an upstream again and wants to leave it again detaches again. Pure: no web, SQL or git.
"""

from __future__ import annotations

import json
from typing import Any

from registry.layout import TEMPLATE_FILE
from registry.models import Issue
from registry.versioning import Version

DETACHED_FILE = "detached.json"

__all__ = ["DETACHED_FILE", "detached_from", "dump_detachments", "lineage_issue",
           "load_detachments", "upstream_of"]


def upstream_of(template: Any) -> str | None:
    """The upstream template name a template.json declares, or None."""
    upstream = template.get("upstream") if isinstance(template, dict) else None
    name = upstream.get("template") if isinstance(upstream, dict) else None
    return name if isinstance(name, str) else None


def load_detachments(data: bytes | None) -> list[dict[str, Any]]:
    """The records of a detached.json (``[]`` when absent or unreadable)."""
    if not data:
        return []
    try:
        loaded = json.loads(data)
    except ValueError:
        return []
    if not isinstance(loaded, list):
        return []
    return [r for r in loaded if isinstance(r, dict) and isinstance(r.get("upstream"), str)
            and Version.is_valid(r.get("version"))]


def dump_detachments(records: list[dict[str, Any]]) -> bytes:
    """detached.json's bytes."""
    return json.dumps(records, ensure_ascii=False, indent=2).encode() + b"\n"


def detached_from(records: list[dict[str, Any]], upstream: str, since: str) -> bool:
    """True when a record detaches from ``upstream`` at or after the version ``since``."""
    return any(r["upstream"] == upstream and Version.parse(r["version"]) >= Version.parse(since)
               for r in records)


def lineage_issue(previous: str, previous_template: Any, template: Any,
                  records: list[dict[str, Any]]) -> Issue | None:
    """The refusal when a version leaves its previous version's upstream without a detach."""
    before = upstream_of(previous_template)
    if before is None:
        return None
    now = upstream_of(template)
    if now == before or detached_from(records, before, previous):
        return None
    what = "drops upstream" if now is None else f"changes upstream to {now}"
    what_ja = "upstream を削除しています" if now is None else f"upstream を {now} に変えています"
    return Issue(
        rule="lineage.upstream-required", file=TEMPLATE_FILE, pointer="/upstream",
        message=f"{previous} is a fork of {before}; this version {what}.",
        message_ja=f"{previous} は {before} のフォークです。この版は{what_ja}。",
        hint=f"Keep upstream {before}, or detach first: yoshiki detach <LG>/<slug>.",
        hint_ja=f"upstream {before} を残すか、先に yoshiki detach <団体コード>/<スラッグ> で切り離してください。")
