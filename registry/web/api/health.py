"""``GET /healthz``: git and the index answer (cheap: the tip and one feed row)."""

from __future__ import annotations

from litestar import get

from registry.web.deps import Service
from registry.web.dto import Health


@get("/healthz", sync_to_thread=True, tags=["health"])
def healthz(service: Service) -> Health:
    """``{"status": "ok"}`` when the repository and the index can be read."""
    state = service.health()
    return Health(status="ok", tip=state.tip, last_event=state.last_event)


HANDLERS = [healthz]
