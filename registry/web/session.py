"""Staff sessions for the pages: a token pasted once becomes a signed cookie; CSRF tokens.

The cookie holds the token's municipality, name and admin flag plus a prefix of the token's
hash (never the token): signed with HMAC-SHA256 under a key kept in the data folder (created
once, mode 0600, shared by every worker). Each request re-checks that a token of that name still
exists, so revoking it ends the session. POST forms carry a double-submit CSRF token: a random
cookie value repeated in a hidden field, compared in constant time (SameSite=Lax on both).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.datastructures import Cookie

if TYPE_CHECKING:
    from litestar import Request

    from registry.service import RegistryService

SESSION_COOKIE = "yoshiki_session"
CSRF_COOKIE = "yoshiki_csrf"
CSRF_FIELD = "csrf_token"
MAX_AGE = 8 * 3600          # a working day
KEY_FILE = "session.key"


@dataclass(frozen=True)
class Session:
    """Who is logged in: the token's municipality (LG code), its name, whether it is admin."""

    municipality: str
    name: str
    admin: bool
    token_hash: str


def secret_key(data_dir: Path) -> bytes:
    """The signing key in ``data_dir`` (created once with O_EXCL so workers agree on it)."""
    path = Path(data_dir) / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, payload: dict[str, Any]) -> str:
    """``payload`` as a cookie value: base64 JSON, a dot, base64 HMAC."""
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def unsign(key: bytes, value: str | None) -> dict[str, Any] | None:
    """The payload of a signed value, or None when absent, forged, malformed or expired."""
    if not value or "." not in value:
        return None
    body, _, mac = value.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or float(payload.get("exp", 0)) < time.time():
        return None
    return payload


def is_secure(request: Request[Any, Any, Any]) -> bool:
    """True when the request came over TLS (directly or through a proxy saying so)."""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or proto == "https"


def login_cookie(request: Request[Any, Any, Any], service: RegistryService, key: bytes,
                 token: str) -> tuple[Session, Cookie] | None:
    """A session cookie for a pasted token, or None when the token is unknown or revoked."""
    info = service.token_info(token.strip())
    if info is None:
        return None
    digest = hashlib.sha256(token.strip().encode()).hexdigest()[:16]
    session = Session(info.municipality, info.name, info.admin, digest)
    value = sign(key, {"m": session.municipality, "n": session.name, "a": session.admin,
                       "h": digest, "exp": int(time.time()) + MAX_AGE})
    return session, Cookie(key=SESSION_COOKIE, value=value, httponly=True, samesite="lax",
                           secure=is_secure(request), max_age=MAX_AGE, path="/")


def logout_cookie(request: Request[Any, Any, Any]) -> Cookie:
    """A cookie that ends the session."""
    return Cookie(key=SESSION_COOKIE, value="", httponly=True, samesite="lax",
                  secure=is_secure(request), max_age=0, path="/")


def current(request: Request[Any, Any, Any], service: RegistryService, key: bytes) -> Session | None:
    """The request's session, if its cookie is genuine and its token still exists."""
    payload = unsign(key, request.cookies.get(SESSION_COOKIE))
    if payload is None:
        return None
    session = Session(str(payload.get("m", "")), str(payload.get("n", "")), bool(payload.get("a")),
                      str(payload.get("h", "")))
    live = {t.name for t in service.tokens(session.municipality)}
    return session if session.name in live else None


def csrf_token(request: Request[Any, Any, Any]) -> tuple[str, Cookie | None]:
    """The request's CSRF token and, when it had none, the cookie that sets one."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing, None
    token = secrets.token_urlsafe(32)
    return token, Cookie(key=CSRF_COOKIE, value=token, httponly=True, samesite="lax",
                         secure=is_secure(request), path="/")


def csrf_ok(request: Request[Any, Any, Any], submitted: str | None) -> bool:
    """True when the form's hidden token matches the cookie (double submit)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and submitted and hmac.compare_digest(cookie, submitted))


__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "SESSION_COOKIE", "Session", "csrf_ok", "csrf_token",
           "current", "is_secure", "login_cookie", "logout_cookie", "secret_key", "sign", "unsign"]
