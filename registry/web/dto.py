"""What the API reads and writes: msgspec Structs (their JSON Schema goes into OpenAPI)."""

from __future__ import annotations

from typing import Any

import msgspec

from registry.readmodels import ChangeEvent, TemplateDetail, TemplateSummary, VersionRecord
from registry.service import HistoryEntry, PublishResult, PullResult

__all__ = ["ChangeEvent", "HistoryEntry", "PublishResult", "PullResult", "TemplateDetail",
           "TemplateSummary", "VersionRecord"]


class TemplateList(msgspec.Struct, kw_only=True):
    """One page of a search: the templates and the cursor of the next page (None at the end)."""

    items: list[TemplateSummary]
    next_cursor: str | None = None


class VersionDocument(msgspec.Struct, kw_only=True):
    """One published version as one immutable document: template.json, schema and examples."""

    key: str                           # "132241/staff-lunch-survey@1.1.0"
    template: Any
    schema: Any
    examples: dict[str, dict[str, Any]]


class PublishBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new version: its number, template.json, schema.json and example submissions."""

    version: str
    template: Any
    schema: Any
    examples: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)


class ForkBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fork into municipality ``to`` (slug defaults to the source's; version to the latest)."""

    to: str
    slug: str | None = None
    version: str | None = None
    dry_run: bool = False


class PullBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Pull upstream: conflict resolutions by pointer, or an edited schema replacing the merge.

    A resolution is "ours", "theirs" or ``{"value": ...}``; template.json fields are named
    ``template.json#/pointer``.
    """

    resolutions: dict[str, Any] = msgspec.field(default_factory=dict)
    schema: Any = None
    dry_run: bool = False


class DeprecateBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Why a version is deprecated."""

    reason: str


class Deprecated(msgspec.Struct, kw_only=True):
    """A deprecation written: the version and the commit."""

    key: str
    reason: str
    commit: str


class ChangeFeed(msgspec.Struct, kw_only=True):
    """Change events after a cursor; pass ``next_cursor`` as ``after`` to continue."""

    events: list[ChangeEvent]
    next_cursor: str


class MunicipalityOut(msgspec.Struct, kw_only=True):
    """A prefecture or municipality and its six-digit code."""

    code: str
    name: str
    prefecture: str
    kind: str


class Health(msgspec.Struct, kw_only=True):
    """The service answers: the repository's tip and the index's latest event.

    ``status`` is ``ok`` only when every check of the write path passed; ``checks`` names each
    (``git_writable``, ``git_locks``, ``data_dir_writable``, ``index_caught_up``) with ``ok`` or
    what is wrong — the answer is then 503 with status ``degraded``. ``replication`` gives the
    node's role (``primary`` or ``replica``); a replica adds its primary, the last successful
    fetch, how many commits its index is behind the primary's tip as last seen, and the checks
    ``replica_fetch`` and ``replica_fast_forward`` (registry/replica.py).
    """

    status: str
    tip: str | None
    last_event: int
    checks: dict[str, str] = msgspec.field(default_factory=dict)
    replication: dict[str, Any] | None = None


class ProblemIssue(msgspec.Struct, kw_only=True):
    """One issue of a problem: where (file, JSON pointer) and what, in Japanese and English."""

    rule: str
    message: str
    message_ja: str
    pointer: str | None = None
    file: str | None = None
    severity: str = "error"


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem (``application/problem+json``); extra members depend on ``code``."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    detail_ja: str
    instance: str | None = None
    issues: list[ProblemIssue] | None = None


def problem_responses(*statuses: int) -> dict[int, Any]:
    """OpenAPI ``responses`` documenting problem+json answers with these statuses."""
    from litestar.openapi.datastructures import ResponseSpec

    text = {400: "malformed request", 401: "no valid token", 403: "another municipality",
            404: "not found", 409: "exists or conflicts", 413: "too large or too deep",
            422: "invalid or incompatible"}
    return {s: ResponseSpec(data_container=Problem, media_type="application/problem+json",
                            description=text[s], generate_examples=False) for s in statuses}
