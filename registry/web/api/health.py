"""``GET /healthz``: git and the index answer, and the write path can write (cheap: no write)."""

from __future__ import annotations

from litestar import Response, get

from registry import replica
from registry.web.deps import Config, Service
from registry.web.dto import Health


@get("/healthz", sync_to_thread=True, tags=["health"])
def healthz(service: Service, settings: Config) -> Response[Health]:
    """200 ``{"status": "ok"}`` when the repository and the index can be read and the write path
    can write; 503 ``{"status": "degraded", "checks": {…}}`` naming the check that failed (a
    stale git lock, a read-only folder, an index write that failed after its commit; on a
    replica: no fetch from the primary for too long, or a primary that is not a fast-forward)."""
    state = service.health()
    replication, replica_checks = replica.health(settings)
    checks = {**state.checks, **replica_checks}
    ok = all(v == "ok" for v in checks.values())
    body = Health(status="ok" if ok else "degraded", tip=state.tip, last_event=state.last_event,
                  checks=checks, replication=replication)
    return Response(body, status_code=200 if ok else 503)


HANDLERS = [healthz]
