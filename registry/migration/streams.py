"""Row writers for migrate's output and side files: JSON Lines, JSON array, CSV, xlsx — all streaming."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

import msgspec

from registry.errors import UsageError

FORMATS = (".jsonl", ".ndjson", ".json", ".csv", ".xlsx")


def _flatten(value: dict[str, Any], columns: list[tuple[str, ...]]) -> list[Any]:
    out: list[Any] = []
    for path in columns:
        node: Any = value
        for tok in path:
            node = node.get(tok) if isinstance(node, dict) else None
        if isinstance(node, list) and all(isinstance(x, str | int | float) for x in node):
            node = "、".join(str(x) for x in node)
        elif isinstance(node, dict | list):
            node = msgspec.json.encode(node).decode()
        out.append(node)
    return out


class RowWriter:
    """Writes rows to a file whose suffix names the format; ``columns`` name CSV/xlsx columns."""

    def __init__(self, path: Path, columns: list[tuple[str, ...]]) -> None:
        self.path = path
        self.kind = path.suffix.lower()
        if self.kind not in FORMATS:
            raise UsageError(f"{path}: write .jsonl, .json, .csv or .xlsx",
                             detail_ja=f"{path}: 出力は .jsonl・.json・.csv・.xlsx のいずれかにしてください")
        self.columns = columns
        self.count = 0
        self._encode = msgspec.json.Encoder().encode
        self._f: IO[Any] | None = None
        self._csv: Any = None
        self._book: Any = None
        self._ws: Any = None
        if self.kind in (".jsonl", ".ndjson", ".json"):
            self._f = path.open("wb")
            if self.kind == ".json":
                self._f.write(b"[")
        elif self.kind == ".csv":
            self._f = path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._f)
            self._csv.writerow([".".join(c) for c in columns])
        else:
            import openpyxl

            self._book = openpyxl.Workbook(write_only=True)
            self._ws = self._book.create_sheet("データ")
            self._ws.append([".".join(c) for c in columns])

    def write(self, value: Any) -> None:
        """Append one row."""
        if self.kind in (".jsonl", ".ndjson"):
            assert self._f is not None
            self._f.write(self._encode(value) + b"\n")
        elif self.kind == ".json":
            assert self._f is not None
            self._f.write((b",\n" if self.count else b"\n") + self._encode(value))
        elif self.kind == ".csv":
            self._csv.writerow(["" if v is None else v for v in _flatten(value, self.columns)])
        else:
            self._ws.append(_flatten(value, self.columns))
        self.count += 1

    def close(self) -> None:
        """Finish the file."""
        if self._f is not None:
            if self.kind == ".json":
                self._f.write(b"\n]\n")
            self._f.close()
        if self._book is not None:
            self._book.save(self.path)


class JsonlSide:
    """A side file (JSON Lines), created only when the first entry arrives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._f: IO[bytes] | None = None
        self._encode = msgspec.json.Encoder().encode

    def write(self, entry: dict[str, Any]) -> None:
        """Append one entry."""
        if self._f is None:
            self._f = self.path.open("wb")
        self._f.write(self._encode(entry) + b"\n")
        self.count += 1

    def close(self) -> None:
        """Finish the file."""
        if self._f is not None:
            self._f.close()
