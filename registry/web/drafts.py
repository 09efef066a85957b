"""Editor drafts: one JSON file per account and template under ``<data dir>/drafts/``.

A draft is what a member of staff has edited but not published. It is kept on the server, per
account (municipality + token name), so it survives a reload, a second tab and another browser
of the same account. It is not kept in git (git holds only published versions, which are
immutable) nor in the SQL index (the index is a cache rebuilt from git by ``yoshiki reindex``,
which would lose drafts). Writes are atomic (temporary file + ``os.replace``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

DRAFTS_DIR = "drafts"


def _path(data_dir: Path, account: str, lg: str, slug: str) -> Path:
    who = hashlib.sha256(account.encode()).hexdigest()[:16]
    return Path(data_dir) / DRAFTS_DIR / who / f"{lg}__{slug}.json"


def load(data_dir: Path, account: str, lg: str, slug: str) -> dict[str, Any] | None:
    """The account's draft of ``lg/slug``, or None."""
    try:
        data = json.loads(_path(data_dir, account, lg, slug).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save(data_dir: Path, account: str, lg: str, slug: str, draft: dict[str, Any]) -> None:
    """Store the draft atomically."""
    path = _path(data_dir, account, lg, slug)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(draft, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def discard(data_dir: Path, account: str, lg: str, slug: str) -> None:
    """Forget the draft (after publishing, or when staff start over)."""
    _path(data_dir, account, lg, slug).unlink(missing_ok=True)
