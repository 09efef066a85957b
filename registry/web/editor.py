"""The form editor's pages: edit a template's next version, confirm what it does, publish it.

Routes (all for a signed-in account of the template's municipality, or an admin):

- ``GET  /t/{lg}/{slug}/edit``          the editor (the account's draft, else the latest version)
- ``POST /t/{lg}/{slug}/edit``          save the inputs and do the pressed button's action
- ``GET  /t/{lg}/{slug}/edit/confirm``  the change in words, the next version and why, checks
- ``POST /t/{lg}/{slug}/edit/publish``  publish through ``RegistryService.publish``
- ``GET  /t/{lg}/{slug}/edit/schema``   「詳細（スキーマ）」: the draft's JSON for IT staff
- ``GET|POST /new``                     a new template, from nothing or a starter of shared fields

Every action is a plain form POST answered by a redirect, so the editor works without
JavaScript; ``static/editor.js`` only keeps the scroll position. The form model lives in
``registry.editing.model``; drafts in ``registry.web.drafts``.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from registry.checks.compatibility import BUMP_JA, mode_of
from registry.editing import model as M  # noqa: N812 - the model namespace, read as M.Field
from registry.errors import Forbidden, NotFound, RegistryError, UsageError
from registry.layout import TemplateKey, VersionKey, is_slug
from registry.municipalities import name_of
from registry.service import schema_id_of
from registry.syntax.documents import dumps
from registry.versioning import Version
from registry.web import drafts, forms
from registry.web.pages import (
    BUMP_HELP_JA,
    VERDICT_JA,
    PageViewer,
    Viewer,
    _author,
    _check_csrf,
    _form,
    _require_login,
    render,
)

BUMP_WHY_JA = {
    "major": "これまでに受け付けた申請データの一部が新しい版では無効になる（互換性のない）変更があるため",
    "minor": "これまでのデータはそのまま有効で、受け付けられる内容が増える変更（互換性のある追加）があるため",
    "patch": "受け付けるデータは変わらず、表示（項目名・説明など）だけの変更のため",
}


# -- loading and saving drafts -------------------------------------------------------------
def _account(viewer: Viewer, lg: str) -> str:
    user = _require_login(viewer)
    if not (user.admin or user.municipality == lg):
        raise Forbidden(f"{user.name} may not edit templates of {lg}",
                        detail_ja=f"{name_of(lg)}のテンプレートは{name_of(lg)}のアカウントだけが編集できます")
    return f"{user.municipality}:{user.name}"


def _latest(viewer: Viewer, lg: str, slug: str) -> tuple[str, Any, Any] | None:
    versions = viewer.service.template_versions(TemplateKey(lg, slug))
    if not versions:
        return None
    files = viewer.service.get_version(VersionKey(lg, slug, versions[-1]))
    return versions[-1], files.schema, files.template


def _draft(viewer: Viewer, lg: str, slug: str) -> dict[str, Any]:
    """The account's draft, or a fresh one from the latest published version."""
    account = _account(viewer, lg)
    data_dir = viewer.service.settings.data_dir
    draft = drafts.load(data_dir, account, lg, slug)
    if draft is not None:
        return draft
    try:
        latest = _latest(viewer, lg, slug)
    except NotFound:
        latest = None
    if latest is None:
        raise NotFound(f"template {lg}/{slug} does not exist",
                       detail_ja=f"テンプレート {lg}/{slug} はありません。新しく作るときは「新しいテンプレート」から始めてください")
    version, schema, template = latest
    try:
        model = M.from_documents(schema, template)
    except M.EditError as exc:
        raise UsageError(str(exc), detail_ja=f"{exc}。詳細（スキーマ）を編集して CLI か API で公開してください") from exc
    return {"base": version, "model": model.to_json(), "saved": False}


def _save(viewer: Viewer, lg: str, slug: str, draft: dict[str, Any]) -> None:
    drafts.save(viewer.service.settings.data_dir, _account(viewer, lg), lg, slug, draft)


def _documents(m: M.FormModel, key: VersionKey) -> tuple[dict[str, Any], dict[str, Any]]:
    schema, template = M.to_documents(m)
    schema["$id"] = schema_id_of(key)
    schema.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    schema.setdefault("type", "object")
    return schema, template


# -- reading the posted form ---------------------------------------------------------------
def _text(data: Any, name: str) -> str | None:
    v = data.get(name)
    if v is None:
        return None
    v = str(v).strip()
    return v or None


def _number(data: Any, name: str, integer: bool, errors: dict[str, str], label: str) -> Any:
    raw = _text(data, name)
    if raw is None:
        return None
    try:
        n = float(raw.replace(",", ""))
    except ValueError:
        errors[name] = f"{label}は数字で入力してください（入力値: {raw}）"
        return None
    if integer or n.is_integer():
        if not n.is_integer():
            errors[name] = f"{label}は整数で入力してください（入力値: {raw}）"
            return None
        return int(n)
    return n


def _update(m: M.FormModel, data: Any) -> dict[str, str]:
    """Copy the posted inputs into the model; locked fields keep how they validate."""
    errors: dict[str, str] = {}
    if "meta.title" in data:
        m.title = _text(data, "meta.title") or m.title
        m.description = _text(data, "meta.description")
        m.category = _text(data, "meta.category") or m.category
        m.tags = [t for t in re.split(r"[、,\s]+", str(data.get("meta.tags") or "")) if t]
        m.department = _text(data, "meta.department")
        m.contact = _text(data, "meta.contact")
    for i, f in enumerate(m.fields):
        p = f"f{i}."
        if data.get(p + "key") != f.key:
            continue   # the page was older than the draft; keep the draft's field
        f.title = _text(data, p + "title") or f.title
        f.description = _text(data, p + "description")
        if f.kind not in ("other",):
            f.placeholder = _text(data, p + "placeholder") if f.kind in (
                "text", "textarea", "number", "date", "shared") else f.placeholder
            personal = data.get(p + "personal") == "on"
            f.personal = True if personal else (False if f.personal is not None else None)
        for j, c in enumerate(f.choices):
            label = _text(data, f"{p}c{j}")
            if label:
                c.label = label
        if f.locked:
            continue
        f.required = data.get(p + "required") == "on"
        label = f.title or f.key
        if f.kind in ("text", "textarea"):
            f.min_length = _number(data, p + "min_length", True, errors, f"{label}の最小文字数")
            f.max_length = _number(data, p + "max_length", True, errors, f"{label}の最大文字数")
        elif f.kind == "number":
            integer = f.extra.get("type") == "integer"
            f.minimum = _number(data, p + "minimum", integer, errors, f"{label}の最小値")
            f.maximum = _number(data, p + "maximum", integer, errors, f"{label}の最大値")
    return errors


def _act(m: M.FormModel, action: str, data: Any) -> str | None:
    """Do the pressed button's action; returns the anchor to show afterwards."""
    verb, _, arg = action.partition(":")
    if verb == "add-shared":
        f = M.shared_field(m, arg)
        m.fields.append(f)
        return f"field-{f.key}"
    if verb == "add-basic":
        f = M.basic_field(m, str(data.get("new_kind") or ""), str(data.get("new_title") or ""))
        m.fields.append(f)
        return f"field-{f.key}"
    if verb == "remove":
        M.remove_field(m, arg)
        return "fields"
    if verb in ("up", "down"):
        M.move_field(m, arg, -1 if verb == "up" else 1)
        return f"field-{arg}"
    if verb == "add-choice":
        f = m.field_by_key(arg)
        if f.locked:
            raise M.EditError(f"「{f.title}」はフォーク元が固定している項目のため選択肢を変えられません")
        i = m.fields.index(f)
        label = _text(data, f"f{i}.new_choice")
        if not label:
            raise M.EditError(f"「{f.title}」に加える選択肢の表示名を入力してください")
        f.choices.append(M.Choice(M.new_choice_value(f, label), label, explicit=True))
        return f"field-{arg}"
    if verb in ("remove-choice", "choice-up", "choice-down"):
        key, _, idx = arg.rpartition(":")
        f = m.field_by_key(key)
        if verb == "remove-choice":
            M.remove_choice(m, key, int(idx))
        else:
            i = int(idx)
            j = i - 1 if verb == "choice-up" else i + 1
            if 0 <= i < len(f.choices) and 0 <= j < len(f.choices):
                f.choices[i], f.choices[j] = f.choices[j], f.choices[i]
        return f"field-{key}"
    if verb == "add-condition":
        src, _, idx = str(data.get("cond_when") or "").rpartition(":")
        target = str(data.get("cond_then") or "")
        if not src or not target:
            raise M.EditError("条件の「とき」と「表示して必須にする項目」を選んでください")
        M.add_condition(m, src, int(idx), target)
        return "conditions"
    if verb == "remove-condition":
        i = int(arg)
        if 0 <= i < len(m.conditions):
            m.conditions.pop(i)
        return "conditions"
    if verb in ("save", "confirm", ""):
        return None
    raise M.EditError(f"不明な操作です（{action}）")


# -- pages -------------------------------------------------------------------------------
def _editor_context(viewer: Viewer, lg: str, slug: str, draft: dict[str, Any],
                    errors: dict[str, str] | None = None, problem: str | None = None) -> dict[str, Any]:
    m = M.FormModel.from_json(draft["model"])
    base = draft.get("base")
    key = VersionKey(lg, slug, base or "1.0.0")
    schema, _ = _documents(m, key)
    try:
        preview = forms.widgets(schema, viewer.service.schemas())
        preview_error = None
    except RegistryError as exc:
        preview, preview_error = [], exc.detail_ja
    choice_fields = [f for f in m.fields if f.kind == "choice"]
    return {"lg": lg, "slug": slug, "town": name_of(lg), "m": m, "base": base,
            "is_new": draft.get("new", False), "shared": M.SHARED, "kinds": M.BASIC_KINDS,
            "kind_ja": M.KIND_JA, "conditions": [(i, M.condition_ja(m, c)) for i, c in enumerate(m.conditions)],
            "choice_fields": choice_fields, "preview": preview, "preview_error": preview_error,
            "errors": errors or {}, "problem": problem, "categories": categories(), "saved": draft.get("saved", False)}


@get("/t/{lg:str}/{slug:str}/edit", sync_to_thread=True)
def edit_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Template:
    """編集: the draft of the next version as a form of forms."""
    draft = _draft(viewer, lg, slug)
    return render(request, "editor.html", {**_editor_context(viewer, lg, slug, draft),
                                           "request_saved": request.query_params.get("saved") == "1"})


@post("/t/{lg:str}/{slug:str}/edit")
async def edit_post(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Response[Any]:
    """Save the posted inputs into the draft and do the pressed button's action."""
    data = await _form(request)
    _check_csrf(request, data)
    draft = await to_thread.run_sync(_draft, viewer, lg, slug)
    action = str(data.get("action") or "save")
    if action == "discard":
        await to_thread.run_sync(drafts.discard, viewer.service.settings.data_dir,
                                 _account(viewer, lg), lg, slug)
        if draft.get("new"):
            return Redirect("/new", status_code=303)
        return Redirect(f"/t/{lg}/{slug}/edit", status_code=303)
    m = M.FormModel.from_json(draft["model"])
    errors = _update(m, data)
    problem = None
    anchor = None
    try:
        anchor = _act(m, action, data)
    except (M.EditError, ValueError) as exc:
        problem = str(exc) if isinstance(exc, M.EditError) else "操作を受け付けられませんでした"
    draft["model"] = m.to_json()
    draft["saved"] = True
    await to_thread.run_sync(_save, viewer, lg, slug, draft)
    if errors or problem:
        ctx = await to_thread.run_sync(_editor_context, viewer, lg, slug, draft, errors, problem)
        return render(request, "editor.html", ctx, status=422)
    if action == "confirm":
        return Redirect(f"/t/{lg}/{slug}/edit/confirm", status_code=303)
    return Redirect(f"/t/{lg}/{slug}/edit?saved=1" + (f"#{anchor}" if anchor else ""), status_code=303)


def _plan(viewer: Viewer, lg: str, slug: str, draft: dict[str, Any], changelog: str | None = None) -> dict[str, Any]:
    """What publishing the draft would do: version and why, changes in words, checks, forks."""
    from registry.diff import diff, required_bump

    svc = viewer.service
    user = _require_login(viewer)
    m = M.FormModel.from_json(draft["model"])
    base: str | None = draft.get("base")
    schemas = svc.schemas()
    old_schema = old_template = None
    if base:
        old = svc.get_version(VersionKey(lg, slug, base))
        old_schema, old_template = old.schema, old.template
    mode = mode_of(old_template if isinstance(old_template, dict) else {})
    changes: list[Any] = []
    bump = "major"
    if old_schema is not None and base:
        probe_schema, _ = _documents(m, VersionKey(lg, slug, base))
        try:
            d = diff(old_schema, probe_schema, mode=mode, old_schemas=schemas, new_schemas=schemas)
            changes = [c for c in d.changes if not c.pointer.endswith("/$id")]
            bump = required_bump(d, mode)
        except RegistryError:
            bump = "major"
        if bump == "none":
            bump = "patch"
        version = str(Version.parse(base).bumped(bump))  # type: ignore[arg-type]
    else:
        version = "1.0.0"
    key = VersionKey(lg, slug, version)
    schema, template = _documents(m, key)
    template["changelog"] = changelog or _changelog(changes, base)
    files = _files(viewer, lg, slug, base, schema, template)
    issues: list[Any] = []
    warnings: list[Any] = []
    refused = None
    try:
        result = svc.publish(files, actor=_author(user), key=key, dry_run=True)
        warnings = result.warnings
    except RegistryError as exc:
        refused = exc.detail_ja
        issues = exc.issues
    latest = svc.template_versions(TemplateKey(lg, slug))[-1] if base else None
    if base and latest != base:
        refused = (f"この下書きは {base} をもとにしていますが、その後 {latest} が公開されました。"
                   "「下書きを破棄して公開中の版に戻す」で最新の版から編集し直してください")
        issues = []
    forks = svc.forks_of(TemplateKey(lg, slug)) if base else []
    return {"version": version, "base": base, "bump": bump if base else None,
            "bump_ja": BUMP_JA.get(bump, bump), "bump_help": BUMP_HELP_JA.get(bump, ""),
            "why": BUMP_WHY_JA.get(bump, "") if base else "最初の版です",
            "changes": changes, "mode": mode, "issues": issues, "warnings": warnings,
            "refused": refused, "forks": forks, "files": files, "key": key,
            "template_doc": template, "schema_doc": schema}


def _changelog(changes: list[Any], base: str | None) -> str:
    if base is None:
        return "エディターで作成した最初の版。"
    words = [(c.message_ja or c.message).split("。")[0] for c in changes][:10]
    text = "、".join(words) if words else "表示の変更"
    return f"エディターで {base} から変更: {text}"[:2000]


def _files(viewer: Viewer, lg: str, slug: str, base: str | None, schema: Any, template: Any) -> dict[str, bytes]:
    """The version's files: schema, template and the base's examples that still behave as filed."""
    from registry.submissions.validator import compile_form

    out = {"schema.json": dumps(schema), "template.json": dumps(template)}
    if base is None:
        return out
    old = viewer.service.get_version(VersionKey(lg, slug, base)).files
    try:
        form = compile_form(schema, viewer.service.schemas())
    except RegistryError:
        return out
    for path, data in old.items():
        if not path.startswith("examples/"):
            continue
        try:
            value = json.loads(data)
        except ValueError:
            continue
        should_pass = path.split("/")[1] == "valid"
        if (not form.check(value)) == should_pass:
            out[path] = data
    return out


@get("/t/{lg:str}/{slug:str}/edit/confirm", sync_to_thread=True)
def confirm_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Template:
    """確認: the change in words, the next version and why, the checks, forks that will see it."""
    draft = _draft(viewer, lg, slug)
    plan = _plan(viewer, lg, slug, draft)
    m = M.FormModel.from_json(draft["model"])
    return render(request, "editor_confirm.html", {
        "lg": lg, "slug": slug, "town": name_of(lg), "m": m, "plan": plan,
        "verdict_ja": VERDICT_JA, "is_new": draft.get("new", False)})


@post("/t/{lg:str}/{slug:str}/edit/publish")
async def publish_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Response[Any]:
    """公開: the same service path as the API (validation, locked fields, mode, audit, author)."""
    data = await _form(request)
    _check_csrf(request, data)
    user = _require_login(viewer)
    draft = await to_thread.run_sync(_draft, viewer, lg, slug)
    plan = await to_thread.run_sync(_plan, viewer, lg, slug, draft, _text(data, "changelog"))
    if plan["version"] != data.get("version"):
        raise UsageError("the draft changed since the confirmation; confirm again",
                         detail_ja="確認の後で下書きが変わりました。もう一度「変更内容を確認」してください")
    result = await to_thread.run_sync(functools.partial(
        viewer.service.publish, plan["files"], actor=_author(user), key=plan["key"]))
    await to_thread.run_sync(drafts.discard, viewer.service.settings.data_dir,
                             _account(viewer, lg), lg, slug)
    return Redirect(f"/t/{lg}/{slug}?published={result.version}", status_code=303)


@get("/t/{lg:str}/{slug:str}/edit/schema", sync_to_thread=True)
def schema_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Template:
    """詳細（スキーマ）: the draft's schema.json and template.json for IT staff."""
    draft = _draft(viewer, lg, slug)
    m = M.FormModel.from_json(draft["model"])
    schema, template = _documents(m, VersionKey(lg, slug, draft.get("base") or "1.0.0"))
    return render(request, "editor_schema.html", {
        "lg": lg, "slug": slug, "m": m,
        "schema_json": json.dumps(schema, ensure_ascii=False, indent=2),
        "template_json": json.dumps(template, ensure_ascii=False, indent=2)})


# -- a new template --------------------------------------------------------------------------
STARTERS = {"blank": ("何もない状態から", []),
            "applicant": ("申請者の基本項目（氏名・フリガナ・住所・電話番号・メール）",
                          ["person-name.json", "furigana.json", "address.json", "phone.json", "email.json"]),
            "child": ("子どもに関する届出（児童・生徒・保護者氏名・電話番号）",
                      ["student.json", "person-name.json", "phone.json"])}


@functools.cache
def categories() -> list[str]:
    """The categories template.json allows (schemas/template.schema.json)."""
    from registry.resources import schemas_dir

    doc = json.loads((schemas_dir() / "template.schema.json").read_text("utf-8"))
    values = doc.get("properties", {}).get("category", {}).get("enum", [])
    return [v for v in values if isinstance(v, str)]


@get("/new", sync_to_thread=True)
def new_page(request: Request[Any, Any, Any], viewer: PageViewer) -> Response[Any]:
    """新しいテンプレート: title, name and a starter."""
    if viewer.user is None:
        return Redirect("/login", status_code=303)
    return render(request, "editor_new.html", {"starters": STARTERS, "errors": {}, "values": {},
                                               "categories": categories()})


@post("/new")
async def new_post(request: Request[Any, Any, Any], viewer: PageViewer) -> Response[Any]:
    """Start a draft of a template that has no version yet, then open it in the editor."""
    data = await _form(request)
    _check_csrf(request, data)
    user = _require_login(viewer)
    if not user.municipality:
        raise UsageError("an admin account has no municipality", detail_ja="管理者アカウントには自治体がありません")
    lg = user.municipality
    title = _text(data, "title") or ""
    slug = (_text(data, "slug") or "").lower()
    category = _text(data, "category") or ""
    starter = str(data.get("starter") or "blank")
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "様式の名前を入力してください"
    if not is_slug(slug):
        errors["slug"] = "アドレスに使う名前は英小文字・数字・ハイフンで入力してください（例: dog-registration）"
    if category not in categories():
        errors["category"] = "分類を選んでください"
    if starter not in STARTERS:
        errors["starter"] = "始め方を選んでください"
    if not errors and await to_thread.run_sync(_exists, viewer, lg, slug):
        errors["slug"] = f"{slug} はもう使われています。別の名前にしてください"
    if errors:
        return render(request, "editor_new.html", {"starters": STARTERS, "errors": errors,
                                                   "values": dict(data), "categories": categories()},
                      status=422)
    m = M.FormModel(title=title, category=category, had_required=True, had_all_of=False,
                    root_extra={"$schema": "https://json-schema.org/draft/2020-12/schema",
                                "type": "object", "additionalProperties": False},
                    template_extra={"license": "CC-BY-4.0", "compatibility": "BACKWARD"})
    for file in STARTERS[starter][1]:
        m.fields.append(M.shared_field(m, file))
    draft = {"base": None, "new": True, "model": m.to_json(), "saved": True}
    await to_thread.run_sync(_save, viewer, lg, slug, draft)
    return Redirect(f"/t/{lg}/{slug}/edit", status_code=303)


def _exists(viewer: Viewer, lg: str, slug: str) -> bool:
    try:
        return bool(viewer.service.template_versions(TemplateKey(lg, slug)))
    except NotFound:
        return False


route_handlers: list[Any] = [edit_page, edit_post, confirm_page, publish_page, schema_page,
                             new_page, new_post]
