"""Versions: the immutable documents (strong ETag, cached for a year), publish and deprecate.

A published version never changes (the store refuses it), so its document and its schema bytes
are cached in memory per service (bounded by bytes: ``Settings.doc_cache_bytes``) and carry a strong ETag derived from the bytes themselves;
``If-None-Match`` answers 304 without a body. Deprecation does not change them: it is shown in
the template's detail and history.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import weakref
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_304_NOT_MODIFIED

from registry.errors import InvalidTemplate
from registry.layout import EXAMPLES_DIR, SCHEMA_FILE, TEMPLATE_FILE, VersionKey
from registry.models import Issue
from registry.service import PublishResult, RegistryService
from registry.syntax.documents import dumps
from registry.web.auth import PATH_MUNICIPALITY, remote_addr
from registry.web.deps import Actor, Config, Service
from registry.web.doc_cache import ByteBoundedCache
from registry.web.dto import (
    DeprecateBody,
    Deprecated,
    PublishBody,
    VersionDocument,
    problem_responses,
)
from registry.web.limits import check_document, template_key, version_key

BASE = "/api/v1/templates/{lg:str}/{slug:str}"
IMMUTABLE = "public, max-age=31536000, immutable"
EXAMPLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.json")


class _Cached(msgspec.Struct):
    document: bytes
    document_etag: str
    schema: bytes
    schema_etag: str


_caches: weakref.WeakKeyDictionary[RegistryService, ByteBoundedCache[_Cached]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _cache_of(service: RegistryService) -> ByteBoundedCache[_Cached]:
    """The service's document cache, bounded by bytes (registry/web/doc_cache.py)."""
    with _lock:
        cache = _caches.get(service)
        if cache is None:
            cache = ByteBoundedCache(service.settings.doc_cache_bytes,
                                     lambda e: len(e.document) + len(e.schema) + 200)
            _caches[service] = cache
        return cache


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:40] + '"'


def _cached(service: RegistryService, key: VersionKey) -> _Cached:
    cache = _cache_of(service)
    hit = cache.get(str(key))
    if hit is not None:
        return hit
    files = service.get_version(key)
    examples: dict[str, dict[str, Any]] = {"valid": {}, "invalid": {}}
    for path, data in sorted(files.files.items()):
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == EXAMPLES_DIR and parts[1] in examples:
            examples[parts[1]][parts[2]] = json.loads(data)
    doc = msgspec.json.encode(VersionDocument(key=str(key), template=files.template,
                                              schema=files.schema, examples=examples))
    schema = files.files[SCHEMA_FILE]
    entry = _Cached(doc, _etag(doc), schema, _etag(schema))
    cache.put(str(key), entry)
    return entry


def _immutable(request: Request[Any, Any, Any], body: bytes, etag: str,
               media_type: str) -> Response[bytes]:
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    match = request.headers.get("if-none-match")
    if match and (match.strip() == "*" or etag in [m.strip().removeprefix("W/") for m in match.split(",")]):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@get(BASE + "/versions/{version:str}", sync_to_thread=True, tags=["versions"],
     responses={**problem_responses(400, 404),
                200: ResponseSpec(data_container=VersionDocument, generate_examples=False,
                                  description="template.json, schema.json and the examples (immutable)")})
def get_version(request: Request[Any, Any, Any], service: Service, lg: FromPath[str], slug: FromPath[str],
                version: FromPath[str]) -> Response[bytes]:
    """One version as one immutable JSON document (``VersionDocument``)."""
    entry = _cached(service, version_key(lg, slug, version))
    return _immutable(request, entry.document, entry.document_etag, "application/json")


@get(BASE + "/versions/{version:str}/schema.json", sync_to_thread=True, tags=["versions"],
     responses=problem_responses(400, 404))
def get_schema(request: Request[Any, Any, Any], service: Service, lg: FromPath[str], slug: FromPath[str],
               version: FromPath[str]) -> Response[bytes]:
    """The version's schema.json, byte for byte as stored."""
    entry = _cached(service, version_key(lg, slug, version))
    return _immutable(request, entry.schema, entry.schema_etag, "application/schema+json")


def version_files(body: PublishBody) -> dict[str, bytes]:
    """The files of a version folder from a publish body (example names checked first)."""
    files = {TEMPLATE_FILE: dumps(body.template), SCHEMA_FILE: dumps(body.schema)}
    issues: list[Issue] = []
    for kind, named in body.examples.items():
        if kind not in ("valid", "invalid"):
            issues.append(Issue(rule="layout.unexpected-file", pointer=f"/examples/{kind}",
                                message=f"examples may be 'valid' or 'invalid', not {kind!r}.",
                                message_ja=f"examples に置けるのは valid と invalid だけです（{kind!r} は使えません）。"))
            continue
        for name, value in named.items():
            if not EXAMPLE_NAME.fullmatch(name):
                issues.append(Issue(rule="layout.unexpected-file", pointer=f"/examples/{kind}",
                                    message=f"{name!r} is not an example file name (letters, digits, '.', '_', '-', ending in .json).",
                                    message_ja=f"{name!r} は例のファイル名に使えません（英数字・. _ - で .json で終わる名前）。"))
                continue
            files[f"{EXAMPLES_DIR}/{kind}/{name}"] = dumps(value)
    if issues:
        raise InvalidTemplate("the examples' names cannot be used; nothing was published",
                              detail_ja="例のファイル名が使えないため公開していません", issues=issues)
    return files


@post(BASE + "/versions", sync_to_thread=True, tags=["versions"], status_code=HTTP_201_CREATED,
      opt=PATH_MUNICIPALITY, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def publish(request: Request[Any, Any, Any], service: Service, settings: Config, actor: Actor,
            lg: FromPath[str], slug: FromPath[str], data: JSONBody[PublishBody], dry_run: FromQuery[bool] = False) -> Response[PublishResult]:
    """Publish a new version (201 + Location); ``?dry_run=true`` checks only (200)."""
    key = version_key(lg, slug, data.version)
    check_document(data.schema, settings, "schema")
    check_document(data.template, settings, "template")
    for named in data.examples.values():
        for value in named.values():
            check_document(value, settings, "example")
    with remote_addr(request):
        result = service.publish(version_files(data), actor=actor, key=key, dry_run=dry_run)
    if dry_run:
        return Response(result, status_code=HTTP_200_OK)
    return Response(result, status_code=HTTP_201_CREATED,
                    headers={"Location": f"/api/v1/templates/{key.lg}/{key.slug}/versions/{key.version}"})


@post(BASE + "/versions/{version:str}/deprecate", sync_to_thread=True, tags=["versions"],
      status_code=HTTP_200_OK, opt=PATH_MUNICIPALITY,
      responses=problem_responses(400, 401, 403, 404))
def deprecate(request: Request[Any, Any, Any], service: Service, actor: Actor, lg: FromPath[str],
              slug: FromPath[str], version: FromPath[str], data: JSONBody[DeprecateBody]) -> Deprecated:
    """Flag a version deprecated with a reason (it stays readable)."""
    key = version_key(lg, slug, version)
    with remote_addr(request):
        info = service.deprecate(key, data.reason, actor)
    return Deprecated(key=str(key), reason=data.reason, commit=info.commit)


HANDLERS = [get_version, get_schema, publish, deprecate]
__all__ = ["HANDLERS", "template_key"]
