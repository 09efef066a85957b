"""HTML pages for municipal staff: search, municipality, template, preview, print, diff, login.

Thin controllers over ``RegistryService`` rendering Jinja templates from ``templates/``. Every
page works without JavaScript; POST forms carry a CSRF token (``registry.web.session``). Errors
of the service (not found, forbidden, conflicts) render as Japanese HTML pages here rather than
problem+json, through the router's own exception handlers.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import urlencode

from anyio import to_thread
from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router

from registry.checks.compatibility import BUMP_JA
from registry.config import Settings
from registry.errors import Conflict, RegistryError, Unauthenticated, UsageError
from registry.layout import TemplateKey, VersionKey
from registry.municipalities import all_municipalities, name_of
from registry.service import RegistryService
from registry.web import forms, i18n, lineage_pages, session
from registry.web.deps import Config, Service
from registry.web.limits import template_key
from registry.web.problems import status_for
from registry.web.security import CROSS_SITE

STATIC_DIR = Path(__file__).resolve().parent / "static"
_KEYS: dict[str, bytes] = {}

VERDICT_JA = {
    "backward": {
        "compatible": "これまでに受け付けた申請データは新しい版でも有効です",
        "breaking": "これまでに受け付けた申請データの一部は新しい版では無効になります",
        "unknown": "これまでに受け付けた申請データが新しい版でも有効かは自動では判定できません",
    },
    "forward": {
        "compatible": "新しい版で受け付ける申請データは古い版でも有効です",
        "breaking": "新しい版で受け付ける申請データの一部は古い版では無効です",
        "unknown": "新しい版の申請データが古い版でも有効かは自動では判定できません",
    },
}
BUMP_HELP_JA = {"none": f"{BUMP_JA['none']}（版を上げる必要はありません）",
                "patch": f"{BUMP_JA['patch']}（例: 1.0.0 → 1.0.1）",
                "minor": f"{BUMP_JA['minor']}（例: 1.0.0 → 1.1.0）",
                "major": f"{BUMP_JA['major']}（例: 1.0.0 → 2.0.0）"}
EVENT_JA = {"published": "公開", "publish": "公開", "fork": "フォーク", "forked": "フォーク",
            "pull": "取り込み", "pulled": "取り込み", "imported": "登録", "import": "登録",
            "deprecated": "非推奨", "deprecate": "非推奨"}


# -- plumbing -------------------------------------------------------------------------------
def _key(settings: Settings) -> bytes:
    data_dir = str(settings.data_dir)
    if data_dir not in _KEYS:
        _KEYS[data_dir] = session.secret_key(Path(data_dir))
    return _KEYS[data_dir]


class Viewer:
    """A page request's use-cases and who is looking (the ``viewer`` dependency of every page)."""

    def __init__(self, request: Request[Any, Any, Any], service: RegistryService, settings: Settings) -> None:
        self.request = request
        self.service = service
        self.settings = settings
        self.key = _key(settings)
        self._user: session.Session | None = None
        self._looked = False

    @property
    def user(self) -> session.Session | None:
        """The request's session (looked up once), or None."""
        if not self._looked:
            self._user, self._looked = session.current(self.request, self.service, self.key), True
        return self._user


PageViewer: TypeAlias = NamedDependency[Viewer]
"""``viewer: PageViewer`` — every page handler's use-cases and session."""


def provide_viewer(request: Request[Any, Any, Any], service: Service, settings: Config) -> Viewer:
    """The page's ``viewer``: the injected service and settings; kept for the page's chrome."""
    viewer = Viewer(request, service, settings)
    request.state["viewer"] = viewer
    return viewer


def _session(request: Request[Any, Any, Any]) -> session.Session | None:
    viewer = request.state.get("viewer")
    return viewer.user if isinstance(viewer, Viewer) else None


def render(request: Request[Any, Any, Any], name: str, context: dict[str, Any], *,
           status: int = 200, cookies: list[Cookie] | None = None) -> Template:
    """A page with the chrome's context: language, session, CSRF token, translator."""
    lang = i18n.lang_of(request.query_params, request.cookies)
    viewer = request.state.get("viewer")
    # An error raised before the page's dependencies (a guard's 403/404) renders without a
    # session: no form on it needs a CSRF token.
    token, csrf_cookie = (session.csrf_token(request, viewer.key) if isinstance(viewer, Viewer)
                          else ("", None))
    jar = list(cookies or [])
    if csrf_cookie is not None:
        jar.append(csrf_cookie)
    if request.query_params.get("lang") in i18n.LANGS:
        jar.append(Cookie(key=i18n.LANG_COOKIE, value=lang, samesite="lax", path="/",
                          max_age=365 * 86400))
    other = "ja" if lang == "en" else "en"
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    lang_url = request.url.path + "?" + urlencode([*query, ("lang", other)])
    ctx = {"lang": lang, "other_lang": other, "lang_url": lang_url,
           "t": i18n.translator(lang), "user": _session(request),
           "csrf": token, "csrf_field": session.CSRF_FIELD, "path": request.url.path,
           "name_of": name_of,
           # A read replica (registry/replica.py): sign-in and every write form are on the primary.
           "primary_url": (viewer.settings.primary_url if isinstance(viewer, Viewer)
                           else None), **context}
    return Template(template_name=name, context=ctx, status_code=status, cookies=jar,
                    media_type="text/html")


async def _form(request: Request[Any, Any, Any]) -> Any:
    return await request.form()


def _check_csrf(request: Request[Any, Any, Any], data: Any) -> None:
    viewer = request.state.get("viewer")
    if not (isinstance(viewer, Viewer) and session.csrf_ok(request, viewer.key, data.get(session.CSRF_FIELD))):
        raise HTTPException(status_code=403, detail="CSRF")


def _require_login(viewer: Viewer) -> session.Session:
    user = viewer.user
    if user is None:
        raise Unauthenticated("log in first", detail_ja="ログインしてください")
    return user


def _author(user: session.Session) -> Any:
    from registry.readmodels import TokenInfo
    from registry.web.auth import author_of

    return author_of(TokenInfo(municipality=user.municipality, name=user.name, admin=user.admin))


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A RegistryError or HTTP error as a Japanese HTML page."""
    if isinstance(exc, RegistryError):
        status, title, detail = status_for(exc), exc.title, exc.detail_ja
        issues = exc.issues
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        title = {404: "ページが見つかりません / Not found",
                 403: "操作を受け付けられませんでした / Forbidden"}.get(status, "エラー / Error")
        detail = ("フォームの有効期限が切れたか、不正な送信です。ページを開き直してもう一度お試しください。"
                  if exc.detail == "CSRF" else
                  "別のサイトから送られたフォームは受け付けません。このサイトのページから操作してください。"
                  " / A form sent from another site is refused." if exc.detail == CROSS_SITE else
                  "お探しのページは見つかりませんでした。アドレスをご確認ください。" if status == 404 else
                  str(exc.detail))
        issues = []
    else:
        raise exc
    return render(request, "error.html", {"title": title, "detail": detail, "issues": issues,
                                          "status": status}, status=status)


# -- search and municipality ----------------------------------------------------------------
@get("/", sync_to_thread=True)
def home(request: Request[Any, Any, Any], viewer: PageViewer) -> Template:
    """トップ / 検索: search box, filters, recent and most-forked templates."""
    svc = viewer.service
    q = (request.query_params.get("q") or "").strip() or None
    category = request.query_params.get("category") or None
    municipality = request.query_params.get("municipality") or None
    prefecture = request.query_params.get("prefecture") or None
    everything, _ = svc.search(limit=100)
    categories = sorted({s.category for s in everything})
    towns = sorted({(s.lg, s.municipality_name or name_of(s.lg)) for s in everything})
    prefs = sorted({m.prefecture for m in all_municipalities() if m.code in {lg for lg, _ in towns}})
    searched = any((q, category, municipality, prefecture))
    results = svc.search(q, municipality=municipality, category=category,
                         prefecture=prefecture, limit=50)[0] if searched else []
    recent = sorted(everything, key=lambda s: s.updated_at, reverse=True)[:6]
    forked = [s for s in sorted(everything, key=lambda s: (-s.fork_count, s.title)) if s.fork_count][:6]
    return render(request, "home.html", {
        "q": q or "", "category": category or "", "municipality": municipality or "",
        "prefecture": prefecture or "", "categories": categories, "towns": towns, "prefs": prefs,
        "searched": searched, "results": results, "recent": recent, "forked": forked})


@get("/p/{code:str}", sync_to_thread=True)
def prefecture_page(request: Request[Any, Any, Any], viewer: PageViewer, code: FromPath[str]) -> Template:
    """都道府県ページ: adoption and divergence across the prefecture's municipalities."""
    template = request.query_params.get("template") or None
    page = request.query_params.get("page") or "1"
    return render(request, "prefecture.html", lineage_pages.prefecture_context(
        viewer.service, code, template, int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1))


@get("/m/{lg:str}", sync_to_thread=True)
def municipality_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str]) -> Template:
    """自治体ページ: its templates, its forks of others', others' forks of its own."""
    from registry.municipalities import check_code

    town = check_code(lg)
    svc = viewer.service
    own, _ = svc.search(municipality=lg, limit=100)
    originals = [s for s in own if not s.upstream_template]
    forks_of_others = [s for s in own if s.upstream_template]
    forked_by_others = lineage_pages.used_by_others(svc, lg, own)  # forks of forks included
    return render(request, "municipality.html", {
        "town": town, "originals": originals, "forks_of_others": forks_of_others,
        "forked_by_others": forked_by_others})


# -- template --------------------------------------------------------------------------------
def _template_context(viewer: Viewer, lg: str, slug: str) -> dict[str, Any]:
    svc = viewer.service
    key = TemplateKey(lg, slug)
    history = svc.history(key)
    latest = history[-1].version
    files = svc.get_version(VersionKey(lg, slug, latest))
    lineage = svc.lineage(key)
    summary = svc.summary(key)
    fields = forms.widgets(files.schema, svc.schemas())
    user = viewer.user
    upstream = files.template.get("upstream") if isinstance(files.template, dict) else None
    behind = svc.behind(key) if upstream else 0  # public: every city sees who is behind
    up_summary = _upstream_summary(svc, upstream)
    mine = [f for f in svc.forks_of(key) if user and f.lg == user.municipality] if user and user.municipality != lg else []
    notice = _notice(viewer.request.query_params)
    return {"lg": lg, "slug": slug, "town": name_of(lg), "history": list(reversed(history)),
            "can_edit": bool(user and (user.admin or user.municipality == lg)),
            "own_fork": mine[0] if mine else None, "notice": notice, "up_summary": up_summary,
            "latest": latest, "template": files.template, "schema": files.schema,
            "lineage": lineage, "summary": summary, "fields": fields, "upstream": upstream,
            "behind": behind, "can_fork": bool(user and user.municipality and user.municipality != lg and not mine),
            "can_pull": bool(upstream and behind and user and (user.admin or user.municipality == lg)),
            "event_ja": EVENT_JA, "detached": svc.detachments(key),
            "detached_forks": svc.detached_forks(key), **lineage_pages.template_users_context(svc, key)}


def _upstream_summary(svc: RegistryService, upstream: Any) -> Any:
    """The upstream template's summary (its city and title), or None."""
    if not isinstance(upstream, dict) or not isinstance(upstream.get("template"), str):
        return None
    try:
        return svc.summary(TemplateKey.parse(upstream["template"]))
    except RegistryError:
        return None


def _notice(query: Any) -> str | None:
    """The confirmation after an action (?forked=1, ?pulled=1, ?uptodate=1, ?published=1.2.0)."""
    if query.get("forked"):
        return "フォークしました。このテンプレートはあなたの自治体のものです。「編集」で自分の自治体に合わせて変えられます。"
    if query.get("pulled"):
        return "フォーク元の更新を取り込み、新しい版を公開しました。"
    if query.get("uptodate"):
        return "フォーク元の最新の版をすでに取り込んでいます。取り込む更新はありません。"
    published = query.get("published")
    if published and re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", published):
        return f"{published} を公開しました。"
    return None


@get("/t/{lg:str}/{slug:str}", sync_to_thread=True)
def template_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Template:
    """テンプレートページ: metadata, versions, lineage, fields, fork and pull buttons."""
    return render(request, "template.html", _template_context(viewer, lg, slug))


@post("/t/{lg:str}/{slug:str}/fork")
async def fork_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Response[Any]:
    """このテンプレートを使う: fork the latest version into the session's municipality."""
    data = await _form(request)
    _check_csrf(request, data)
    user = _require_login(viewer)
    if not user.municipality:
        raise UsageError("an admin token has no municipality to fork into",
                         detail_ja="管理者トークンにはフォーク先の自治体がありません")
    target = (data.get("slug") or "").strip() or None
    if target is not None:
        template_key(user.municipality, target)  # "Evil Slug" → a 400 page saying what a slug is
    result = await to_thread.run_sync(functools.partial(
        viewer.service.fork, TemplateKey(lg, slug), to_lg=user.municipality, to_slug=target,
        actor=_author(user)))
    new = VersionKey.parse(f"{result.template}@{result.version}")
    return Redirect(f"/t/{new.lg}/{new.slug}?forked=1", status_code=303)


@post("/t/{lg:str}/{slug:str}/pull")
async def pull_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Response[Any]:
    """更新を取り込む: merge upstream; conflicts shown by field to resolve ours/theirs."""
    data = await _form(request)
    _check_csrf(request, data)
    user = _require_login(viewer)
    resolutions: dict[str, Any] = {k[2:]: v for k, v in data.items()
                                   if k.startswith("r:") and v in ("ours", "theirs")}
    resolutions.update(_typed_resolutions(data))
    try:
        result = await to_thread.run_sync(functools.partial(
            viewer.service.pull, TemplateKey(lg, slug), actor=_author(user),
            resolutions=resolutions or None))
    except Conflict as exc:
        if "conflicts" not in exc.extra:
            raise
        ctx = _template_context(viewer, lg, slug)
        titles = {w.pointer: w.title for top in ctx["fields"] for w in top.walk()}
        conflicts = []
        for c in exc.extra["conflicts"]:
            field = c["pointer"].replace("/properties/", "/")
            conflicts.append({**c, "key": f"{c['file']}#{c['pointer']}",
                              "title": _title_for(titles, field, c["pointer"]),
                              "show": {side: _in_words(c[side]) if side in c else "（なし）"
                                       for side in ("base", "ours", "theirs")},
                              "typed": isinstance(c.get("ours", c.get("theirs")), str)})
        return render(request, "pull.html", {**ctx, "conflicts": conflicts, "info": exc.extra},
                      status=409)
    if result.up_to_date:
        return Redirect(f"/t/{lg}/{slug}?uptodate=1", status_code=303)
    return Redirect(f"/t/{lg}/{slug}?pulled=1", status_code=303)


def _typed_resolutions(data: Any) -> dict[str, Any]:
    """「別の値にする」: ``r:<key>=other`` with the typed text in ``v:<key>`` (a string value)."""
    from registry.merge import Value

    out: dict[str, Any] = {}
    for k, v in data.items():
        if k.startswith("r:") and v == "other":
            typed = str(data.get("v:" + k[2:]) or "").strip()
            if not typed:
                raise UsageError("type the value to use", detail_ja="「別の値にする」を選んだ項目に、使う値を入力してください")
            out[k[2:]] = Value(typed)
    return out


def _in_words(value: Any) -> str:
    """A conflicting value as staff read it: text as is, lists joined, yes/no, else JSON."""
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "はい" if value else "いいえ"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return "、".join(str(v) for v in value) or "（なし）"
    if isinstance(value, dict) and isinstance(value.get("title"), str):
        return f"項目「{value['title']}」"
    return _pretty(value)


def _filled(titles: dict[str, str], value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A witness as a filled form: (field title, value in words) rows."""
    if not isinstance(value, dict):
        return [("（値）", _in_words(value))]
    rows: list[tuple[str, str]] = []
    for k, v in value.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += _filled(titles, v, name + ".")
        else:
            rows.append((titles.get(name) or str(k), _in_words(v)))
    return rows


def _title_for(titles: dict[str, str], field: str, pointer: str) -> str:
    while field:
        if field in titles:
            return titles[field]
        field = field.rsplit("/", 1)[0]
    return pointer or "（全体）"


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


# -- preview and print -----------------------------------------------------------------------
def _form_parts(viewer: Viewer, lg: str, slug: str, version: str) -> tuple[Any, Any, list[forms.Widget]]:
    svc = viewer.service
    files = svc.get_version(VersionKey(lg, slug, version))
    schemas = svc.schemas()
    return files, schemas, forms.widgets(files.schema, schemas)


@get("/t/{lg:str}/{slug:str}/{version:str}/preview", sync_to_thread=True)
def preview_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str], version: FromPath[str]) -> Template:
    """フォームのプレビュー: the form as a resident sees it."""
    files, _, fields = _form_parts(viewer, lg, slug, version)
    return render(request, "preview.html", {
        "lg": lg, "slug": slug, "version": version, "town": name_of(lg), "files": files,
        "fields": fields, "values": {}, "errors": {}, "checked": False, "general": [],
        "current": _current(viewer, lg, slug),
        **_counter_context(fields, request.query_params.get("counter") == "1")})


def _counter_context(fields: list[forms.Widget], counter: bool) -> dict[str, Any]:
    """窓口入力 (counter entry) shows the staff-only fields the resident's form leaves out."""
    return {"counter": counter,
            "has_staff_only": any(w.staff_only for top in fields for w in top.walk())}


@post("/t/{lg:str}/{slug:str}/{version:str}/preview")
async def preview_check(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str], version: FromPath[str]) -> Template:
    """The preview submitted: validated like check-data, messages beside fields, nothing stored."""
    from registry.submissions.validator import compile_form

    data = await _form(request)
    _check_csrf(request, data)
    files, schemas, fields = await to_thread.run_sync(_form_parts, viewer, lg, slug, version)
    counter = data.get("counter") == "1"
    value = forms.form_value(fields, data, counter=counter)
    issues = await to_thread.run_sync(compile_form(files.schema, schemas).check, value)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    for issue in issues:
        name = forms.name_of_pointer(fields, issue.pointer)
        if name is None:
            general.append(issue.message_ja)
        else:
            errors.setdefault(name, []).append(issue.message_ja)
    return render(request, "preview.html", {
        "lg": lg, "slug": slug, "version": version, "town": name_of(lg), "files": files,
        "fields": fields, "values": forms.entered(fields, data), "errors": errors,
        "checked": True, "general": general, "current": _current(viewer, lg, slug),
        "summary": _error_links(fields, errors), **_counter_context(fields, counter)},
        status=200 if not issues else 422)


@get("/t/{lg:str}/{slug:str}/{version:str}/print", sync_to_thread=True)
def print_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str], version: FromPath[str]) -> Template:
    """印刷用: the same form as an A4 paper form (and its PDF), blank or filled (``?data=``)."""
    from registry.paper import html as paper_html
    from registry.web import paper

    files = viewer.service.get_version(VersionKey(lg, slug, version))
    data = paper.query_data(request)
    sheet = paper.sheet_for(viewer.service, VersionKey(lg, slug, version), data)
    pdf_url = f"/t/{lg}/{slug}/{version}/print.pdf" + (
        "?" + urlencode({"data": request.query_params["data"]}) if data is not None else "")
    return render(request, "print.html", {
        "lg": lg, "slug": slug, "version": version, "town": name_of(lg), "files": files,
        "sheet_html": paper_html.body([sheet]), "paper_css": paper_html.css(),
        "footer_css": paper_html.footer_css(sheet), "pdf_url": pdf_url,
        "current": _current(viewer, lg, slug)})


def _current(viewer: Viewer, lg: str, slug: str) -> str:
    """The template's newest version (an older version's pages say which one is current)."""
    return viewer.service.template_versions(TemplateKey(lg, slug))[-1]


def _error_links(fields: list[forms.Widget], errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The error summary: (input id, message) for each failing input, in the form's order."""
    out: list[tuple[str, str]] = []
    for top in fields:
        for w in top.walk():
            for message in errors.get(w.name, []):
                leaf = next((c for c in w.walk() if c.kind != "fieldset"), w)
                target = f"{leaf.id}-1" if leaf.kind in ("radio", "checkboxes") else leaf.id
                out.append((target, f"{w.title}: {message}"))
    return out


# -- diff ------------------------------------------------------------------------------------
def pretty_lines(value: Any, pointer: str = "", indent: int = 0, key: str | None = None,
                 last: bool = True) -> list[tuple[str, str]]:
    """``json.dumps(value, indent=2)``'s lines, each with the JSON pointer it shows."""
    pad = "  " * indent
    head = pad + (json.dumps(key, ensure_ascii=False) + ": " if key is not None else "")
    comma = "" if last else ","
    if isinstance(value, dict) and value:
        out = [(head + "{", pointer)]
        items = list(value.items())
        for i, (k, v) in enumerate(items):
            esc = str(k).replace("~", "~0").replace("/", "~1")
            out += pretty_lines(v, f"{pointer}/{esc}", indent + 1, str(k), i == len(items) - 1)
        return [*out, (pad + "}" + comma, pointer)]
    if isinstance(value, list) and value:
        out = [(head + "[", pointer)]
        for i, v in enumerate(value):
            out += pretty_lines(v, f"{pointer}/{i}", indent + 1, None, i == len(value) - 1)
        return [*out, (pad + "]" + comma, pointer)]
    return [(head + json.dumps(value, ensure_ascii=False) + comma, pointer)]


def side_by_side(old: Any, new: Any, pointers: set[str]) -> list[dict[str, Any]]:
    """Rows of the two pretty-printed schemas aligned by difflib, changed lines marked."""
    left, right = pretty_lines(old), pretty_lines(new)

    def hit(ptr: str) -> bool:
        return any(ptr == p or ptr.startswith(p + "/") for p in pointers if p)

    rows: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=[t for t, _ in left], b=[t for t, _ in right], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            a = left[i1 + k] if i1 + k < i2 else None
            b = right[j1 + k] if j1 + k < j2 else None
            rows.append({
                "tag": tag,
                "a_no": i1 + k + 1 if a else None, "a": a[0] if a else "",
                "b_no": j1 + k + 1 if b else None, "b": b[0] if b else "",
                "changed": tag != "equal",
                "hit": bool(a and hit(a[1])) or bool(b and hit(b[1])),
            })
    return rows


@get("/t/{lg:str}/{slug:str}/diff", sync_to_thread=True)
def diff_page(request: Request[Any, Any, Any], viewer: PageViewer, lg: FromPath[str], slug: FromPath[str]) -> Template:
    """差分ページ: changes by field with verdicts in words, bump, side-by-side schemas."""
    svc = viewer.service
    versions = svc.template_versions(TemplateKey(lg, slug))
    to = request.query_params.get("to") or versions[-1]
    default_from = versions[versions.index(to) - 1] if to in versions and versions.index(to) > 0 else to
    frm = request.query_params.get("from") or default_from
    compared = svc.diff_versions(VersionKey(lg, slug, frm), VersionKey(lg, slug, to))
    old, new, d = compared.old, compared.new, compared.diff
    groups: dict[str, list[Any]] = {}
    shown = [c for c in d.changes if not c.pointer.endswith("/$id") and c.pointer != "/$id"]
    for c in shown:
        label = c.title or c.field or c.pointer or "（フォーム全体）"
        groups.setdefault(label, []).append(c)
    rows = side_by_side(old.schema, new.schema, {c.pointer for c in shown})
    titles = {w.name: w.title for top in forms.widgets(new.schema, svc.schemas()) for w in top.walk()}
    return render(request, "diff.html", {
        "lg": lg, "slug": slug, "town": name_of(lg), "versions": versions, "frm": frm, "to": to,
        "diff": d, "groups": groups, "rows": rows, "verdict_ja": VERDICT_JA, "bump_ja": BUMP_HELP_JA,
        "title": new.template.get("title", slug) if isinstance(new.template, dict) else slug,
        "pretty": _pretty, "filled": functools.partial(_filled, titles), "shown": shown})


@get("/favicon.ico", sync_to_thread=False)
def favicon() -> Response[bytes]:
    """The site's icon (browsers ask for /favicon.ico; pages link /static/favicon.svg)."""
    return Response((STATIC_DIR / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


# -- login -----------------------------------------------------------------------------------
@get("/login", sync_to_thread=True)
def login_form(request: Request[Any, Any, Any], viewer: PageViewer) -> Template:
    """ログイン: paste a token once."""
    return render(request, "login.html", {"failed": False})


@post("/login")
async def login(request: Request[Any, Any, Any], viewer: PageViewer) -> Response[Any]:
    """A pasted token becomes a session cookie (the token itself is not kept)."""
    data = await _form(request)
    _check_csrf(request, data)
    made = session.login_cookie(request, viewer.service, viewer.key, str(data.get("token") or ""))
    if made is None:
        return render(request, "login.html", {"failed": True}, status=401)
    _, cookie = made
    _, csrf_cookie = session.new_csrf_cookie(request)  # a new session: the CSRF token rotates
    return Redirect("/me", status_code=303, cookies=[cookie, csrf_cookie])


@post("/logout")
async def logout(request: Request[Any, Any, Any], viewer: PageViewer) -> Response[Any]:
    """End the session."""
    data = await _form(request)
    _check_csrf(request, data)
    return Redirect("/", status_code=303, cookies=[session.logout_cookie(request)])


@get("/me", sync_to_thread=True)
def me(request: Request[Any, Any, Any], viewer: PageViewer) -> Response[Any]:
    """The session's municipality and its tokens' names (never the tokens)."""
    user = viewer.user
    if user is None:
        return Redirect("/login", status_code=303)
    tokens = viewer.service.tokens(user.municipality)
    audit = (viewer.service.audit_entries(municipality=user.municipality, limit=50)
             if user.municipality else [])
    hooks = viewer.service.webhooks(user.municipality) if user.municipality else []
    deliveries = {h.id: viewer.service.webhook_deliveries(user.municipality, h.id, 20) for h in hooks}
    return render(request, "me.html", {"tokens": tokens, "audit": audit, "hooks": hooks,
                                       "deliveries": deliveries})


def unmatched_path(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """App-wide: a browser's 404 outside the API is a Japanese page; the rest stays problem+json."""
    from registry.web.problems import http_exception_handler

    wants_html = "text/html" in request.headers.get("accept", "")
    if exc.status_code == 404 and wants_html and not request.url.path.startswith("/api/"):
        return error_page(request, exc)
    return http_exception_handler(request, exc)


exception_handlers: dict[Any, Any] = {HTTPException: unmatched_path}

def _paper_handlers() -> list[Any]:
    from registry.web import paper

    return paper.route_handlers


def _editor_handlers() -> list[Any]:
    """The editor's routes (registry/web/editor.py, which builds on this module's helpers)."""
    from registry.web import editor

    return list(editor.route_handlers)


# The Excel upload's controller uses this module's viewer and helpers: imported once they exist.
from registry.web import sheet_pages  # noqa: E402

route_handlers: list[Any] = [
    Router(path="/", route_handlers=[home, prefecture_page, municipality_page, template_page, fork_page, pull_page,
                                     preview_page, preview_check, print_page, diff_page,
                                     login_form, login, logout, me, favicon, *_editor_handlers(),
                                     *sheet_pages.HANDLERS],
           exception_handlers={RegistryError: error_page, HTTPException: error_page},
           dependencies={"viewer": Provide(provide_viewer, sync_to_thread=False)},
           include_in_schema=False),
    create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
    *_paper_handlers(),
]

__all__ = ["error_page", "exception_handlers", "pretty_lines", "render", "route_handlers", "side_by_side", "unmatched_path"]
