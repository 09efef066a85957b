"""Reading submissions: the corpus under tests/data/submissions, encodings, coercion, streaming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registry.errors import NotFound, UsageError
from registry.submissions import readers as submissions
from registry.submissions.readers import (
    CsvColumns,
    Tally,
    check_file,
    coerce,
    detect_encoding,
    iter_records,
)
from registry.submissions.validator import FormValidator, compile_form
from registry.syntax.documents import read_json
from registry.syntax.refs import SchemaSet

CORPUS = Path(__file__).resolve().parent.parent / "data" / "submissions"


@pytest.fixture(scope="module")
def form() -> FormValidator:
    """The corpus's absence-notice form."""
    return compile_form(read_json(CORPUS / "form.schema.json"), SchemaSet())


def _data_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".json", ".jsonl", ".csv")
                  and not p.name.endswith((".expected.json", ".schema.json")))


@pytest.mark.parametrize("data", _data_files(), ids=lambda p: p.name)
def test_corpus(data: Path, form: FormValidator) -> None:
    """Each data file gives the counts and the literal Japanese messages its .expected.json lists."""
    expected = json.loads((CORPUS / (data.name.replace(".", "-") + ".expected.json")).read_text(encoding="utf-8"))
    tally = Tally()
    issues = list(check_file(form, data, tally, source=data.name))
    assert (tally.valid, tally.invalid) == (expected["valid"], expected["invalid"])
    assert [[i.record, i.rule, i.pointer, i.message_ja] for i in issues] == expected["issues"]
    assert all(i.file == data.name and i.message for i in issues)


def test_cp932_csv_is_really_cp932() -> None:
    """The committed CP932 file is not UTF-8, and is detected as CP932."""
    raw = (CORPUS / "cp932.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert detect_encoding(CORPUS / "cp932.csv") == "cp932"
    assert detect_encoding(CORPUS / "utf8-bom.csv") == "utf-8-sig"
    assert detect_encoding(CORPUS / "utf8.csv") == "utf-8-sig"


def test_shift_jis_written_by_a_fixture(tmp_path: Path, form: FormValidator) -> None:
    """A Shift_JIS file with half-width katakana (Excel's habit) and --encoding cp932."""
    path = tmp_path / "sj.csv"
    path.write_bytes("保護者氏名,郵便番号,区分,欠席日,連絡事項\r\nﾔﾏﾀﾞ ﾊﾅｺ,206-0011,欠席,2024-04-01,①発熱のため\r\n".encode("cp932"))
    tally = Tally()
    assert list(check_file(form, path, tally, encoding="cp932")) == []
    assert tally.valid == 1
    rec = next(iter_records(path, columns=CsvColumns(form.schema, form.resolver)))
    assert rec.value["note"] == "①発熱のため"


def test_csv_wrong_encoding_is_a_message(tmp_path: Path, form: FormValidator) -> None:
    """A CP932 file read as UTF-8 is reported with its row, not a traceback."""
    path = tmp_path / "x.csv"
    path.write_bytes("保護者氏名,郵便番号\n".encode() + "山田,206-0011\n".encode("cp932"))
    issues = list(check_file(form, path, Tally(), encoding="utf-8"))
    assert [(i.rule, i.line, i.message_ja) for i in issues] == [("csv.encoding", 2, "2 行目を UTF-8 として読めません。")]


@pytest.mark.parametrize(("cell", "types", "expected"), [
    ("3", {"integer"}, 3), (" 3 ", {"integer"}, 3), ("三", {"integer"}, "三"), ("3.5", {"integer"}, "3.5"),
    ("3.5", {"number"}, 3.5), ("4", {"number"}, 4), ("はい", {"boolean"}, True), ("いいえ", {"boolean"}, False),
    ("TRUE", {"boolean"}, True), ("maybe", {"boolean"}, "maybe"), ("0123", {"string"}, "0123"),
    ("発熱、咳", {"array"}, ["発熱", "咳"]), ("1;2", {"array"}, ["1", "2"]), ("x", set(), "x"),
])
def test_coerce(cell: str, types: set[str], expected: Any) -> None:
    """CSV cells are converted by the field's types; what cannot convert stays text for the validator."""
    assert coerce(cell, frozenset(types)) == expected


def test_coerce_array_items() -> None:
    """Array cells split and their items convert by the item type."""
    assert coerce("1, 2、3", frozenset({"array"}), frozenset({"integer"})) == [1, 2, 3]


def test_csv_headers_by_name_title_and_dotted(form: FormValidator) -> None:
    """Headers may be property names, Japanese titles, dotted paths or a unique leaf title."""
    cols = CsvColumns(form.schema, form.resolver)
    assert cols.column("guardian").tokens == ("guardian",)
    assert cols.column("保護者氏名").tokens == ("guardian",)
    assert cols.column("郵便番号").tokens == ("postal",)  # the title of the $ref target
    assert cols.column("child.name").tokens == ("child", "name")
    assert cols.column("児童.児童氏名").tokens == ("child", "name")
    assert cols.column("組").tokens == ("child", "class")
    assert cols.column("組").types == frozenset({"integer"})
    assert cols.column("unknown.x").tokens == ("unknown", "x")


def test_json_array_streams_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny chunks split numbers, strings and multi-byte characters; the records are unchanged."""
    values = [{"n": 12345, "s": "多摩市 関戸", "f": 1.5e3, "b": True, "z": None, "l": [1, [2, {"x": "y"}]]},
              {"n": -7}, 3, "文字", [], {}]
    path = tmp_path / "a.json"
    path.write_text("[\n" + ",\n\n".join(json.dumps(v, ensure_ascii=False) for v in values) + "\n]\n", encoding="utf-8")
    for chunk in (1, 2, 3, 7, 64):
        monkeypatch.setattr(submissions, "CHUNK", chunk)
        records = list(iter_records(path))
        assert [r.value for r in records] == values
        assert [r.number for r in records] == [1, 2, 3, 4, 5, 6]
        assert [r.line for r in records] == [2, 4, 6, 8, 10, 12]


@pytest.mark.parametrize(("text", "rule", "line", "column"), [
    ('[{"a": 1},\n {"a": 2,}]', "json.syntax", 2, 10),
    ('[{"a": 1}\n {"a": 2}]', "json.syntax", 2, 2),
    ('[{"a": 1},', "json.syntax", 1, 11),
    ('{"a": 1,\n"b"}', "json.syntax", 2, 4),
    ("   \n", "json.empty", None, None),
])
def test_json_errors_have_positions(tmp_path: Path, text: str, rule: str, line: int | None,
                                    column: int | None) -> None:
    """Broken JSON (array or object) is one record with an issue carrying line and column."""
    path = tmp_path / "b.json"
    path.write_text(text, encoding="utf-8")
    errors = [r.error for r in iter_records(path) if r.error is not None]
    assert [(e.rule, e.line, e.column) for e in errors][-1:] == [(rule, line, column)]


def test_json_not_utf8(tmp_path: Path) -> None:
    """A Shift_JIS JSON file is a clear encoding error."""
    path = tmp_path / "sj.json"
    path.write_bytes('{"氏名": "山田"}'.encode("cp932"))
    [record] = list(iter_records(path))
    assert record.error is not None
    assert record.error.rule == "json.encoding"
    path.write_bytes(b'[{"a": 1}, ' + '{"氏名": "山田"}]'.encode("cp932"))
    assert [r.error.rule for r in iter_records(path) if r.error] == ["json.encoding"]


def test_jsonl_bom_blank_lines_and_bad_lines(tmp_path: Path, form: FormValidator) -> None:
    """JSON Lines: a BOM on line 1 is fine, blank lines are skipped, a bad line is reported by line."""
    path = tmp_path / "d.jsonl"
    good = json.dumps({"guardian": "山田 花子", "postal": "206-0011", "kind": "欠席", "date": "2024-04-01"},
                      ensure_ascii=False)
    path.write_bytes(b"\xef\xbb\xbf" + good.encode() + b"\n\n   \n" + b"{oops\n" + "\xff".encode("latin-1") + b"\n")
    tally = Tally()
    issues = list(check_file(form, path, tally))
    assert [(i.rule, i.record, i.column) for i in issues] == [("json.syntax", 4, 2), ("json.encoding", 5, None)]
    assert (tally.valid, tally.invalid) == (1, 2)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    """A .txt file is a usage error; a missing one is NotFound."""
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError):
        iter_records(tmp_path / "a.txt")
    with pytest.raises(NotFound):
        iter_records(tmp_path / "nope.json")
