"""The paper form's renderer: time per page and PDF size for every catalogue version.

    .venv/bin/python bench/print.py [--repeat 2]

For each version of templates_repo: the print model (pure Python), the HTML, WeasyPrint's
layout, and the PDF write, each timed (best of ``--repeat``), with the page count, the PDF size
and the size per page; then totals, and the same for a PDF of 20 filled submissions (one sheet
each) to show how the cost grows with sheets. The fonts (Noto Sans CJK JP regular and bold
subsets) dominate the size of a one-sheet PDF.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from registry.layout import iter_version_dirs  # noqa: E402
from registry.paper import html, model, pdf  # noqa: E402
from registry.syntax.refs import SchemaSet  # noqa: E402


def _best(fn, repeat):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    catalogue = ROOT / "templates_repo"
    schemas = SchemaSet.for_folder(catalogue)
    print(f"{'version':52} {'model':>7} {'html':>7} {'pdf':>7} {'pages':>5} {'s/page':>7} {'KB':>6} {'KB/page':>7}")
    tot_pages = tot_pdf = tot_size = 0.0
    for folder in sorted(iter_version_dirs(catalogue)):
        lg, slug, version = folder.parent.parent.name, folder.parent.name, folder.name
        meta = json.loads((folder / "template.json").read_text(encoding="utf-8"))
        schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
        t_model, sheet = _best(functools.partial(model.sheet, meta, schema, schemas, lg=lg,
                                                 slug=slug, version=version), args.repeat)
        t_html, _ = _best(functools.partial(html.document, [sheet]), args.repeat)
        t_pdf, body = _best(functools.partial(pdf.render, [sheet]), args.repeat)
        pages = len(PdfReader(io.BytesIO(body)).pages)
        tot_pages += pages
        tot_pdf += t_pdf
        tot_size += len(body)
        print(f"{lg}/{slug}@{version:10}"[:52].ljust(52),
              f"{t_model * 1000:6.1f}ms {t_html * 1000:6.1f}ms {t_pdf:6.2f}s {pages:5d} "
              f"{t_pdf / pages:6.2f}s {len(body) / 1024:6.0f} {len(body) / 1024 / pages:7.0f}")
    print(f"{'all versions':52} {'':>7} {'':>7} {tot_pdf:6.2f}s {int(tot_pages):5d} "
          f"{tot_pdf / tot_pages:6.2f}s {tot_size / 1024:6.0f} {tot_size / 1024 / tot_pages:7.0f}")
    folder = catalogue / "133035" / "event-application" / "1.0.0"
    meta = json.loads((folder / "template.json").read_text(encoding="utf-8"))
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    example = json.loads(sorted((folder / "examples" / "valid").glob("*.json"))[0].read_text(encoding="utf-8"))
    sheets = [model.sheet(meta, schema, schemas, lg="133035", slug="event-application", version="1.0.0",
                          data=example) for _ in range(20)]
    t, body = _best(functools.partial(pdf.render, sheets), 1)
    pages = len(PdfReader(io.BytesIO(body)).pages)
    print(f"{'133035/event-application 20 filled sheets':52} {'':>7} {'':>7} {t:6.2f}s {pages:5d} "
          f"{t / pages:6.2f}s {len(body) / 1024:6.0f} {len(body) / 1024 / pages:7.0f}")


if __name__ == "__main__":
    main()
