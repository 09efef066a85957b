"""Staff sessions for the pages: a token pasted once becomes a signed cookie; CSRF tokens.

The cookie holds the token's municipality, name and admin flag, a random session id and the
token's SHA-256 (never the token), the whole value signed with HMAC-SHA256 under a key kept in
the data folder (created once, mode 0600, shared by every worker). Each request looks the
token up by that hash, the way the index stores tokens, so a session belongs to one token, not
to a name: revoking it ends the session, and a new token created under the same name does not
revive it. The hash is no credential: the API wants the token itself.

CSRF: a random nonce in a cookie, and in each form an HMAC of that nonce and the session id
under the session key. A client cannot pick a pair (it does not know the key), a token of one
session is worthless in another, and logging in (a new session id, a new nonce) rotates it.
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
    session_id: str = ""


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
    token = token.strip()
    info = service.token_info(token)
    if info is None:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    sid = secrets.token_urlsafe(16)
    session = Session(info.municipality, info.name, info.admin, digest, sid)
    value = sign(key, {"m": session.municipality, "n": session.name, "a": session.admin,
                       "h": digest, "s": sid,
                       "exp": int(time.time()) + MAX_AGE})
    return session, Cookie(key=SESSION_COOKIE, value=value, httponly=True, samesite="lax",
                           secure=is_secure(request), max_age=MAX_AGE, path="/")


def logout_cookie(request: Request[Any, Any, Any]) -> Cookie:
    """A cookie that ends the session."""
    return Cookie(key=SESSION_COOKIE, value="", httponly=True, samesite="lax",
                  secure=is_secure(request), max_age=0, path="/")


def session_id(request: Request[Any, Any, Any], key: bytes) -> str:
    """The session id of the request's (signed) cookie, or "" without one."""
    payload = unsign(key, request.cookies.get(SESSION_COOKIE))
    return str(payload.get("s", "")) if payload else ""


def current(request: Request[Any, Any, Any], service: RegistryService, key: bytes) -> Session | None:
    """The request's session, if its cookie is genuine and the very token it was made from is live."""
    payload = unsign(key, request.cookies.get(SESSION_COOKIE))
    if payload is None:
        return None
    sid = str(payload.get("s", ""))
    digest = str(payload.get("h", ""))
    if not sid or not digest:
        return None
    info = service.session_token_info(digest)
    if info is None or info.municipality != payload.get("m") or info.name != payload.get("n"):
        return None
    return Session(info.municipality, info.name, info.admin, digest, sid)


def _csrf_for(key: bytes, nonce: str, sid: str) -> str:
    return _b64(hmac.new(key, f"csrf|{nonce}|{sid}".encode(), hashlib.sha256).digest())


def new_csrf_cookie(request: Request[Any, Any, Any]) -> tuple[str, Cookie]:
    """A fresh CSRF nonce and the cookie carrying it (set at login: the token rotates)."""
    nonce = secrets.token_urlsafe(32)
    return nonce, Cookie(key=CSRF_COOKIE, value=nonce, httponly=True, samesite="lax",
                         secure=is_secure(request), path="/")


def csrf_token(request: Request[Any, Any, Any], key: bytes) -> tuple[str, Cookie | None]:
    """The form token for this request's nonce and session and, when it had no nonce, its cookie."""
    nonce = request.cookies.get(CSRF_COOKIE)
    cookie = None
    if not nonce or len(nonce) < 32:
        nonce, cookie = new_csrf_cookie(request)
    return _csrf_for(key, nonce, session_id(request, key)), cookie


def csrf_ok(request: Request[Any, Any, Any], key: bytes, submitted: str | None) -> bool:
    """True when the form's token is the HMAC of the cookie's nonce and this session."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if not (nonce and submitted and isinstance(submitted, str)):
        return False
    return hmac.compare_digest(_csrf_for(key, nonce, session_id(request, key)), submitted)


__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "SESSION_COOKIE", "Session", "csrf_ok", "csrf_token",
           "current", "is_secure", "login_cookie", "logout_cookie", "new_csrf_cookie",
           "secret_key", "session_id", "sign", "unsign"]
