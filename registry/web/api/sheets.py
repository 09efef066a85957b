"""Spreadsheet exports of a version: ``form.xlsx`` (the form) and ``entry.xlsx`` (for typing in).

Both are derived from an immutable version and written deterministically (fixed workbook and zip
times), so their bytes — and the strong ETag derived from them — never change; ``If-None-Match``
answers 304. A form the sheets cannot express is a 422 problem naming each part.
"""

from __future__ import annotations

import json
import threading
import weakref
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from registry.layout import EXAMPLES_DIR, VersionKey
from registry.service import RegistryService
from registry.sheets.exports import entry_workbook, form_workbook
from registry.web.api.versions import BASE, _etag, _immutable
from registry.web.deps import Service
from registry.web.dto import problem_responses
from registry.web.limits import version_key

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CACHE_MAX = 256
_caches: weakref.WeakKeyDictionary[RegistryService, dict[tuple[str, str], tuple[bytes, str]]] = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()


def workbook_bytes(service: RegistryService, key: VersionKey, kind: str) -> tuple[bytes, str]:
    """(bytes, strong ETag) of a version's ``form`` or ``entry`` workbook (cached: versions are immutable)."""
    with _lock:
        hit = _caches.setdefault(service, {}).get((str(key), kind))
    if hit is not None:
        return hit
    files = service.get_version(key)
    if kind == "form":
        examples = {}
        for path, data in sorted(files.files.items()):
            parts = path.split("/")
            if len(parts) == 3 and parts[0] == EXAMPLES_DIR and parts[1] in ("valid", "invalid"):
                examples[f"{parts[1]}/{parts[2]}"] = json.loads(data)
        body = form_workbook(files.template, files.schema, examples)
    else:
        title = files.template.get("title") if isinstance(files.template, dict) else ""
        body = entry_workbook(files.schema, service.schemas(), str(title or ""))
    entry = (body, _etag(body))
    with _lock:
        cache = _caches.setdefault(service, {})
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[(str(key), kind)] = entry
    return entry


def _download(request: Request[Any, Any, Any], service: RegistryService, key: VersionKey, kind: str) -> Response[bytes]:
    body, etag = workbook_bytes(service, key, kind)
    response = _immutable(request, body, etag, XLSX)
    name = f"{key.lg}-{key.slug}-{key.version}-{kind}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@get(BASE + "/versions/{version:str}/form.xlsx", sync_to_thread=True, tags=["versions"],
     responses=problem_responses(400, 404, 422))
def get_form_xlsx(request: Request[Any, Any, Any], service: Service, lg: FromPath[str], slug: FromPath[str],
                  version: FromPath[str]) -> Response[bytes]:
    """The form as a workbook (sheets 項目, 選択肢, 設定, 記入例; ``yoshiki import`` reads it back)."""
    return _download(request, service, version_key(lg, slug, version), "form")


@get(BASE + "/versions/{version:str}/entry.xlsx", sync_to_thread=True, tags=["versions"],
     responses=problem_responses(400, 404))
def get_entry_xlsx(request: Request[Any, Any, Any], service: Service, lg: FromPath[str], slug: FromPath[str],
                   version: FromPath[str]) -> Response[bytes]:
    """An entry workbook: one column per field, drop-downs for choices, date cells (check-data reads it)."""
    return _download(request, service, version_key(lg, slug, version), "entry")


HANDLERS = [get_form_xlsx, get_entry_xlsx]
