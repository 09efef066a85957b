"""The registry over HTTP for the remote commands (httpx, imported only when a request is made).

Base URL: ``--registry`` / ``YOSHIKI_REGISTRY``, else the one ``yoshiki login`` stored, else
``http://127.0.0.1:8000``. Token: ``--token`` / ``YOSHIKI_TOKEN``, else the one stored by
``yoshiki login`` for that registry in ``$XDG_CONFIG_HOME/yoshiki/credentials.json``
(``~/.config/...``; mode 0600). A problem+json answer becomes the RegistryError of its ``code``,
so the exit codes follow the one table (cli/options.py). A registry that cannot be reached is
``RegistryUnavailable``: one line on stderr and exit 70 (the table's "unexpected": the command
could not do its job, and nothing about the input was wrong).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec

from registry import errors
from registry.models import Issue

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_REGISTRY = "http://127.0.0.1:8000"

ERRORS: dict[str, type[errors.RegistryError]] = {
    "not-found": errors.NotFound, "usage": errors.UsageError, "bad-request": errors.UsageError,
    "method-not-allowed": errors.UsageError, "version-exists": errors.VersionExists,
    "conflict": errors.Conflict, "unauthenticated": errors.Unauthenticated,
    "forbidden": errors.Forbidden, "too-large": errors.LimitExceeded,
    "invalid": errors.InvalidTemplate, "invalid-document": errors.InvalidDocument,
    "incompatible": errors.IncompatibleChange,
}
BY_STATUS: dict[int, type[errors.RegistryError]] = {
    400: errors.UsageError, 401: errors.Unauthenticated, 403: errors.Forbidden,
    404: errors.NotFound, 409: errors.Conflict, 413: errors.LimitExceeded,
    422: errors.InvalidTemplate,
}


class RegistryUnavailable(errors.RegistryError):
    """The registry could not be reached or answered with a server error (exit 70)."""

    code = "unavailable"
    title = "レジストリに接続できません / Registry unavailable"


def credentials_path() -> Path:
    """Where ``yoshiki login`` keeps tokens: ``$XDG_CONFIG_HOME/yoshiki/credentials.json``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "yoshiki" / "credentials.json"


def load_credentials() -> dict[str, Any]:
    """The stored credentials (``{"default": url, "registries": {url: {"token": ...}}}``)."""
    path = credentials_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_credentials(registry: str, token: str, account: dict[str, Any]) -> Path:
    """Store a token for a registry (and make it the default), readable by the owner only."""
    data = load_credentials()
    data.setdefault("registries", {})[registry] = {"token": token, "account": account}
    data["default"] = registry
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Created 0600 from the start: the token is never readable by others, not even briefly.
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
    os.chmod(path.with_suffix(".tmp"), 0o600)
    os.replace(path.with_suffix(".tmp"), path)
    return path


def registry_options(func: F) -> F:
    """``--registry URL`` (YOSHIKI_REGISTRY) and ``--token`` (YOSHIKI_TOKEN)."""
    func = click.option("--token", envvar="YOSHIKI_TOKEN", default=None, show_envvar=True,
                        help="API トークン (既定: yoshiki login で保存したもの) / API token")(func)
    return click.option("--registry", envvar="YOSHIKI_REGISTRY", default=None, show_envvar=True,
                        help=f"レジストリの URL (既定 {DEFAULT_REGISTRY}) / registry URL")(func)


class Client:
    """A small synchronous client of the registry's JSON API."""

    def __init__(self, registry: str | None = None, token: str | None = None,
                 timeout: float = 60.0, *, follow_redirects: bool = False) -> None:
        creds = load_credentials()
        self.base = (registry or creds.get("default") or DEFAULT_REGISTRY).rstrip("/")
        stored = creds.get("registries", {}).get(self.base, {})
        self.token = token or (stored.get("token") if isinstance(stored, dict) else None)
        self.timeout = timeout
        self.follow_redirects = follow_redirects

    def request(self, method: str, path: str, *, body: Any = None,
                params: dict[str, Any] | None = None, auth: bool = False,
                raw: bool = False) -> Any:
        """Send one request; the decoded JSON (or bytes with ``raw``), or a RegistryError."""
        import httpx

        headers = {"Accept": "application/json", "User-Agent": "yoshiki-cli"}
        if auth or self.token:
            if not self.token:
                raise errors.Unauthenticated(
                    f"no token for {self.base}: run yoshiki login or set YOSHIKI_TOKEN",
                    detail_ja=f"{self.base} のトークンがありません。yoshiki login を実行するか YOSHIKI_TOKEN を設定してください")
            headers["Authorization"] = f"Bearer {self.token}"
        content = msgspec.json.encode(body) if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = httpx.request(method, self.base + path, content=content, params=clean,
                                     headers=headers, timeout=self.timeout,
                                     follow_redirects=self.follow_redirects)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                f"cannot reach the registry at {self.base}: {exc.__class__.__name__}: {exc}",
                detail_ja=f"レジストリ {self.base} に接続できません（{exc.__class__.__name__}: {exc}）") from None
        if response.status_code >= 400:
            raise self._error(response)
        if raw:
            return response.content
        try:
            return response.json()
        except ValueError:
            raise RegistryUnavailable(
                f"{self.base} answered {response.status_code} without JSON: is it a Yoshiki registry?",
                detail_ja=f"{self.base} の応答 ({response.status_code}) が JSON ではありません。Yoshiki のレジストリですか") from None

    def _error(self, response: Any) -> errors.RegistryError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "code" not in body:
            if response.status_code >= 500 or response.status_code not in BY_STATUS:
                return RegistryUnavailable(
                    f"{self.base} answered {response.status_code}",
                    detail_ja=f"{self.base} がエラー {response.status_code} を返しました")
            cls = BY_STATUS[response.status_code]
            return cls(f"{self.base} answered {response.status_code}",
                       detail_ja=f"{self.base} がエラー {response.status_code} を返しました")
        cls = ERRORS.get(str(body["code"])) or BY_STATUS.get(response.status_code) or RegistryUnavailable
        issues = []
        for raw_issue in body.get("issues") or []:
            try:
                issues.append(msgspec.convert(raw_issue, Issue))
            except msgspec.ValidationError:
                continue
        known = {"type", "title", "status", "code", "detail", "detail_ja", "instance", "issues"}
        extra = {k: v for k, v in body.items() if k not in known}
        return cls(str(body.get("detail") or body.get("title") or response.status_code),
                   detail_ja=str(body.get("detail_ja") or body.get("detail") or ""),
                   issues=issues, extra=extra)

    def get(self, path: str, **params: Any) -> Any:
        """GET JSON."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, **params: Any) -> Any:
        """POST JSON with the token."""
        return self.request("POST", path, body=body, params=params, auth=True)


def upstream_lookup(url: str) -> Callable[[str, str], Any]:
    """``yoshiki ci --registry``'s upstream lookup: ``GET .../{lg}/{slug}/versions/{v}`` (and its schema)."""
    from registry.checks.repository import UpstreamInfo

    client = Client(url, timeout=15.0, follow_redirects=True)

    def lookup(name: str, version: str) -> UpstreamInfo:
        where = f"/api/v1/templates/{name}/versions/{version}"
        try:
            client.request("GET", where, raw=True)
        except errors.NotFound:
            return UpstreamInfo(exists=False)
        except RegistryUnavailable:
            raise
        except errors.RegistryError as exc:
            raise errors.RegistryError(f"GET {client.base}{where} answered: {exc.detail}",
                                       detail_ja=f"GET {client.base}{where} がエラーを返しました: {exc.detail_ja}") from None
        try:
            schema = json.loads(client.request("GET", f"{where}/schema.json", raw=True))
        except (errors.RegistryError, ValueError):
            schema = None
        return UpstreamInfo(exists=True, schema=schema)

    return lookup


def echo_json(value: Any) -> None:
    """Print one JSON document to stdout."""
    click.echo(msgspec.json.encode(value).decode())


def remote_schema(registry: str, arg: str) -> tuple[Any, Any, dict[str, Any] | None]:
    """``LG/SLUG@VERSION`` from a registry: (schema, SchemaSet loading references from it, template).

    Used by ``yoshiki diff --registry``: the diff runs here, on the documents the registry serves,
    so every option and output format of the local diff applies unchanged. Referenced templates
    are fetched from the same registry on demand (never from anywhere else).
    """
    from registry.layout import VersionKey
    from registry.syntax.refs import SchemaSet

    client = Client(registry)
    key = VersionKey.parse(arg)

    def fetch(k: VersionKey) -> Any:
        return json.loads(client.request(
            "GET", f"/api/v1/templates/{k.lg}/{k.slug}/versions/{k.version}/schema.json", raw=True))

    doc = client.get(f"/api/v1/templates/{key.lg}/{key.slug}/versions/{key.version}")
    template = doc.get("template")
    return doc["schema"], SchemaSet(fetch), template if isinstance(template, dict) else None
