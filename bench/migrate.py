"""Throughput of ``yoshiki migrate`` beside ``yoshiki check-data`` on the same JSONL file, one run.

Generates N submissions of bench/check_data.py's 30-field form (about 10 % invalid) as version
1.0.0, and a 2.0.0 that renames one field (``contact`` → ``contact_name``, by a mapping), drops
one (``q5``, to the side file) and adds an optional one. Then measures, as CLI subprocesses
(start-up included, output to files / /dev/null):

- ``yoshiki check-data`` 1.0.0 on the file;
- ``yoshiki migrate --from 1.0.0 --to 2.0.0 --map map.json`` to JSONL (+ side files).

Run: ``.venv/bin/python bench/migrate.py [--rows 100000]``. Goal (issue 15): migrate ≥ 0.5×
check-data's rows/s.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.check_data import form_schema, write_data  # noqa: E402


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    with open("/dev/null", "wb") as devnull:
        proc = subprocess.run([sys.executable, "-m", "cli", *args], stdout=devnull, stderr=subprocess.PIPE,
                              cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr.decode())
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        a = folder / "repo" / "272264" / "bench-form" / "1.0.0"
        b = folder / "repo" / "272264" / "bench-form" / "2.0.0"
        a.mkdir(parents=True)
        b.mkdir(parents=True)
        _, data = write_data(folder, args.rows)
        schema = form_schema()
        (a / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
        new = copy.deepcopy(schema)
        new["$id"] = new["$id"].replace("1.0.0", "2.0.0")
        new["properties"]["contact_name"] = new["properties"].pop("contact")
        del new["properties"]["q5"]
        new["properties"]["newq"] = {"type": "string", "title": "新しい設問", "maxLength": 100}
        (b / "schema.json").write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
        mapping = folder / "map.json"
        mapping.write_text(json.dumps({"renames": {"contact": "contact_name"}}), encoding="utf-8")
        check = _run(["check-data", str(a), str(data)])
        migrate = _run(["migrate", "--from", str(a), "--to", str(b), str(data), "-o", str(folder / "out.jsonl"),
                        "--map", str(mapping)])
        out_rows = sum(1 for _ in (folder / "out.jsonl").open("rb"))
        refused = sum(1 for _ in (folder / "out.refused.jsonl").open("rb"))
        removed = sum(1 for _ in (folder / "out.removed.jsonl").open("rb"))
    rc, rm = args.rows / check, args.rows / migrate
    print(f"rows: {args.rows} (30-field form, ~10 % invalid)")
    print(f"{'check-data CLI':<28}{rc:>12,.0f} rows/s  ({check:.2f} s)")
    print(f"{'migrate CLI':<28}{rm:>12,.0f} rows/s  ({migrate:.2f} s)  "
          f"written {out_rows}, refused {refused}, side file {removed}")
    print(f"{'migrate / check-data':<28}{rm / rc:>12.2f}×  (goal ≥ 0.5×)")
    assert out_rows + refused == args.rows, "rows lost"
    assert removed <= out_rows, "side file entries without a written row"


if __name__ == "__main__":
    main()
