"""Webhook delivery: CloudEvents JSON, HMAC-SHA256 signatures, SSRF-safe HTTP, back-off.

What a receiver gets (one POST per event and webhook):

- body: a CloudEvents 1.0 structured JSON event (``Content-Type: application/cloudevents+json``)
  ``{"specversion": "1.0", "id": "<event id>", "source": "<base_url>/t/<lg>/<slug>",
  "type": "jp.yoshiki.template.<kind>", "subject": "<lg>/<slug>@<version>", "time": ...,
  "datacontenttype": "application/json", "data": {the change-feed event}}``;
- ``X-Yoshiki-Signature: sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the webhook's
  secret (shown once when the webhook is created); compare in constant time;
- ``Idempotency-Key: <event id>`` (= ``id`` of the CloudEvent) and ``X-Yoshiki-Delivery``: the
  same event may arrive more than once (at-least-once); a receiver deduplicates by the key.

Safety (server-side request forgery): only ``http``/``https``; the host is resolved and every
address must be public — loopback, private, link-local, multicast, reserved and unspecified
addresses are refused before any connection unless ``YOSHIKI_WEBHOOK_ALLOW_PRIVATE=1`` or the
address is in ``YOSHIKI_WEBHOOK_ALLOW`` (comma-separated addresses or networks); the connection
goes to the address that was checked (no second lookup); redirects are not followed (a 3xx is a
failure); connect and read time limits and a response size limit apply.

Retries: a failure (connection error, timeout, non-2xx) is retried with exponential back-off
(``base × 2^attempts``, capped at one hour) up to ``max_attempts``; then the delivery is failed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import msgspec

from registry.errors import UsageError
from registry.readmodels import ChangeEvent

SIGNATURE_HEADER = "X-Yoshiki-Signature"
MAX_URL = 2000
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class WebhookPolicy:
    """Limits and the administrator's allowances (from ``YOSHIKI_WEBHOOK_*``)."""

    allow_private: bool = False
    allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    backoff_base: float = 2.0
    max_attempts: int = 10
    poll_interval: float = 1.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> WebhookPolicy:
        """``YOSHIKI_WEBHOOK_ALLOW_PRIVATE``, ``_ALLOW``, ``_TIMEOUT``, ``_BACKOFF``,
        ``_MAX_ATTEMPTS``, ``_POLL``."""
        env = dict(os.environ if env is None else env)
        nets = []
        for part in env.get("YOSHIKI_WEBHOOK_ALLOW", "").split(","):
            if part.strip():
                nets.append(ipaddress.ip_network(part.strip(), strict=False))
        timeout = float(env.get("YOSHIKI_WEBHOOK_TIMEOUT", "10"))
        return cls(allow_private=env.get("YOSHIKI_WEBHOOK_ALLOW_PRIVATE", "") in ("1", "true", "yes"),
                   allow=tuple(nets), connect_timeout=min(5.0, timeout), read_timeout=timeout,
                   backoff_base=float(env.get("YOSHIKI_WEBHOOK_BACKOFF", "2")),
                   max_attempts=int(env.get("YOSHIKI_WEBHOOK_MAX_ATTEMPTS", "10")),
                   poll_interval=float(env.get("YOSHIKI_WEBHOOK_POLL", "1")))

    def lease(self) -> timedelta:
        """How long a claimed delivery is reserved (longer than one attempt can take)."""
        return timedelta(seconds=self.connect_timeout + self.read_timeout + 5)

    def retry_delay(self, attempts: int) -> timedelta:
        """The back-off after ``attempts`` failed attempts."""
        return timedelta(seconds=min(3600.0, self.backoff_base * (2 ** max(0, attempts - 1))))


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path+query) of a webhook URL; UsageError when it cannot be one."""
    if len(url) > MAX_URL:
        raise UsageError("the webhook URL is too long", detail_ja="Webhook の URL が長すぎます")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{url!r} is not an http(s) URL", detail_ja=f"{url!r} は http(s) の URL ではありません")
    if parts.username or parts.password:
        raise UsageError("a webhook URL carries no user or password",
                         detail_ja="Webhook の URL にユーザー名やパスワードは書けません")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UsageError(f"{url!r} has an invalid port", detail_ja=f"{url!r} のポート番号が正しくありません") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def resolve_allowed(host: str, port: int, policy: WebhookPolicy) -> str:
    """The address to connect to: every address of ``host`` must be allowed (else UsageError)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UsageError(f"the webhook host {host!r} cannot be resolved ({exc})",
                         detail_ja=f"Webhook のホスト {host!r} の名前解決ができません") from None
    addresses = [str(info[4][0]) for info in infos]
    for a in addresses:
        ip = ipaddress.ip_address(a.split("%", 1)[0])
        if any(ip in net for net in policy.allow) or policy.allow_private:
            continue
        if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified \
                or ip.is_loopback or ip.is_link_local or ip.is_private:
            raise UsageError(
                f"the webhook host {host!r} resolves to {a}, a private, loopback or link-local "
                "address; the administrator must allow it (YOSHIKI_WEBHOOK_ALLOW_PRIVATE or "
                "YOSHIKI_WEBHOOK_ALLOW)",
                detail_ja=f"Webhook のホスト {host!r} は {a}（プライベート・ループバック・リンクローカル）"
                          "を指すため送信できません。管理者の許可（YOSHIKI_WEBHOOK_ALLOW_PRIVATE "
                          "または YOSHIKI_WEBHOOK_ALLOW）が必要です")
    return addresses[0]


def check_target(url: str, policy: WebhookPolicy) -> None:
    """Refuse a URL that could not be delivered to under ``policy`` (at registration)."""
    _, host, port, _ = check_url(url)
    resolve_allowed(host, port, policy)


def cloudevent(event: ChangeEvent, base_url: str) -> bytes:
    """The CloudEvents 1.0 structured JSON body of a change-feed event."""
    body = {"specversion": "1.0", "id": str(event.id),
            "source": f"{base_url.rstrip('/')}/t/{event.lg}/{event.slug}",
            "type": f"jp.yoshiki.template.{event.kind}",
            "subject": f"{event.lg}/{event.slug}@{event.version}", "time": event.at,
            "datacontenttype": "application/json", "data": msgspec.to_builtins(event)}
    return msgspec.json.encode(body)


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, body)>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with the certificate checked for the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float, read_timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address, self._read_timeout = address, read_timeout

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, address: str, port: int, timeout: float, read_timeout: float) -> None:
        super().__init__(address, port, timeout=timeout)
        self._read_timeout = read_timeout

    def connect(self) -> None:
        super().connect()
        assert self.sock is not None
        self.sock.settimeout(self._read_timeout)


@dataclass
class Attempt:
    """What one attempt gave: delivered, the HTTP status, an error in words."""

    delivered: bool
    status: int | None = None
    error: str | None = None


def deliver(url: str, secret: str, event: ChangeEvent, delivery_id: int, base_url: str,
            policy: WebhookPolicy) -> Attempt:
    """POST one event; never follows a redirect; refuses a disallowed address before connecting."""
    try:
        scheme, host, port, path = check_url(url)
        address = resolve_allowed(host, port, policy)
    except UsageError as exc:
        return Attempt(False, None, str(exc))
    body = cloudevent(event, base_url)
    headers = {"Content-Type": "application/cloudevents+json", "User-Agent": "Yoshiki-Webhook/1",
               SIGNATURE_HEADER: sign(secret, body), "Idempotency-Key": str(event.id),
               "X-Yoshiki-Delivery": str(delivery_id), "Host": host if port in (80, 443) else f"{host}:{port}"}
    conn: http.client.HTTPConnection = (
        _PinnedHTTPS(host, address, port, policy.connect_timeout, policy.read_timeout)
        if scheme == "https" else _PinnedHTTP(address, port, policy.connect_timeout, policy.read_timeout))
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read(MAX_RESPONSE_BYTES)  # at most this much is read; the rest is dropped
        if 200 <= resp.status < 300:
            return Attempt(True, resp.status)
        what = "redirect not followed" if 300 <= resp.status < 400 else "non-2xx answer"
        return Attempt(False, resp.status, f"HTTP {resp.status} ({what})")
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        conn.close()


def utc(dt: datetime) -> str:
    """ISO 8601 UTC text with seconds (as the index stores times)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
