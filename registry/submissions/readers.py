"""Read resident submissions (JSON, JSON array, JSON Lines, CSV) as a stream and check them.

Memory does not grow with the file: JSON Lines and CSV are read line by line, a JSON array is
decoded element by element from fixed-size chunks. CSV exported from Excel is often CP932 or
UTF-8 with a BOM; the encoding is detected (BOM, a UTF-8 attempt, CP932, charset-normalizer) or
given. CSV cells are text and are converted by the form's types before validation.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from registry.errors import NotFound, RegistryError, UsageError
from registry.models import Issue
from registry.submissions.validator import FormValidator
from registry.submissions.values import ValueReader
from registry.syntax.refs import Resolver

CHUNK = 1 << 20
SNIFF_BYTES = 1 << 16
# One submission is a few KB; a single-object file beyond this is not a submission.
MAX_SINGLE_DOCUMENT = 64 * 1024 * 1024
ENCODINGS = ("auto", "utf-8", "cp932")
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "cp932": "CP932 (Shift_JIS)"}
_TRUE = frozenset({"true", "はい", "yes", "y", "1", "○", "〇", "✓", "有", "あり"})
_FALSE = frozenset({"false", "いいえ", "no", "n", "0", "×", "✕", "無", "なし"})
_INT_RE = re.compile(r"[+-]?[0-9]+")
_NUM_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_NON_WS = re.compile(r"[^ \t\r\n]")
# An entry workbook marks required columns "区分 ※必須" (registry/sheets/entry.py).
REQUIRED_MARK = re.compile(r"\s*(※必須|\*|（必須）|\(必須\))$")
_LIST_SPLIT = re.compile(r"\s*[,、;；\n]\s*")


@dataclass
class Record:
    """One submission: its number (line of JSONL/CSV, 1-based index in an array) and value.

    ``error`` is set instead of ``value`` when the record itself cannot be read.
    """

    number: int
    line: int | None
    value: Any = None
    error: Issue | None = None


def _issue(rule: str, en: str, ja: str, file: str, *, line: int | None = None, column: int | None = None,
           record: int | None = None, hint: str | None = None, hint_ja: str | None = None) -> Issue:
    return Issue(rule=rule, message=en, message_ja=ja, file=file, line=line, column=column, record=record,
                 hint=hint, hint_ja=hint_ja)


def _msgspec_position(raw: bytes, exc: Exception) -> int | None:
    """Column (characters, 1-based) from msgspec's ``(byte N)`` suffix."""
    m = re.search(r"\(byte (\d+)\)", str(exc))
    if m is None:
        return None
    return len(raw[: int(m[1])].decode("utf-8", "replace")) + 1


# --------------------------------------------------------------------------- JSON


def _kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "json"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    raise UsageError(f"{path}: unknown data format (use .json, .jsonl, .ndjson, .csv or .xlsx)",
                     detail_ja=f"{path}: データの形式がわかりません（.json、.jsonl、.ndjson、.csv、.xlsx のいずれかにしてください）")


def iter_jsonl(path: Path, source: str) -> Iterator[Record]:
    """One record per non-blank line, decoded with msgspec."""
    decode = msgspec.json.decode
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
            try:
                yield Record(number, number, decode(raw))
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                if not raw.strip():
                    continue
                yield Record(number, number, error=_line_error(raw, exc, source, number))


def _line_error(raw: bytes, exc: Exception, source: str, number: int) -> Issue:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return _issue("json.encoding", "This line is not UTF-8.", "この行は UTF-8 ではありません。", source,
                      line=number, record=number, hint="Save the file as UTF-8.",
                      hint_ja="UTF-8 で保存し直してください。")
    msg = str(exc).split(" (byte")[0]
    return _issue("json.syntax", f"Invalid JSON: {msg}.", f"JSON の書式が正しくありません（{msg}）。", source,
                  line=number, column=_msgspec_position(raw, exc), record=number,
                  hint="Each line must hold one JSON object.", hint_ja="1行に1つの JSON オブジェクトを書いてください。")


def iter_json(path: Path, source: str) -> Iterator[Record]:
    """A JSON file: one object (one record) or an array (one record per element, streamed)."""
    with path.open("rb") as f:
        head = f.read(CHUNK)
        first = head.lstrip(b" \t\r\n\xef\xbb\xbf")[:1]
        if not first:
            yield Record(1, 1, error=_issue("json.empty", "The file is empty.", "ファイルが空です。", source,
                                            hint="Write one JSON object or an array of objects.",
                                            hint_ja="JSON のオブジェクトか、その配列を書いてください。"))
            return
        if first == b"[":
            yield from _iter_array(f, head, source)
            return
        data = head + f.read(MAX_SINGLE_DOCUMENT)
        if len(data) > MAX_SINGLE_DOCUMENT:
            yield Record(1, 1, error=_issue(
                "json.too-large", "A single JSON document over 64 MiB is not a submission.",
                "1つの JSON が 64 MiB を超えています。申請データではないようです。", source,
                hint="Use JSON Lines (one submission per line) for large batches.",
                hint_ja="大量のデータは JSON Lines（1行に1件）にしてください。"))
            return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        yield Record(1, line, error=_issue("json.encoding", f"The file is not UTF-8 (byte {exc.start}).",
                                           f"ファイルが UTF-8 ではありません（{exc.start} バイト目）。", source, line=line,
                                           hint="Save the file as UTF-8.", hint_ja="UTF-8 で保存し直してください。"))
        return
    try:
        yield Record(1, 1, json.loads(text))
    except json.JSONDecodeError as exc:
        yield Record(1, exc.lineno, error=_issue(
            "json.syntax", f"Invalid JSON: {exc.msg}.", f"JSON の書式が正しくありません（{exc.msg}）。", source,
            line=exc.lineno, column=exc.colno,
            hint="Check commas, quotes and brackets near this position.",
            hint_ja="この位置の前後のカンマ・引用符・括弧を確認してください。"))
    except RecursionError:
        yield Record(1, 1, error=_issue("json.too-deep", "The JSON is nested too deeply.",
                                        "JSON の入れ子が深すぎます。", source))


def _iter_array(f: Any, head: bytes, source: str) -> Iterator[Record]:
    """Decode ``[v, v, ...]`` element by element from chunks (an incremental raw_decode).

    The consumed prefix of the buffer is dropped only once it exceeds a chunk, so each byte is
    copied a bounded number of times and memory stays at a few chunks.
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    buf = ""
    line = 1  # line number at buf[counted]
    counted = 0  # newlines before this index are already in ``line``
    col0 = 0  # characters before buf[0] on its line
    eof = False
    number = 0

    def more() -> bool:
        nonlocal buf, eof, head
        if eof:
            return False
        chunk = head if head else f.read(CHUNK)
        head = b""
        if not chunk:
            buf += utf8.decode(b"", final=True)
            eof = True
            return True
        buf += utf8.decode(chunk)
        return True

    def advance(to: int) -> None:
        nonlocal line, counted
        line += buf.count("\n", counted, to)
        counted = to

    def drop() -> None:
        nonlocal buf, counted, col0
        nl = buf.rfind("\n", 0, counted)
        col0 = counted - (nl + 1) if nl >= 0 else col0 + counted
        buf = buf[counted:]
        counted = 0

    def error(rule: str, en: str, ja: str, at: int) -> Record:
        ln = line + buf.count("\n", counted, at)
        nl = buf.rfind("\n", 0, at)
        col = at - nl if nl >= 0 else col0 + at + 1
        return Record(number + 1, ln, error=_issue(rule, en, ja, source, line=ln, column=col, record=number + 1))

    def skip_ws(i: int) -> int:
        while True:
            m = _NON_WS.search(buf, i)
            if m is not None:
                return m.start()
            i = len(buf)
            if not more():
                return i

    try:
        more()
        i = skip_ws(0) + 1  # past the "["
        i = skip_ws(i)
        if i < len(buf) and buf[i] == "]":
            return
        while True:
            i = skip_ws(i)
            advance(i)
            if counted > CHUNK:
                drop()
                i = 0
            while True:
                try:
                    value, end = decoder.raw_decode(buf, i)
                except json.JSONDecodeError as exc:
                    if more():
                        continue
                    yield error("json.syntax", f"Invalid JSON: {exc.msg}.",
                                f"JSON の書式が正しくありません（{exc.msg}）。", exc.pos)
                    return
                # A number or literal ending exactly at the buffer's end may continue in the next chunk.
                if end >= len(buf) and not eof and more():
                    continue
                break
            number += 1
            yield Record(number, line, value)
            i = skip_ws(end)
            if i < len(buf) and buf[i] == ",":
                i += 1
                continue
            if i < len(buf) and buf[i] == "]":
                return
            yield error("json.syntax", "Invalid JSON: expected ',' or ']' after an element.",
                        "JSON の書式が正しくありません（要素の後に , か ] が必要です）。", i)
            return
    except UnicodeDecodeError:
        yield Record(number + 1, line, error=_issue(
            "json.encoding", "The file is not UTF-8.", "ファイルが UTF-8 ではありません。", source, line=line,
            hint="Save the file as UTF-8.", hint_ja="UTF-8 で保存し直してください。"))


# --------------------------------------------------------------------------- CSV


def detect_encoding(path: Path, requested: str = "auto") -> str:
    """The text encoding of a CSV file: BOM, then UTF-8, then CP932, then charset-normalizer."""
    with path.open("rb") as f:
        sample = f.read(SNIFF_BYTES)
    if requested != "auto":
        if requested.lower().replace("_", "-") in ("utf-8", "utf8"):
            return "utf-8-sig"
        return "cp932" if requested.lower().replace("_", "-") in ("cp932", "shift-jis", "sjis") else requested
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for candidate in ("utf-8", "cp932"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(sample, final=len(sample) < SNIFF_BYTES)
            return "utf-8-sig" if candidate == "utf-8" else candidate
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise UsageError(f"{path}: cannot tell the text encoding; give --encoding",
                         detail_ja=f"{path}: 文字コードを判定できません。--encoding で指定してください")
    return str(best.encoding)


@dataclass(frozen=True)
class _Column:
    tokens: tuple[str, ...]
    types: frozenset[str]
    item_types: frozenset[str]


class CsvColumns:
    """Maps CSV headers (property names or Japanese titles, dotted for nesting) to fields."""

    def __init__(self, schema: Any, resolver: Resolver | None) -> None:
        self._by_name: dict[str, _Column] = {}
        self._by_title: dict[str, _Column] = {}
        self._by_leaf_title: dict[str, list[_Column]] = {}
        self._resolver = resolver
        if resolver is not None:
            self._walk(schema, resolver.root_uri, (), (), frozenset())

    def _resolve(self, node: Any, base: str) -> tuple[dict[str, Any], str]:
        """Follow $ref (and merge allOf) so a field's type and properties are visible."""
        merged: dict[str, Any] = {}
        seen = 0
        while isinstance(node, dict) and seen < 16:
            seen += 1
            base = Resolver.base_of(base, node)
            for k, v in node.items():
                if k == "properties" and isinstance(v, dict):
                    merged.setdefault("properties", {}).update(v)
                    merged.setdefault("_bases", {}).update(dict.fromkeys(v, base))
                elif k not in merged:
                    merged[k] = v
            for sub in node.get("allOf", []) if isinstance(node.get("allOf"), list) else []:
                inner, _ = self._resolve(sub, base)
                for k, v in inner.items():
                    if k in ("properties", "_bases"):
                        merged.setdefault(k, {}).update(v)
                    else:
                        merged.setdefault(k, v)
            ref = node.get("$ref")
            if not isinstance(ref, str) or self._resolver is None:
                break
            try:
                base, node = self._resolver.resolve(base, ref)
            except RegistryError:
                break
        return merged, base

    @staticmethod
    def _types(node: dict[str, Any]) -> frozenset[str]:
        t = node.get("type")
        if isinstance(t, str):
            return frozenset({t})
        if isinstance(t, list):
            return frozenset(str(x) for x in t)
        values = node.get("enum") if isinstance(node.get("enum"), list) else (
            [node["const"]] if "const" in node else None)
        if values:
            kinds = {"boolean" if isinstance(v, bool) else "integer" if isinstance(v, int) else
                     "number" if isinstance(v, float) else "string" for v in values}
            return frozenset(kinds)
        return frozenset()

    def _walk(self, node: Any, base: str, names: tuple[str, ...], titles: tuple[str, ...],
              active: frozenset[int]) -> None:
        if id(node) in active or len(names) > 8:
            return
        active = active | {id(node)}
        schema, base = self._resolve(node, base)
        props = schema.get("properties")
        types = self._types(schema)
        if names and (not isinstance(props, dict) or (types and "object" not in types)):
            items, _ = self._resolve(schema.get("items"), base) if isinstance(schema.get("items"), dict) else ({}, base)
            col = _Column(names, types, self._types(items))
            self._by_name[".".join(names)] = col
            self._by_title[".".join(titles)] = col
            self._by_leaf_title.setdefault(titles[-1], []).append(col)
            return
        if not isinstance(props, dict):
            return
        bases = schema.get("_bases", {})
        for name, sub in props.items():
            sub_schema, _ = self._resolve(sub, bases.get(name, base))
            title = sub_schema.get("title") if isinstance(sub_schema.get("title"), str) else name
            self._walk(sub, bases.get(name, base), (*names, name), (*titles, str(title)), active)

    def column(self, header: str) -> _Column:
        """The field a header names; unknown headers stay as given (the schema reports them)."""
        h = header.strip().lstrip("\ufeff")
        found = self._by_name.get(h) or self._by_title.get(h)
        if found is None and (bare := REQUIRED_MARK.sub("", h)) != h:
            h = bare
            found = self._by_name.get(h) or self._by_title.get(h)
        if found is not None:
            return found
        leaf = self._by_leaf_title.get(h)
        if leaf is not None and len(leaf) == 1:
            return leaf[0]
        return _Column(tuple(h.split(".")), frozenset(), frozenset())


def coerce(cell: str, types: frozenset[str], item_types: frozenset[str] = frozenset()) -> Any:
    """A CSV cell converted by the field's JSON types ("3" → 3 for an integer field)."""
    if not types or "string" in types:
        return cell
    text = cell.strip()
    if "integer" in types and _INT_RE.fullmatch(text):
        return int(text)
    if "number" in types and _NUM_RE.fullmatch(text):
        number = float(text)
        return int(number) if _INT_RE.fullmatch(text) else number
    if "boolean" in types:
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    if "array" in types:
        return [coerce(part, item_types or frozenset({"string"})) for part in _LIST_SPLIT.split(text) if part]
    return cell


def _converter(col: _Column) -> Any:
    """None for text columns (kept as is), else a function converting a cell by the field's types."""
    if not col.types or "string" in col.types:
        return None
    types, item_types = col.types, col.item_types
    if types == {"integer"}:
        match = _INT_RE.fullmatch

        def integer(cell: str) -> Any:
            text = cell.strip()
            return int(text) if match(text) else cell

        return integer
    if types == {"boolean"}:

        def boolean(cell: str) -> Any:
            low = cell.strip().lower()
            return True if low in _TRUE else False if low in _FALSE else cell

        return boolean
    return lambda cell: coerce(cell, types, item_types)


def iter_csv(path: Path, source: str, columns: CsvColumns, encoding: str = "auto") -> Iterator[Record]:
    """One record per data row; the header names the fields; empty cells are absent fields."""
    enc = detect_encoding(path, encoding)
    physical = 0  # lines decoded so far: the line of a decoding error is exact

    def lines(f: Any) -> Iterator[str]:
        # Decode line by line (0x0A is never part of a UTF-8 or CP932 multi-byte character).
        nonlocal physical
        for raw in f:
            physical += 1
            yield raw.decode(enc)

    with path.open("rb") as f:
        reader = csv.reader(lines(f))
        try:
            header = next(reader, None)
            if header is None:
                yield Record(1, 1, error=_issue("csv.empty", "The file is empty (no header row).",
                                                "ファイルが空です（見出し行がありません）。", source,
                                                hint="The first row names the fields.",
                                                hint_ja="1行目に項目名を書いてください。"))
                return
            cols = [columns.column(h) for h in header]
            width = len(cols)
            # Per column: where the value goes and how it converts, decided once for the file.
            flat = [(i, c.tokens[0], _converter(c)) for i, c in enumerate(cols) if len(c.tokens) == 1]
            nested = [(i, c.tokens, _converter(c)) for i, c in enumerate(cols) if len(c.tokens) > 1]
            start = reader.line_num + 1
            for row in reader:
                number = start
                start = reader.line_num + 1
                if not "".join(row).strip():
                    continue
                if len(row) < width:
                    row += [""] * (width - len(row))
                value: dict[str, Any] = {}
                for i, key, conv in flat:
                    cell = row[i]
                    if cell != "":
                        value[key] = conv(cell) if conv is not None else cell
                for i, tokens, conv in nested:
                    cell = row[i]
                    if cell == "":
                        continue
                    set_path(value, tokens, conv(cell) if conv is not None else cell)
                yield Record(number, number, value)
        except UnicodeDecodeError:
            line = physical
            name = _ENCODING_NAMES.get(enc, enc)
            yield Record(line, line, error=_issue(
                "csv.encoding", f"Line {line} cannot be read as {name}.", f"{line} 行目を {name} として読めません。",
                source, line=line, record=line,
                hint="Give the encoding with --encoding utf-8 or --encoding cp932.",
                hint_ja="--encoding utf-8 か --encoding cp932 で文字コードを指定してください。"))
        except csv.Error as exc:
            line = reader.line_num
            yield Record(line, line, error=_issue("csv.syntax", f"Invalid CSV: {exc}.",
                                                  f"CSV の書式が正しくありません（{exc}）。", source, line=line, record=line))


# --------------------------------------------------------------------------- xlsx


def _cell_value(cell: Any, conv: Any) -> Any:
    if isinstance(cell, str):
        return conv(cell) if conv is not None else cell
    if isinstance(cell, _dt.datetime):
        # A date cell is a date (Excel stores no time for a date typed as 2022/6/13).
        return cell.date().isoformat() if cell.time() == _dt.time() else cell.isoformat()
    if isinstance(cell, _dt.date | _dt.time):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return cell


def iter_xlsx(path: Path, source: str, columns: CsvColumns) -> Iterator[Record]:
    """One record per data row of the workbook's first visible sheet; row 1 names the fields.

    The zip is checked before parsing (sizes, ratio, macros, merged cells: registry/sheets/safety.py);
    rows are read in openpyxl's read-only (streaming) mode. A formula is refused (its value may be
    stale): paste values instead.
    """
    from registry.sheets.safety import is_formula, open_workbook

    book = open_workbook(path)
    try:
        sheet = next((ws for ws in book.worksheets if ws.sheet_state == "visible"), None)
        rows = sheet.iter_rows(values_only=True) if sheet is not None else iter(())
        header = next(rows, None)
        if header is None or not any(h is not None for h in header):
            yield Record(1, 1, error=_issue("csv.empty", "The sheet is empty (no header row).",
                                            "シートが空です（見出し行がありません）。", source,
                                            hint="The first row names the fields.",
                                            hint_ja="1行目に項目名を書いてください。"))
            return
        cols = [columns.column(str(h)) if h is not None else None for h in header]
        plan = [(i, c.tokens, _converter(c)) for i, c in enumerate(cols) if c is not None]
        for number, row in enumerate(rows, 2):
            if not any(v is not None and v != "" for v in row):
                continue
            value: dict[str, Any] = {}
            bad = None
            for i, tokens, conv in plan:
                cell = row[i] if i < len(row) else None
                if cell is None or cell == "":
                    continue
                if is_formula(cell):
                    bad = _issue("xlsx.formula", f"Cell {column_letter(i)}{number} holds a formula ({cell}).",
                                 f"{column_letter(i)}{number} のセルが数式（{cell}）です。", source,
                                 line=number, record=number, hint="Paste the values instead of formulas.",
                                 hint_ja="数式ではなく値を貼り付けてください（形式を選択して貼り付け → 値）。")
                    break
                set_path(value, tokens, _cell_value(cell, conv))
            if bad is not None:
                yield Record(number, number, error=bad)
            else:
                yield Record(number, number, value)
    finally:
        book.close()


def set_path(value: dict[str, Any], tokens: Sequence[str], leaf: Any) -> None:
    """Put ``leaf`` at the dotted header's path in ``value``, creating objects on the way."""
    target = value
    for tok in tokens[:-1]:
        nxt = target.get(tok)
        if not isinstance(nxt, dict):
            nxt = target[tok] = {}
        target = nxt
    target[tokens[-1]] = leaf


def column_letter(index: int) -> str:
    """The spreadsheet column name of a 0-based index (0 → A, 26 → AA)."""
    letters = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


# --------------------------------------------------------------------------- checking


@dataclass
class Tally:
    """Counts of one run of check-data."""

    valid: int = 0
    invalid: int = 0
    files: int = 0


def iter_records(path: Path, *, columns: CsvColumns | None = None, encoding: str = "auto",
                 source: str | None = None) -> Iterator[Record]:
    """Records of a data file of any supported kind."""
    source = source or str(path)
    if not path.is_file():
        raise NotFound(f"{source}: no such file", detail_ja=f"{source}: ファイルがありません")
    kind = _kind_of(path)
    if kind == "jsonl":
        return iter_jsonl(path, source)
    if kind == "csv":
        return iter_csv(path, source, columns or CsvColumns({}, None), encoding)
    if kind == "xlsx":
        return iter_xlsx(path, source, columns or CsvColumns({}, None))
    return iter_json(path, source)


class _Readings:
    """Reads a refused submission's values as people write them and notes each reading once."""

    MAX_NOTED = 1000

    def __init__(self, values: ValueReader, form: FormValidator, source: str) -> None:
        self._read = values.read
        self._normalize = form.normalizer
        self._source = source
        self._seen: set[tuple[str, str]] = set()

    def retry(self, value: Any, record: int, line: int | None) -> tuple[Any, list[Issue], bool]:
        """(the value read again, info notes for readings not noted before in this file, changed)."""
        new, readings = self._read(value)
        if not readings:
            return value, [], False
        if self._normalize is not None:
            new = self._normalize(new)
        notes: list[Issue] = []
        for r in readings:
            key = (_POINTER_INDEX.sub("/*", r.pointer), repr(r.written))
            if key in self._seen or len(self._seen) >= self.MAX_NOTED:
                continue
            self._seen.add(key)
            notes.append(r.issue(self._source, record, line))
        return new, notes, True


_POINTER_INDEX = re.compile(r"/[0-9]+(?=/|$)")


def check_file(form: FormValidator, path: Path, tally: Tally, *, encoding: str = "auto",
               source: str | None = None, columns: CsvColumns | None = None,
               values: ValueReader | None = None) -> Iterator[Issue]:
    """Check every submission of one file, yielding issues as they are found (bounded memory).

    With ``values`` (see registry/submissions/values.py), a submission refused as written is read
    once more as people write values (labels, Japanese dates, full-width digits); each reading is
    reported as an info note.
    """
    source = source or str(path)
    if columns is None and path.suffix.lower() in (".csv", ".xlsx", ".xlsm"):
        columns = CsvColumns(form.schema, form.resolver)
    records = iter_records(path, columns=columns, encoding=encoding, source=source)
    tally.files += 1
    readings = _Readings(values, form, source) if values is not None else None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        yield from _check_jsonl(form, path, tally, source, readings)
        return
    normalize = form.normalizer
    is_valid = form.is_valid
    for rec in records:
        if rec.error is not None:
            tally.invalid += 1
            yield rec.error
            continue
        value = normalize(rec.value) if normalize is not None else rec.value
        if is_valid(value):
            tally.valid += 1
            continue
        if readings is not None:
            value, notes, changed = readings.retry(value, rec.number, rec.line)
            yield from notes
            if changed and is_valid(value):
                tally.valid += 1
                continue
        tally.invalid += 1
        yield from form.check(value, file=source, record=rec.number, normalized=True,
                              known_invalid=True, line=rec.line)


def _check_jsonl(form: FormValidator, path: Path, tally: Tally, source: str,
                 readings: _Readings | None = None) -> Iterator[Issue]:
    """The hot path: decode with msgspec, ``is_valid`` first, explain only the invalid lines."""
    decode = msgspec.json.decode
    normalize = form.normalizer
    is_valid = form._validator.is_valid
    valid = invalid = 0
    try:
        with path.open("rb") as f:
            for number, raw in enumerate(f, 1):
                try:
                    value = decode(raw if number != 1 or not raw.startswith(codecs.BOM_UTF8) else raw[3:])
                except (msgspec.DecodeError, UnicodeDecodeError) as exc:
                    if not raw.strip():
                        continue
                    invalid += 1
                    yield _line_error(raw, exc, source, number)
                    continue
                if normalize is not None:
                    value = normalize(value)
                if is_valid(value):
                    valid += 1
                    continue
                if readings is not None:
                    value, notes, changed = readings.retry(value, number, number)
                    yield from notes
                    if changed and is_valid(value):
                        valid += 1
                        continue
                invalid += 1
                yield from form.check(value, file=source, record=number, line=number,
                                      normalized=True, known_invalid=True)
    finally:
        tally.valid += valid
        tally.invalid += invalid
