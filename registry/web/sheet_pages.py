"""Pages: a form workbook uploaded on the template page becomes a new version, after a dry run.

Step 1 (``POST /t/{lg}/{slug}/import`` with the workbook and the new version number): the
workbook is read (registry/sheets, guarded against hostile files) and published as a dry run; the
confirmation page shows the bump and the changes. Step 2 (the same URL with ``confirm``): the same
files, carried in the confirmation form, are published through the service's publish path. Both
steps check the CSRF token and the session's right to write the municipality's templates.
"""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import Request, Response, post
from litestar.params import FromPath
from litestar.response import Redirect

from registry.errors import Forbidden, UsageError
from registry.layout import EXAMPLES_DIR, SCHEMA_FILE, TEMPLATE_FILE, VersionKey
from registry.sheets.exports import read_form_workbook
from registry.syntax.documents import dumps
from registry.web import pages
from registry.web.pages import PageViewer

MAX_UPLOAD = 5 * 1024 * 1024


def _files(template: dict[str, Any], schema: dict[str, Any], examples: dict[str, Any]) -> dict[str, bytes]:
    files = {TEMPLATE_FILE: dumps(template), SCHEMA_FILE: dumps(schema)}
    for name, value in examples.items():
        files[f"{EXAMPLES_DIR}/{name}"] = dumps(value)
    return files


async def _workbook_version(upload: Any, key: VersionKey) -> dict[str, bytes]:
    data = await upload.read(MAX_UPLOAD + 1) if hasattr(upload, "read") else b""
    if not data:
        raise UsageError("choose a workbook (.xlsx) to upload", detail_ja="取り込む Excel ブック（.xlsx）を選んでください")
    if len(data) > MAX_UPLOAD:
        raise UsageError("the workbook is larger than 5 MB", detail_ja="ブックが 5 MB を超えています")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "form.xlsx"
        path.write_bytes(data)
        template, schema, examples = await to_thread.run_sync(read_form_workbook, path)
    schema["$id"] = key.schema_id
    return _files(template, schema, examples)


@post("/t/{lg:str}/{slug:str}/import")
async def import_workbook(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str],
                          slug: FromPath[str]) -> Response[Any]:
    """Excel から新しい版を作る: dry run and confirmation, then publish."""
    data = await request.form()
    pages._check_csrf(request, data)
    user = pages._require_login(viewer)
    if not (user.admin or user.municipality == lg):
        raise Forbidden(f"{user.name} may not write templates of {lg}",
                        detail_ja=f"{user.name} はこの自治体（{lg}）のテンプレートを書き込めません")
    version = str(data.get("version") or "").strip()
    key = VersionKey.parse(f"{lg}/{slug}@{version}") if version else None
    if key is None:
        raise UsageError("give the new version number (e.g. 1.1.0)", detail_ja="新しい版の番号（例: 1.1.0）を入力してください")
    svc = viewer.service
    if data.get("confirm") == "1":
        payload = json.loads(str(data.get("payload") or "{}"))
        files = {name: text.encode() for name, text in payload.items()}
        await to_thread.run_sync(functools.partial(svc.publish, files, actor=pages._author(user), key=key))
        return Redirect(f"/t/{lg}/{slug}?published={version}", status_code=303)
    files = await _workbook_version(data.get("workbook"), key)
    result = await to_thread.run_sync(functools.partial(svc.publish, files, actor=pages._author(user), key=key,
                                                        dry_run=True))
    ctx = pages._template_context(viewer, lg, slug)
    payload = json.dumps({name: body.decode() for name, body in files.items()}, ensure_ascii=False)
    return pages.render(request, "sheet_import.html", {**ctx, "result": result, "version": version,
                                                       "payload": payload})


HANDLERS: list[Any] = [import_workbook]
