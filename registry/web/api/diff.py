"""``GET /api/v1/templates/{lg}/{slug}/diff?from=&to=``: the diff engine's JSON.

The same fields as ``yoshiki diff --format json``. ``from`` defaults to the version before
``to``, ``to`` to the latest; either may also name another template's version as
``LG/SLUG@VERSION`` (a fork against its upstream). The mode is the one the newer side's
template.json declares.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.layout import SCHEMA_FILE, TEMPLATE_FILE, VersionKey
from registry.web.deps import Service
from registry.web.dto import problem_responses
from registry.web.limits import template_key, version_key

BASE = "/api/v1/templates/{lg:str}/{slug:str}"


def _resolve(lg: FromPath[str], slug: FromPath[str], text: str) -> VersionKey:
    if "@" in text:
        name, _, version = text.partition("@")
        other_lg, _, other_slug = name.partition("/")
        return version_key(other_lg, other_slug, version)
    return version_key(lg, slug, text)


@get(BASE + "/diff", sync_to_thread=True, tags=["versions"],
     responses=problem_responses(400, 404))
def diff_versions(
    service: Service, lg: FromPath[str], slug: FromPath[str],
    from_: Annotated[str | None, QueryParameter(name="from")] = None,
    to: FromQuery[str | None] = None,
) -> dict[str, Any]:
    """The semantic diff between two versions: verdicts, required bump, changes by pointer."""
    from registry.diff import diff_json

    key = template_key(lg, slug)
    versions = service.template_versions(key)
    new = _resolve(lg, slug, to) if to else VersionKey(key.lg, key.slug, versions[-1])
    if from_:
        old = _resolve(lg, slug, from_)
    else:
        earlier = [v for v in versions if v != new.version and versions.index(v) < versions.index(new.version)] \
            if new.template == key and new.version in versions else []
        old = VersionKey(key.lg, key.slug, earlier[-1] if earlier else new.version)
    return {"from": str(old), "to": str(new), **diff_json(service.diff_versions(old, new).diff)}


HANDLERS = [diff_versions]
__all__ = ["HANDLERS", "SCHEMA_FILE", "TEMPLATE_FILE"]
