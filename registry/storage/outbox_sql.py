"""The index's side of webhooks: registrations, the durable outbox and its delivery log.

Events reach the outbox by a cursor over the append-only change feed (``notice_state``
``outbox_cursor``), in the same transaction that inserts the deliveries: an event is put in
the outbox once per webhook (unique ``webhook_id, event_id``) whatever crashes in between.
A delivery is *claimed* for a lease before it is sent, so two server processes never send it
at the same moment, and a process killed mid-delivery leaves it to be sent again once the
lease ends (at-least-once; the receiver deduplicates by the event id, the idempotency key).

Used through ``SqlIndex.outbox``; private to ``registry.storage``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import Table, and_, delete, insert, or_, select, update

from registry.errors import NotFound
from registry.notices.models import Delivery, Webhook
from registry.readmodels import ChangeEvent
from registry.storage.tables import (
    EventRow,
    ForkStatusRow,
    NoticeStateRow,
    WebhookDeliveryRow,
    WebhookRow,
)

if TYPE_CHECKING:
    from registry.storage.sql_index import SqlIndex

T_HOOKS: Table = WebhookRow.__table__  # type: ignore[attr-defined]
T_DELIVERIES: Table = WebhookDeliveryRow.__table__  # type: ignore[attr-defined]
T_STATE: Table = NoticeStateRow.__table__  # type: ignore[attr-defined]
T_EVENTS: Table = EventRow.__table__  # type: ignore[attr-defined]
T_STATUS: Table = ForkStatusRow.__table__  # type: ignore[attr-defined]
CURSOR = "outbox_cursor"


class Claimed(msgspec.Struct, kw_only=True):
    """A delivery claimed for sending: the row, its webhook (with secret) and its event."""

    delivery: Delivery
    webhook: Webhook
    event: ChangeEvent


def _hook(m: Any, *, secret: bool = False) -> Webhook:
    return Webhook(id=m["id"], municipality=m["municipality"], url=m["url"],
                   created_at=m["created_at"], created_by=m["created_by"],
                   secret=m["secret"] if secret else None)


def _delivery(m: Any) -> Delivery:
    return Delivery(**{k: m[k] for k in Delivery.__struct_fields__})


class OutboxIndex:
    """Webhooks and their outbox over one ``SqlIndex``'s engine."""

    def __init__(self, index: SqlIndex) -> None:
        self.index = index

    # -- registrations -----------------------------------------------------------------------

    def create(self, municipality: str, url: str, actor: str, now: str) -> Webhook:
        """Register a webhook; the outbox starts at the current end of the feed if it has not."""
        secret = secrets.token_urlsafe(32)
        with self.index._write() as conn:
            self._cursor(conn)
            new_id = conn.execute(insert(T_HOOKS).values(
                municipality=municipality, url=url, secret=secret, created_at=now,
                created_by=actor).returning(T_HOOKS.c.id)).scalar_one()
        return Webhook(id=new_id, municipality=municipality, url=url, created_at=now,
                       created_by=actor, secret=secret)

    def of(self, municipality: str) -> list[Webhook]:
        """A city's webhooks (no secrets)."""
        h = T_HOOKS
        with self.index._read() as conn:
            rows = conn.execute(select(h).where(h.c.municipality == municipality)
                                .order_by(h.c.id)).mappings().all()
        return [_hook(r) for r in rows]

    def any(self) -> bool:
        """True when some webhook is registered (the worker idles otherwise)."""
        with self.index._read() as conn:
            return conn.execute(select(T_HOOKS.c.id).limit(1)).first() is not None

    def delete(self, municipality: str, hook_id: int, now: str) -> None:
        """Remove a city's webhook; its pending deliveries are cancelled (the log stays)."""
        h, d = T_HOOKS, T_DELIVERIES
        with self.index._write() as conn:
            done = conn.execute(delete(h).where(h.c.id == hook_id,
                                                h.c.municipality == municipality)).rowcount
            if not done:
                raise NotFound(f"{municipality} has no webhook {hook_id}",
                               detail_ja=f"{municipality} に Webhook {hook_id} はありません")
            conn.execute(update(d).where(d.c.webhook_id == hook_id, d.c.status == "pending")
                         .values(status="cancelled", last_error="webhook deleted"))

    def log(self, municipality: str, hook_id: int, limit: int = 100) -> list[Delivery]:
        """The newest deliveries of one of the city's webhooks."""
        h, d = T_HOOKS, T_DELIVERIES
        with self.index._read() as conn:
            owner = conn.execute(select(h.c.municipality).where(h.c.id == hook_id)).scalar()
            if owner != municipality:
                raise NotFound(f"{municipality} has no webhook {hook_id}",
                               detail_ja=f"{municipality} に Webhook {hook_id} はありません")
            rows = conn.execute(select(d).where(d.c.webhook_id == hook_id)
                                .order_by(d.c.id.desc()).limit(max(1, min(limit, 1000))))
            return [_delivery(r) for r in rows.mappings().all()]

    # -- the outbox --------------------------------------------------------------------------

    def _cursor(self, conn: Any) -> int:
        value = conn.execute(select(T_STATE.c.value).where(T_STATE.c.name == CURSOR)).scalar()
        if value is None:
            value = conn.execute(select(T_EVENTS.c.id).order_by(T_EVENTS.c.id.desc())
                                 .limit(1)).scalar() or 0
            conn.execute(insert(T_STATE).values(name=CURSOR, value=value))
        return int(value)

    def enqueue(self, now: str, batch: int = 500) -> int:
        """Put the feed's new events into the outbox of every webhook that watches them.

        A webhook watches its city's templates and the upstreams its forks follow.
        """
        h, e, s, d = T_HOOKS, T_EVENTS, T_STATUS, T_DELIVERIES
        with self.index._write() as conn:
            hooks = conn.execute(select(h.c.id, h.c.municipality)).all()
            if not hooks:
                return 0
            cursor = self._cursor(conn)
            events = conn.execute(select(e.c.id, e.c.lg, e.c.slug).where(e.c.id > cursor)
                                  .order_by(e.c.id).limit(batch)).all()
            if not events:
                return 0
            cities = sorted({m for _, m in hooks})
            watched: dict[str, set[str]] = {c: set() for c in cities}
            for lg, slug, up in conn.execute(select(s.c.lg, s.c.slug, s.c.upstream_template)
                                             .where(s.c.lg.in_(cities))).all():
                watched[lg].add(f"{lg}/{slug}")
                if up:
                    watched[lg].add(up)
            rows = []
            for ev in events:
                name = f"{ev.lg}/{ev.slug}"
                for hook_id, city in hooks:
                    if ev.lg == city or name in watched[city]:
                        rows.append({"webhook_id": hook_id, "event_id": ev.id, "status": "pending",
                                     "attempts": 0, "next_attempt_at": now, "created_at": now})
            for row in rows:
                exists = conn.execute(select(d.c.id).where(
                    d.c.webhook_id == row["webhook_id"], d.c.event_id == row["event_id"])).first()
                if exists is None:
                    conn.execute(insert(d).values(**row))
            conn.execute(update(T_STATE).where(T_STATE.c.name == CURSOR)
                         .values(value=events[-1].id))
        return len(rows)

    def claim(self, now: str, lease_until: str, limit: int = 20) -> list[Claimed]:
        """Due deliveries, each claimed until ``lease_until`` (skipped if another process has it)."""
        d, h, e = T_DELIVERIES, T_HOOKS, T_EVENTS
        free = or_(d.c.claimed_until.is_(None), d.c.claimed_until < now)
        out: list[Claimed] = []
        with self.index._write() as conn:
            rows = conn.execute(select(d, h.c.municipality, h.c.url, h.c.secret,
                                       h.c.created_at.label("hook_created_at"), h.c.created_by)
                                .join(h, h.c.id == d.c.webhook_id)
                                .where(d.c.status == "pending", d.c.next_attempt_at <= now, free)
                                .order_by(d.c.next_attempt_at, d.c.id).limit(limit)).mappings().all()
            for r in rows:
                got = conn.execute(update(d).where(d.c.id == r["id"], free)
                                   .values(claimed_until=lease_until)).rowcount
                if not got:
                    continue
                ev = conn.execute(select(e).where(e.c.id == r["event_id"])).mappings().one()
                out.append(Claimed(
                    delivery=_delivery(r),
                    webhook=Webhook(id=r["webhook_id"], municipality=r["municipality"],
                                    url=r["url"], created_at=r["hook_created_at"],
                                    created_by=r["created_by"], secret=r["secret"]),
                    event=ChangeEvent(**dict(ev))))
        return out

    def finish(self, delivery_id: int, *, delivered: bool, now: str, status: int | None,
               error: str | None, retry_at: str | None) -> None:
        """Record an attempt: delivered, to retry at ``retry_at``, or failed for good."""
        d = T_DELIVERIES
        values: dict[str, Any] = {"attempts": d.c.attempts + 1, "last_status": status,
                                  "last_error": error, "claimed_until": None}
        if delivered:
            values |= {"status": "delivered", "delivered_at": now}
        elif retry_at is None:
            values |= {"status": "failed"}
        else:
            values |= {"next_attempt_at": retry_at}
        with self.index._write() as conn:
            conn.execute(update(d).where(and_(d.c.id == delivery_id, d.c.status == "pending"))
                         .values(**values))


__all__ = ["Claimed", "Delivery", "OutboxIndex", "Webhook"]
