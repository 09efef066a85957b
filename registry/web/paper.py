"""The paper form over HTTP: ``/t/{lg}/{slug}/{version}/print.pdf`` (GET and HEAD).

The blank PDF of a version is immutable like its schema: rendered once per service, cached in
memory, served with a strong ETag and ``Cache-Control: immutable``. ``?data=`` (URL-encoded JSON,
one submission, at most ``MAX_QUERY_DATA`` characters) prints it filled in; a filled PDF holds
personal data, so it is ``no-store``. Errors are problem+json (this router is outside the pages'
HTML error handlers).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath

from registry.layout import VersionKey
from registry.paper import data as paper_data
from registry.paper import model, pdf
from registry.service import RegistryService
from registry.web.deps import Service
from registry.web.limits import version_key

IMMUTABLE = "public, max-age=31536000, immutable"
PDF = "application/pdf"
_CACHE_MAX = 256
_cache: weakref.WeakKeyDictionary[RegistryService, dict[str, tuple[bytes, str]]] = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()


def sheet_for(service: RegistryService, key: VersionKey, data: Any | None = None) -> model.Sheet:
    """The print model of a stored version (blank, or filled with ``data``)."""
    files = service.get_version(key)
    return model.sheet(files.template, files.schema, service.schemas(),
                       lg=key.lg, slug=key.slug, version=key.version, data=data,
                       caption="申請内容の写し" if data is not None else None)


def query_data(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    """The ``?data=`` submission, or None for a blank form."""
    raw = request.query_params.get("data")
    return None if raw is None else paper_data.parse_query_data(raw)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def blank_pdf(service: RegistryService, key: VersionKey) -> tuple[bytes, str]:
    """(PDF bytes, strong ETag) of a version's blank form, rendered once per service."""
    with _lock:
        hit = _cache.setdefault(service, {}).get(str(key))
    if hit is not None:
        return hit
    body = pdf.render([sheet_for(service, key)])
    entry = (body, _etag(body))
    with _lock:
        cache = _cache.setdefault(service, {})
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[str(key)] = entry
    return entry


def _pdf_response(request: Request[Any, Any, Any], service: RegistryService, lg: str, slug: str,
                  version: str) -> Response[bytes]:
    key = version_key(lg, slug, version)
    data = query_data(request)
    name = f"{key.lg}-{key.slug}-{key.version}{'-filled' if data is not None else ''}.pdf"
    if data is None:
        body, etag = blank_pdf(service, key)
        headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
        match = request.headers.get("if-none-match")
        if match and (match.strip() == "*" or etag in [m.strip() for m in match.split(",")]):
            return Response(b"", status_code=304, headers=headers)
    else:
        body = pdf.render([sheet_for(service, key, data)])
        headers = {"ETag": _etag(body), "Cache-Control": "private, no-store"}
    headers["Content-Disposition"] = f'inline; filename="{name}"'
    headers["Content-Length"] = str(len(body))
    return Response(body, media_type=PDF, headers=headers)


@get("/t/{lg:str}/{slug:str}/{version:str}/print.pdf", sync_to_thread=True,
     include_in_schema=False)
def print_pdf(request: Request[Any, Any, Any], service: Service, lg: FromPath[str],
              slug: FromPath[str], version: FromPath[str]) -> Response[bytes]:
    """The paper form as an A4 PDF (blank, or filled with ``?data=``)."""
    return _pdf_response(request, service, lg, slug, version)


# In a Router of their own (as the pages are): a handler registered on an app directly is
# changed by it, and tests build several apps. No HTML error handlers: errors are problem+json.
route_handlers: list[Any] = [Router(path="/", route_handlers=[print_pdf],
                                    include_in_schema=False)]

__all__ = ["blank_pdf", "query_data", "route_handlers", "sheet_for"]
