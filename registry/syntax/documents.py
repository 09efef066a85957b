"""Reading JSON documents with errors a member of staff can act on.

Every failure (missing file, empty file, not UTF-8, syntax error with line and column, duplicate
key, too large) becomes an InvalidDocument carrying one Issue with the file and position.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from registry.errors import InvalidDocument, NotFound
from registry.models import Issue

# A form schema or template.json is a few KB; 5 MiB is generous and keeps hostile input cheap.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def _issue(rule: str, en: str, ja: str, file: str, line: int | None = None,
           column: int | None = None, hint: str | None = None, hint_ja: str | None = None) -> Issue:
    return Issue(rule=rule, message=en, message_ja=ja, file=file, line=line, column=column,
                 hint=hint, hint_ja=hint_ja)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def parse_json_text(text: str, source: str) -> Any:
    """Parse JSON text; raise InvalidDocument naming ``source`` and the position."""
    if not text.strip():
        raise InvalidDocument(
            f"{source}: the file is empty",
            detail_ja=f"{source}: ファイルが空です",
            issues=[_issue("json.empty", "The file is empty.", "ファイルが空です。", source,
                           hint="Write a JSON document into it.", hint_ja="JSON を記述してください。")],
        )
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise InvalidDocument(
            f"{source}: key {exc.key!r} appears twice in one object",
            detail_ja=f"{source}: 同じオブジェクトにキー {exc.key!r} が二回あります",
            issues=[_issue("json.duplicate-key", f"Key {exc.key!r} appears twice in one object.",
                           f"同じオブジェクトにキー {exc.key!r} が二回あります。", source,
                           hint="Keep one of them.", hint_ja="どちらか一つにしてください。")],
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidDocument(
            f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
            detail_ja=f"{source}:{exc.lineno}:{exc.colno}: JSON の書式が正しくありません（{exc.msg}）",
            issues=[_issue("json.syntax", f"Invalid JSON: {exc.msg}.",
                           f"JSON の書式が正しくありません（{exc.msg}）。", source,
                           line=exc.lineno, column=exc.colno,
                           hint="Check commas, quotes and brackets near this position.",
                           hint_ja="この位置の前後のカンマ・引用符・括弧を確認してください。")],
        ) from None
    except RecursionError:
        raise InvalidDocument(
            f"{source}: the JSON is nested too deeply",
            detail_ja=f"{source}: JSON の入れ子が深すぎます",
            issues=[_issue("json.too-deep", "The JSON is nested too deeply.",
                           "JSON の入れ子が深すぎます。", source)],
        ) from None


def decode_utf8(data: bytes, source: str) -> str:
    """Decode UTF-8 (a BOM is accepted and dropped); raise InvalidDocument otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidDocument(
            f"{source}:{line}: not UTF-8 (byte {exc.start})",
            detail_ja=f"{source}:{line}: UTF-8 ではありません（{exc.start} バイト目）",
            issues=[_issue("json.encoding", f"The file is not UTF-8 (byte {exc.start}).",
                           f"ファイルが UTF-8 ではありません（{exc.start} バイト目）。", source, line=line,
                           hint="Save the file as UTF-8.",
                           hint_ja="UTF-8 で保存し直してください（Shift_JIS は JSON に使えません）。")],
        ) from None


def read_json(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Read and parse a JSON file with clear errors (missing, too large, encoding, syntax)."""
    source = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise NotFound(f"{source}: no such file", detail_ja=f"{source}: ファイルがありません",
                       issues=[_issue("file.missing", "No such file.", "ファイルがありません。", source)]) from None
    if path.is_dir():
        raise NotFound(f"{source}: is a folder, not a JSON file",
                       detail_ja=f"{source}: フォルダです。JSON ファイルを指定してください")
    if size > max_bytes:
        mib = max_bytes // (1024 * 1024)
        raise InvalidDocument(
            f"{source}: {size:,} bytes is larger than the {mib} MiB limit for a schema or template",
            detail_ja=f"{source}: {size:,} バイトあり、スキーマ・テンプレートの上限 {mib} MiB を超えています",
            issues=[_issue("json.too-large", f"The file is larger than {mib} MiB.",
                           f"ファイルが {mib} MiB を超えています。", source,
                           hint="A form schema is a few KB; check that this is the right file.",
                           hint_ja="フォームのスキーマは通常数 KB です。正しいファイルか確認してください。")],
        )
    return parse_json_text(decode_utf8(path.read_bytes(), source), source)


def dumps(value: Any) -> bytes:
    """JSON as the repository writes it (two-space indent, UTF-8, final newline)."""
    return json.dumps(value, ensure_ascii=False, indent=2).encode() + b"\n"
