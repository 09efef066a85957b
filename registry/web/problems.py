"""One mapping from errors to RFC 9457 problem details (``application/problem+json``).

RegistryError subclasses map by STYLE.md's table; Litestar's own HTTP errors (malformed JSON,
body too large, unknown route, wrong method) are rendered the same way, so a client sees one
error shape everywhere. Unexpected errors become a 500 problem without internals.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.exceptions import NotFoundException as LitestarNotFound
from litestar.exceptions import ValidationException as LitestarValidation
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from registry import errors

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://yoshiki.invalid/problems/"
log = logging.getLogger("yoshiki.web")

STATUS: list[tuple[type[errors.RegistryError], int]] = [
    (errors.NotFound, HTTP_404_NOT_FOUND),
    (errors.UsageError, HTTP_400_BAD_REQUEST),
    (errors.VersionExists, HTTP_409_CONFLICT),
    (errors.Conflict, HTTP_409_CONFLICT),
    (errors.Unauthenticated, HTTP_401_UNAUTHORIZED),
    (errors.Forbidden, HTTP_403_FORBIDDEN),
    (errors.LimitExceeded, HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (errors.InvalidTemplate, HTTP_422_UNPROCESSABLE_ENTITY),
    (errors.IncompatibleChange, HTTP_422_UNPROCESSABLE_ENTITY),
    (errors.Unavailable, 503),
]


def status_for(error: errors.RegistryError) -> int:
    """The HTTP status of a registry error."""
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return HTTP_500_INTERNAL_SERVER_ERROR


def problem(status: int, code: str, title: str, detail: str, detail_ja: str,
            instance: str | None = None, **extra: Any) -> Response[bytes]:
    """A problem+json response; ``extra`` members are added (issues, conflicts, suggestion)."""
    body: dict[str, Any] = {"type": TYPE_BASE + code, "title": title, "status": status,
                            "code": code, "detail": detail, "detail_ja": detail_ja}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": 'Bearer realm="yoshiki"'} if status == HTTP_401_UNAUTHORIZED else None
    return Response(content=msgspec.json.encode(body), status_code=status, media_type=PROBLEM_JSON,
                    headers=headers)


def registry_error_handler(request: Request[Any, Any, Any], exc: errors.RegistryError) -> Response[bytes]:
    """RegistryError → problem+json with its issues."""
    extra = dict(exc.extra)
    if exc.issues:
        extra["issues"] = msgspec.to_builtins(exc.issues)
    return problem(status_for(exc), exc.code, exc.title, exc.detail, exc.detail_ja,
                   instance=request.url.path, **extra)


_HTTP_CODES = {
    HTTP_400_BAD_REQUEST: ("bad-request", "リクエストが正しくありません / Bad request",
                           "リクエストの形式が正しくありません。JSON の書式と項目を確認してください。"),
    HTTP_401_UNAUTHORIZED: ("unauthenticated", errors.Unauthenticated.title,
                            "認証が必要です。Authorization: Bearer <token> を付けてください。"),
    HTTP_403_FORBIDDEN: ("forbidden", errors.Forbidden.title, "この操作の権限がありません。"),
    HTTP_404_NOT_FOUND: ("not-found", errors.NotFound.title, "指定されたページやリソースはありません。"),
    405: ("method-not-allowed", "許可されていないメソッドです / Method not allowed",
          "このメソッドはこの URL では使えません。"),
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: ("too-large", errors.LimitExceeded.title,
                                        "リクエストが大きすぎます。"),
    415: ("unsupported-media-type", "JSON で送ってください / Unsupported media type",
          "本文は JSON です。Content-Type: application/json を付けて送ってください。"),
}


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Litestar's HTTP errors (validation, 404 route, 405, 413) → problem+json."""
    status = exc.status_code
    code, title, ja = _HTTP_CODES.get(status, ("http-error", "HTTP エラー / HTTP error", str(exc.detail)))
    detail = str(exc.detail)
    extra: dict[str, Any] = {}
    if isinstance(exc, LitestarValidation) and exc.extra:
        extra["errors"] = msgspec.to_builtins(exc.extra) if not isinstance(exc.extra, list) else exc.extra
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException | LitestarNotFound):
        ja = ja if detail in ("", title) else f"{ja}（{detail}）"
    return problem(status, code, title, detail, ja, instance=request.url.path, **extra)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Anything else → 500 problem; the traceback goes to the log, never to the client."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "unexpected", "想定外のエラー / Unexpected error",
                   "The registry hit an unexpected error; it has been logged.",
                   "レジストリで想定外のエラーが起きました。記録済みです。", instance=request.url.path)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    errors.RegistryError: registry_error_handler,
    HTTPException: http_exception_handler,
    Exception: unexpected_error_handler,
}
"""Pass to ``Litestar(exception_handlers=...)``."""

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "problem", "status_for"]
