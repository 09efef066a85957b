"""The delivery worker: a daemon thread in the server process, started and stopped by the app.

``create_app`` starts one ``DeliveryWorker`` on startup and stops it on shutdown (the thread
finishes the attempt in flight, then returns; at most one read timeout). Each round it moves
new change-feed events into the outbox and sends the due deliveries it could claim. Several
server processes (``--workers 2``) each run one: claims keep them from sending a delivery
twice at once. ``YOSHIKI_WEBHOOK_WORKER=0`` turns it off (e.g. in a process that serves pages
only). State lives in the index, so a restart resumes where the last process stopped.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from registry.notices.webhooks import WebhookPolicy, deliver, utc

if TYPE_CHECKING:
    from registry.storage.ports import TemplateIndex

log = logging.getLogger("yoshiki.webhooks")


def run_once(index: TemplateIndex, base_url: str, policy: WebhookPolicy) -> int:
    """One round: enqueue new events, send what is due. Returns the attempts made."""
    now = datetime.now(UTC)
    index.outbox.enqueue(utc(now))
    claimed = index.outbox.claim(utc(now), utc(now + policy.lease()))
    for c in claimed:
        got = deliver(c.webhook.url, c.webhook.secret or "", c.event, c.delivery.id, base_url, policy)
        attempts = c.delivery.attempts + 1
        done = datetime.now(UTC)
        retry = None
        if not got.delivered and attempts < policy.max_attempts:
            retry = utc(done + policy.retry_delay(attempts))
        index.outbox.finish(c.delivery.id, delivered=got.delivered, now=utc(done),
                            status=got.status, error=got.error, retry_at=retry)
    return len(claimed)


class DeliveryWorker:
    """The background thread; ``start()`` and ``stop()`` from the app's lifespan."""

    def __init__(self, index: TemplateIndex, base_url: str, policy: WebhookPolicy) -> None:
        self.index, self.base_url, self.policy = index, base_url, policy
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def enabled() -> bool:
        """False when ``YOSHIKI_WEBHOOK_WORKER=0``."""
        return os.environ.get("YOSHIKI_WEBHOOK_WORKER", "1") not in ("0", "false", "no")

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="yoshiki-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop and wait for the attempt in flight."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.index.outbox.any() and run_once(self.index, self.base_url, self.policy)
            except Exception:  # a bad round must not kill the thread; the next one retries
                log.exception("webhook delivery round failed")
                busy = 0
            if not busy:
                self._stop.wait(self.policy.poll_interval)
