"""``GET /healthz``: git and the index answer (cheap: the tip and one feed row)."""

from __future__ import annotations

from litestar import get

from registry.web.deps import Service
from registry.web.dto import Health


@get("/healthz", sync_to_thread=True, tags=["health"])
def healthz(service: Service) -> Health:
    """``{"status": "ok"}`` when the repository and the index can be read."""
    tip = service.store.tip()
    return Health(status="ok", tip=tip, last_event=service.index.last_event_id())


HANDLERS = [healthz]
