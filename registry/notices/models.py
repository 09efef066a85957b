"""Read-models of webhooks: a registration and one line of its delivery log (pure data)."""

from __future__ import annotations

import msgspec


class Webhook(msgspec.Struct, kw_only=True):
    """A registered webhook (the secret only in the answer to its creation)."""

    id: int
    municipality: str
    url: str
    created_at: str
    created_by: str
    secret: str | None = None


class Delivery(msgspec.Struct, kw_only=True):
    """One line of the delivery log."""

    id: int
    webhook_id: int
    event_id: int
    status: str
    attempts: int
    next_attempt_at: str
    last_status: int | None = None
    last_error: str | None = None
    created_at: str
    delivered_at: str | None = None
