"""Throughput of ``yoshiki check-data`` beside python-jsonschema, jsonschema-rs and the parse floor.

Generates N JSON Lines submissions of a 30-field form (about 10 % invalid) in a temporary folder,
then measures, in one run:

- parse floor: reading the lines and decoding them (msgspec, and the stdlib json for reference);
- jsonschema-rs direct: ``is_valid`` on already-decoded values, and read+decode+``is_valid``;
- python-jsonschema direct: ``is_valid`` on already-decoded values (on a sample; it is slow);
- check-data in-process: the code path the CLI runs (read, normalise, validate, explain, render);
- check-data as a CLI subprocess (includes start-up), output to /dev/null.

Run: ``.venv/bin/python bench/check_data.py [--rows 100000]``. The goal (issue 3): check-data
end to end reaches at least half of jsonschema-rs's throughput.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREFS = ["東京都", "大阪府", "北海道", "京都府", "神奈川県"]


def form_schema() -> dict[str, Any]:
    """A 30-field form in the shape of the catalogue's (patterns, enums, dates, nesting)."""
    s = {"type": "string"}
    props: dict[str, Any] = {
        "name": {**s, "title": "氏名", "maxLength": 40, "x-yoshiki-normalize": ["trim"]},
        "kana": {**s, "title": "フリガナ", "pattern": "^[ァ-ヶー　 ]+$", "maxLength": 40},
        "birth": {**s, "title": "生年月日", "format": "date"},
        "postal": {**s, "title": "郵便番号", "pattern": "^[0-9]{3}-[0-9]{4}$", "x-yoshiki-placeholder": "123-4567"},
        "pref": {"title": "都道府県", "enum": PREFS},
        "city": {**s, "title": "市区町村", "maxLength": 40},
        "street": {**s, "title": "町名番地", "maxLength": 100},
        "building": {**s, "title": "建物名", "maxLength": 100},
        "phone": {**s, "title": "電話番号", "pattern": "^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}$"},
        "email": {**s, "title": "メールアドレス", "format": "email"},
        "school": {**s, "title": "学校名", "maxLength": 60},
        "grade": {"type": "integer", "title": "学年", "minimum": 1, "maximum": 6},
        "class": {**s, "title": "組", "maxLength": 10},
        "kind": {"title": "区分", "enum": ["欠席", "遅刻", "早退"]},
        "date": {**s, "title": "欠席日", "format": "date"},
        "reason": {"title": "理由", "enum": ["体調不良", "通院", "家庭の事情", "その他"]},
        "symptom": {"type": "array", "title": "症状", "items": {"enum": ["発熱", "咳", "腹痛", "頭痛"]},
                    "uniqueItems": True, "maxItems": 4},
        "temperature": {"type": "number", "title": "体温", "minimum": 34, "maximum": 43},
        "contact": {**s, "title": "連絡者", "maxLength": 40},
        "relation": {"title": "続柄", "enum": ["父", "母", "祖父", "祖母", "その他"]},
        "note": {**s, "title": "連絡事項", "maxLength": 400},
        "agree": {"type": "boolean", "title": "同意", "const": True},
        "guardian": {"type": "object", "title": "保護者", "required": ["name"],
                     "properties": {"name": {**s, "title": "保護者氏名", "maxLength": 40},
                                    "phone": {**s, "title": "保護者電話番号", "pattern": "^0[0-9-]{9,12}$"}}},
    }
    for i in range(30 - len(props) - 1):
        props[f"q{i}"] = {**s, "title": f"設問{i}", "maxLength": 200}
    props["count"] = {"type": "integer", "title": "人数", "minimum": 0}
    assert len(props) == 30, len(props)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://yoshiki.invalid/272264/bench-form/1.0.0/schema.json",
        "title": "ベンチマーク用フォーム", "type": "object", "additionalProperties": False,
        "required": ["name", "kana", "postal", "pref", "kind", "date", "agree", "guardian"],
        "properties": props,
    }


def submission(rng: random.Random, invalid: bool) -> dict[str, Any]:
    """One generated submission; an invalid one has one or two realistic mistakes."""
    v: dict[str, Any] = {
        "name": "山田 太郎", "kana": "ヤマダ タロウ", "birth": f"20{rng.randint(10, 18)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "postal": f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}", "pref": rng.choice(PREFS),
        "city": "多摩市", "street": f"関戸{rng.randint(1, 6)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
        "building": "", "phone": f"042-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        "email": f"user{rng.randint(1, 99999)}@example.jp", "school": "多摩第一小学校",
        "grade": rng.randint(1, 6), "class": f"{rng.randint(1, 4)}組", "kind": rng.choice(["欠席", "遅刻", "早退"]),
        "date": f"2024-0{rng.randint(4, 9)}-{rng.randint(10, 28)}", "reason": "体調不良", "symptom": ["発熱", "咳"],
        "temperature": round(rng.uniform(36.0, 39.5), 1), "contact": "山田 花子", "relation": "母",
        "note": "よろしくお願いします。" * rng.randint(0, 5), "agree": True,
        "guardian": {"name": "山田 花子", "phone": "090-1234-5678"}, "count": rng.randint(0, 3),
    }
    for i in range(6):
        v[f"q{i}"] = "特になし"
    if invalid:
        mistake = rng.randrange(5)
        if mistake == 0:
            v["postal"] = "２０６-００１１"
        elif mistake == 1:
            del v["guardian"]["name"]
        elif mistake == 2:
            v["date"] = "2024/4/1"
        elif mistake == 3:
            v["kind"] = "遅れ"
        else:
            v["note"] = "あ" * 401
            v["grade"] = 7
    return v


def write_data(folder: Path, rows: int, seed: int = 7) -> tuple[Path, Path]:
    """The schema file and the JSONL data file (about 10 % invalid)."""
    rng = random.Random(seed)
    schema_path = folder / "schema.json"
    schema_path.write_text(json.dumps(form_schema(), ensure_ascii=False, indent=2), encoding="utf-8")
    data_path = folder / "data.jsonl"
    with data_path.open("w", encoding="utf-8") as f:
        for _ in range(rows):
            f.write(json.dumps(submission(rng, rng.random() < 0.1), ensure_ascii=False) + "\n")
    return schema_path, data_path


def write_csv(folder: Path, schema: dict[str, Any], values: list[dict[str, Any]]) -> Path:
    """The same submissions as CSV with Japanese titles as headers (nested by dots), UTF-8 BOM."""
    import csv

    props = schema["properties"]
    columns: list[tuple[str, tuple[str, ...]]] = []
    for name, sub in props.items():
        if sub.get("type") == "object":
            columns += [(f"{sub['title']}.{inner['title']}", (name, key)) for key, inner in sub["properties"].items()]
        else:
            columns.append((sub["title"], (name,)))
    path = folder / "data.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([title for title, _ in columns])
        for v in values:
            row = []
            for _, keys in columns:
                cell: Any = v
                for k in keys:
                    cell = cell.get(k, "") if isinstance(cell, dict) else ""
                if isinstance(cell, bool):
                    cell = "はい" if cell else "いいえ"
                elif isinstance(cell, list):
                    cell = "、".join(map(str, cell))
                row.append(cell)
            writer.writerow(row)
    return path


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    """Generate the data, run every contender, print rows/s and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=10_000, help="rows for python-jsonschema")
    args = parser.parse_args()

    import jsonschema  # type: ignore[import-untyped]
    import msgspec

    from cli.render import issues as reporters
    from registry.submissions.readers import Tally, check_file
    from registry.submissions.validator import compile_form
    from registry.syntax import validators
    from registry.syntax.refs import SchemaSet

    with tempfile.TemporaryDirectory() as tmp:
        schema_path, data_path = write_data(Path(tmp), args.rows)
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        size_mb = data_path.stat().st_size / 1e6
        lines = data_path.read_bytes().splitlines()
        values = [msgspec.json.decode(line) for line in lines]
        rows = len(values)
        results: dict[str, float] = {}

        def parse_msgspec() -> None:
            decode = msgspec.json.decode
            with data_path.open("rb") as f:
                for raw in f:
                    decode(raw)

        def parse_json() -> None:
            loads = json.loads
            with data_path.open("rb") as f:
                for raw in f:
                    loads(raw)

        rs = validators.compile_schema(schema, validate_formats=True)  # the project's configuration
        invalid = sum(1 for v in values if not rs.is_valid(v))

        def rs_validate_only() -> None:
            is_valid = rs.is_valid
            for v in values:
                is_valid(v)

        def rs_read_decode_validate() -> None:
            decode, is_valid = msgspec.json.decode, rs.is_valid
            with data_path.open("rb") as f:
                for raw in f:
                    is_valid(decode(raw))

        py = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        sample = values[: args.sample]

        def py_validate_only() -> None:
            for v in sample:
                py.is_valid(v)

        def check_data_in_process() -> None:
            form = compile_form(schema, SchemaSet())
            tally = Tally()
            out = io.StringIO()
            for issue in check_file(form, data_path, tally, source="data.jsonl"):
                out.write(reporters.text([issue], "ja", "").rstrip("\n") + "\n")
            assert tally.invalid == invalid, (tally.invalid, invalid)

        def check_data_cli() -> None:
            with open("/dev/null", "w") as devnull:
                proc = subprocess.run([sys.executable, "-m", "cli", "check-data", str(schema_path), str(data_path)],
                                      stdout=devnull, stderr=subprocess.PIPE, cwd=ROOT, check=False)
            assert proc.returncode == 1, proc.stderr

        results["parse floor (read + msgspec decode)"] = rows / timed(parse_msgspec)
        results["parse (read + stdlib json.loads)"] = rows / timed(parse_json)
        results["jsonschema-rs is_valid (decoded values)"] = rows / timed(rs_validate_only)
        results["jsonschema-rs read + msgspec + is_valid"] = rows / timed(rs_read_decode_validate)
        results["python-jsonschema is_valid (decoded values)"] = len(sample) / timed(py_validate_only, repeat=1)
        results["check-data in-process (same path as CLI)"] = rows / timed(check_data_in_process)
        results["check-data CLI subprocess (incl. start-up)"] = rows / timed(check_data_cli, repeat=1)
        csv_path = write_csv(Path(tmp), schema, values)

        def check_data_csv() -> None:
            form = compile_form(schema, SchemaSet())
            tally = Tally()
            for _ in check_file(form, csv_path, tally, source="data.csv"):
                pass
            assert tally.valid + tally.invalid == rows

        results["check-data in-process, same rows as CSV"] = rows / timed(check_data_csv, repeat=1)

    print(f"{rows:,} JSONL submissions of a 30-field form, {size_mb:.1f} MB, {invalid:,} invalid "
          f"({invalid / rows:.1%}); python-jsonschema on {len(sample):,} rows")
    width = max(map(len, results))
    rs_only = results["jsonschema-rs is_valid (decoded values)"]
    rs_e2e = results["jsonschema-rs read + msgspec + is_valid"]
    print(f"{'':{width}}  {'rows/s':>12}  {'÷ rs is_valid':>13}  {'÷ rs e2e':>9}")
    for name, rate in results.items():
        print(f"{name:{width}}  {rate:12,.0f}  {rate / rs_only:13.2f}  {rate / rs_e2e:9.2f}")
    py_rate = results["python-jsonschema is_valid (decoded values)"]
    print(f"jsonschema-rs vs python-jsonschema (validation only): {rs_only / py_rate:.0f}×")
    cd = results["check-data in-process (same path as CLI)"]
    print(f"goal check-data ≥ 0.5 × jsonschema-rs: in-process {cd / rs_only:.2f}× of rs is_valid, "
          f"{cd / rs_e2e:.2f}× of rs read+decode+validate")


if __name__ == "__main__":
    main()
