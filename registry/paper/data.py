"""Submissions to print: one JSON object, a JSON array, JSON Lines or CSV (one sheet each).

Reuses ``registry.submissions.readers`` (the readers of ``check-data``): CSV headers are property
names or Japanese titles, cells are coerced by the form's types, CP932 is detected. A record that
cannot be read is a UsageError naming the file and record, so nothing half-printed is returned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from registry.errors import LimitExceeded, UsageError
from registry.submissions.readers import CsvColumns, iter_records
from registry.syntax.refs import Resolver, SchemaSet

MAX_SHEETS = 1000           # submissions in one PDF
MAX_QUERY_DATA = 32 * 1024  # characters of ?data= (URL-decoded JSON)


def read_submissions(path: Path, schema: Any, schemas: SchemaSet | None, *,
                     encoding: str = "auto") -> list[Any]:
    """The submissions of a data file, in order (at most MAX_SHEETS)."""
    columns = CsvColumns(schema, Resolver(schema, schemas or SchemaSet())) \
        if path.suffix.lower() == ".csv" else None
    out: list[Any] = []
    for rec in iter_records(path, columns=columns, encoding=encoding, source=str(path)):
        if rec.error is not None:
            where = f"{path}:{rec.error.line or rec.line or rec.number}"
            raise UsageError(f"{where}: {rec.error.message}",
                             detail_ja=f"{where}: {rec.error.message_ja}", issues=[rec.error])
        if not isinstance(rec.value, dict):
            raise UsageError(f"{path}: record {rec.number} is not a JSON object",
                             detail_ja=f"{path}: {rec.number} 件目が JSON のオブジェクトではありません")
        if len(out) >= MAX_SHEETS:
            raise LimitExceeded(f"{path}: more than {MAX_SHEETS} submissions; split the file",
                                detail_ja=f"{path}: 申請が {MAX_SHEETS} 件を超えています。ファイルを分けてください")
        out.append(rec.value)
    if not out:
        raise UsageError(f"{path}: no submissions in this file",
                         detail_ja=f"{path}: 申請データが 1 件もありません")
    return out


def parse_query_data(raw: str) -> dict[str, Any]:
    """``?data=`` (URL-decoded): one submission as a JSON object, bounded in size."""
    if len(raw) > MAX_QUERY_DATA:
        raise LimitExceeded(f"data is longer than {MAX_QUERY_DATA} characters",
                            detail_ja=f"data が {MAX_QUERY_DATA} 文字を超えています")
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"data is not JSON: {exc}",
                         detail_ja=f"data が JSON として読めません: {exc}") from exc
    if not isinstance(value, dict):
        raise UsageError("data must be a JSON object (one submission)",
                         detail_ja="data は JSON のオブジェクト（申請 1 件）にしてください")
    return value


__all__ = ["MAX_QUERY_DATA", "MAX_SHEETS", "parse_query_data", "read_submissions"]
