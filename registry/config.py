"""Settings: one frozen object built from ``YOSHIKI_*`` variables — the only reader of os.environ.

Default data folder: ``$XDG_DATA_HOME/yoshiki`` (``~/.local/share/yoshiki``). A registry's
repository and index must not depend on the folder a command happens to be started from: with a
``./.yoshiki-data`` default, ``yoshiki reindex`` run from another folder would silently create and
fill a second, empty registry. Tests and containers set ``YOSHIKI_DATA_DIR`` explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from registry.errors import UsageError


@dataclass(frozen=True)
class Settings:
    """Everything configurable, built once at the edge (``create_app``, ``cli.main``)."""

    data_dir: Path
    database_url: str
    repo_path: Path
    registry_name: str = "Yoshiki Registry"
    registry_email: str = "registry@yoshiki.invalid"
    base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 1024 * 1024
    max_schema_depth: int = 32
    max_ref_count: int = 200
    # Bytes of version documents (JSON + schema) kept in memory per worker (YOSHIKI_DOC_CACHE_BYTES).
    doc_cache_bytes: int = 64 * 1024 * 1024
    # Pack loose git objects in the background after this many writes of a process
    # (YOSHIKI_REPACK_EVERY; docs in registry/storage/maintenance.py).
    repack_every: int = 100
    # Replica mode (registry/replica.py): the primary's base URL (YOSHIKI_PRIMARY_URL, or
    # ``yoshiki serve --replica-of URL``); None on the primary. The replica fetches the primary's
    # /git every ``replica_poll_seconds`` and reports itself degraded once its last successful
    # fetch is older than ``replica_max_lag_seconds``.
    primary_url: str | None = None
    replica_poll_seconds: float = 1.0
    replica_max_lag_seconds: float = 60.0

    @classmethod
    def for_data_dir(cls, data_dir: Path, **overrides: object) -> Settings:
        """Settings with every path under ``data_dir`` (SQLite index, bare repository)."""
        data_dir = Path(data_dir)
        base = cls(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'index.sqlite3'}",
                   repo_path=data_dir / "templates.git")
        return replace(base, **overrides)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *,
                 data_dir: Path | None = None) -> Settings:
        """Read ``YOSHIKI_*`` variables (``environ`` defaults to os.environ).

        ``data_dir`` (a command's ``--data-dir``) wins over ``YOSHIKI_DATA_DIR``; an explicit
        ``YOSHIKI_DATABASE_URL`` or ``YOSHIKI_REPO_PATH`` still wins over both.
        """
        env = os.environ if environ is None else environ
        if data_dir is not None:
            data_dir = Path(data_dir).expanduser()
        elif env.get("YOSHIKI_DATA_DIR"):
            data_dir = Path(env["YOSHIKI_DATA_DIR"]).expanduser()
        else:
            xdg = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "share")
            data_dir = Path(xdg).expanduser() / "yoshiki"
        overrides: dict[str, object] = {}
        if env.get("YOSHIKI_DATABASE_URL"):
            overrides["database_url"] = env["YOSHIKI_DATABASE_URL"]
        if env.get("YOSHIKI_REPO_PATH"):
            overrides["repo_path"] = Path(env["YOSHIKI_REPO_PATH"]).expanduser()
        for name in ("registry_name", "registry_email", "base_url", "primary_url"):
            if env.get(f"YOSHIKI_{name.upper()}"):
                overrides[name] = env[f"YOSHIKI_{name.upper()}"]
        for name in ("max_body_bytes", "max_schema_depth", "max_ref_count", "doc_cache_bytes",
                     "repack_every"):
            raw = env.get(f"YOSHIKI_{name.upper()}")
            if raw:
                overrides[name] = _positive_int(f"YOSHIKI_{name.upper()}", raw)
        if overrides.get("primary_url"):
            overrides["primary_url"] = primary_base(str(overrides["primary_url"]))
        for name in ("replica_poll_seconds", "replica_max_lag_seconds"):
            raw = env.get(f"YOSHIKI_{name.upper()}")
            if raw:
                overrides[name] = _positive_float(f"YOSHIKI_{name.upper()}", raw)
        return cls.for_data_dir(data_dir, **overrides)

    @property
    def is_replica(self) -> bool:
        """True when this node follows a primary (reads only; writes go to the primary)."""
        return bool(self.primary_url)


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise UsageError(f"{name} must be a positive integer, not {raw!r}",
                         detail_ja=f"{name} は正の整数で指定してください（{raw!r} は使えません）")
    return value


def _positive_float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise UsageError(f"{name} must be a positive number of seconds, not {raw!r}",
                         detail_ja=f"{name} は正の秒数で指定してください（{raw!r} は使えません）")
    return value


def primary_base(url: str) -> str:
    """A primary's base URL (``http(s)://host[:port][/prefix]``, no trailing slash) or UsageError."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.query or parts.fragment or parts.username or parts.password):
        raise UsageError(f"the primary's URL must be http(s)://host[:port] (no query, no user), not {url!r}",
                         detail_ja=f"主ノードの URL は http(s)://ホスト[:ポート] で指定してください（{url!r} は使えません）")
    return url.strip().rstrip("/")
