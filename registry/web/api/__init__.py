"""The JSON API under ``/api/v1``: every route handler, in one list for ``create_app``."""

from __future__ import annotations

from typing import Any

from registry.web.api import (
    account,
    audit,
    changes,
    detach,
    diff,
    health,
    lineage,
    municipalities,
    prefectures,
    sheets,
    templates,
    versions,
    webhooks,
)

ROUTE_HANDLERS: list[Any] = [
    *templates.HANDLERS, *versions.HANDLERS, *lineage.HANDLERS, *diff.HANDLERS,
    *changes.HANDLERS, *municipalities.HANDLERS, *account.HANDLERS, *health.HANDLERS,
    *detach.HANDLERS,
    *prefectures.HANDLERS, *audit.HANDLERS, *webhooks.HANDLERS,
    *sheets.HANDLERS,
]
"""Added to the app by ``registry.web.app.create_app``."""
