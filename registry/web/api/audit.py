"""The audit log over HTTP.

- ``GET /api/v1/admin/audit?since=&municipality=&limit=``: every entry, for an admin token;
- ``GET /api/v1/account/audit?since=&limit=``: the calling city's own writes and refusals.
"""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import FromQuery, QueryParameter

from registry.errors import Forbidden
from registry.readmodels import AuditEntry
from registry.web.auth import ANY_MUNICIPALITY
from registry.web.deps import Actor, Service
from registry.web.dto import problem_responses


@get("/api/v1/admin/audit", sync_to_thread=True, tags=["admin"], opt=ANY_MUNICIPALITY,
     responses=problem_responses(400, 401, 403))
def admin_audit(service: Service, actor: Actor, since: FromQuery[str | None] = None,
                municipality: FromQuery[str | None] = None,
                limit: Annotated[int, QueryParameter(ge=1, le=10_000)] = 100) -> list[AuditEntry]:
    """Audit entries, newest first (admin token): writes, refusals, reindexes."""
    if not actor.admin:
        raise Forbidden("the audit log is for administrators; a city reads its own at /api/v1/account/audit",
                        detail_ja="監査ログは管理者用です。自分の団体の記録は /api/v1/account/audit で見られます")
    return service.audit_entries(since=since or None, municipality=municipality or None,
                                 limit=limit)


@get("/api/v1/account/audit", sync_to_thread=True, tags=["account"], opt=ANY_MUNICIPALITY,
     responses=problem_responses(400, 401))
def own_audit(service: Service, actor: Actor, since: FromQuery[str | None] = None,
              limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100) -> list[AuditEntry]:
    """The calling city's own writes and refused writes, newest first."""
    if not actor.municipality:
        return service.audit_entries(since=since or None, limit=limit) if actor.admin else []
    return service.audit_entries(since=since or None, municipality=actor.municipality,
                                 limit=limit)


HANDLERS = [admin_audit, own_audit]
