"""The paper form: every catalogue version as a PDF a resident could fill in by hand.

Real parts: the shipped catalogue, WeasyPrint with the system's Japanese font, poppler's
pdftotext/pdftoppm to read the PDFs back, the CLI in a subprocess. Rendered pages of the
absence notice and 瑞穂町's event application are kept in artifacts/paper/ to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from registry.layout import iter_version_dirs
from registry.paper import html, model, pdf
from registry.syntax.refs import SchemaSet
from registry.web.forms import Widget, widgets

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "templates_repo"
ARTIFACTS = ROOT / "artifacts" / "paper"
VERSIONS = sorted(iter_version_dirs(CATALOGUE))
SCHEMAS = SchemaSet.for_folder(CATALOGUE)
# Words that must never reach a resident's sheet.
FORBIDDEN = re.compile(r"\b(true|false)\b|nfkc|#/|\$defs|/properties|x-yoshiki", re.IGNORECASE)


def _ident(folder: Path) -> tuple[str, str, str]:
    return folder.parent.parent.name, folder.parent.name, folder.name


def _read(folder: Path) -> tuple[Any, Any]:
    return (json.loads((folder / "template.json").read_text(encoding="utf-8")),
            json.loads((folder / "schema.json").read_text(encoding="utf-8")))


def _sheet(folder: Path, data: Any = None) -> model.Sheet:
    lg, slug, version = _ident(folder)
    meta, schema = _read(folder)
    return model.sheet(meta, schema, SCHEMAS, lg=lg, slug=slug, version=version, data=data)


@cache
def _pdf(folder: Path) -> bytes:
    return pdf.render([_sheet(folder)])


def pdftotext(body: bytes, tmp: Path, *, layout: bool = False) -> str:
    path = tmp / "x.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def addressed_to(body: bytes, tmp: Path, addressee: str) -> bool:
    """「〇〇市長　あて」 on one line of the first page."""
    return re.search(re.escape(addressee) + r"\s*あて", pdftotext(body, tmp, layout=True)) is not None


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _leaves(fields: list[Widget]) -> list[Widget]:
    out = []
    for top in fields:
        for w in top.walk():
            out.append(w)
            for item in w.item_fields:
                out.extend(item.walk())
    return out


def _resident_and_staff(folder: Path) -> tuple[list[Widget], list[Widget]]:
    _, schema = _read(folder)
    fields = widgets(schema, SCHEMAS)
    staff = [leaf for w in _leaves(fields) if w.staff_only for leaf in w.walk()]
    staff_ids = {id(w) for w in staff}
    resident = [w for w in _leaves(fields) if id(w) not in staff_ids]
    return resident, staff


def test_catalogue_has_versions() -> None:
    assert len(VERSIONS) >= 20


@pytest.mark.parametrize("folder", VERSIONS, ids=lambda p: "/".join(_ident(p)))
def test_every_catalogue_version_prints_for_residents(folder: Path, tmp_path: Path) -> None:
    body = _pdf(folder)
    assert body.startswith(b"%PDF-")
    text = pdftotext(body, tmp_path)
    flat = _flat(text)
    lg, slug, version = _ident(folder)
    meta, schema = _read(folder)
    pages = text.count("\f")
    assert pages >= 1
    assert _flat(schema["title"]) in flat
    assert addressed_to(body, tmp_path, model.addressee_of(lg))
    layout = pdftotext(body, tmp_path, layout=True)
    for n in range(1, pages + 1):
        assert re.search(rf"(?<![0-9.]){n}\s*/\s*{pages}(?![0-9.])", layout), f"page number {n} / {pages} missing"
    footer = f"{meta['title']}（{lg}/{slug} {version}）"
    assert layout.count(footer) == pages, "footer: the name and version on every page"
    resident, staff = _resident_and_staff(folder)
    for w in resident:
        assert _flat(w.title) in flat, f"{w.pointer}: 「{w.title}」 not on the sheet"
    for w in staff:
        assert _flat(w.title) not in flat, f"staff-only 「{w.title}」 printed for residents"
        assert w.title != "受付方法" or "受付方法" not in flat
    hit = FORBIDDEN.search(text)
    assert hit is None, f"technical text on the resident's sheet: {hit.group(0)!r}"
    for w in resident + staff:
        assert not re.search(r"(?<![\w./-])" + re.escape(w.pointer) + r"(?![\w-])", text), w.pointer
    for office in ("受付印", "受付番号", "処理欄"):
        assert office in flat


def test_mizuho_reception_method_is_staff_only(tmp_path: Path) -> None:
    folder = CATALOGUE / "133035" / "event-application" / "1.0.0"
    text = _flat(pdftotext(_pdf(folder), tmp_path))
    assert "受付方法" not in text
    assert "□上記に同意します" in text
    assert addressed_to(_pdf(folder), tmp_path, "瑞穂町長")
    assert re.search(r"提出先\s+企画部 デジタル推進課", pdftotext(_pdf(folder), tmp_path, layout=True))


@pytest.mark.parametrize("folder", VERSIONS, ids=lambda p: "/".join(_ident(p)))
def test_no_page_holds_a_single_row(folder: Path) -> None:
    counts = pdf.rows_per_page([_sheet(folder)])
    assert sum(counts) == len(_sheet(folder).rows)
    if sum(counts) >= 2:
        assert all(c >= 2 for c in counts), f"rows per page {counts}"


def test_same_version_same_bytes() -> None:
    folder = CATALOGUE / "272264" / "absence-notice" / "1.0.1"
    assert pdf.render([_sheet(folder)]) == _pdf(folder)


def test_pdf_is_a4_with_the_japanese_font_embedded(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(_pdf(CATALOGUE / "272264" / "absence-notice" / "1.0.1"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes yes yes " in line for line in cjk), fonts


def test_rendered_pages_are_kept_as_artefacts() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for folder, name in ((CATALOGUE / "272264" / "absence-notice" / "1.0.1", "absence-notice"),
                         (CATALOGUE / "133035" / "event-application" / "1.0.0", "mizuho-event")):
        target = ARTIFACTS / f"{name}.pdf"
        target.write_bytes(_pdf(folder))
        for old in ARTIFACTS.glob(f"{name}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "100", "-png", str(target), str(ARTIFACTS / name)], check=True)
        pngs = sorted(ARTIFACTS.glob(f"{name}-*.png"))
        assert pngs
        assert all(p.stat().st_size > 10_000 for p in pngs)


def _example(folder: Path) -> dict[str, Any]:
    path = sorted((folder / "examples" / "valid").glob("*.json"))[0]
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value


def test_filled_pdf_holds_the_values_of_a_valid_example(tmp_path: Path) -> None:
    folder = CATALOGUE / "133035" / "event-application" / "1.0.0"
    data = _example(folder)
    text = _flat(pdftotext(pdf.render([_sheet(folder, data)]), tmp_path))
    for key in ("event", "name", "furigana"):
        assert _flat(data[key]) in text
    assert "☑上記に同意します" in text
    assert "受付方法" in text  # staff-only values go to the office box of a filled copy
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


def test_filled_dates_print_with_the_era(tmp_path: Path) -> None:
    folder = CATALOGUE / "272264" / "absence-notice" / "1.0.1"
    data = _example(folder)
    text = _flat(pdftotext(pdf.render([_sheet(folder, data)]), tmp_path))
    assert _flat(model.wareki(data["date_from"])) in text
    assert data["student"]["school"] in text


def test_wareki_and_addressee() -> None:
    assert model.wareki("2026-04-01") == "令和8年4月1日"
    assert model.wareki("2019-05-01") == "令和元年5月1日"
    assert model.wareki("2019-04-30") == "平成31年4月30日"
    assert model.wareki("1989-01-07") == "昭和64年1月7日"
    assert model.wareki("not a date") == "not a date"
    assert model.western("2026-04-01") == "2026年4月1日"
    assert model.addressee_of("133035") == "瑞穂町長"
    assert model.addressee_of("130001") == "東京都知事"


def test_city_settings_addressee_contact_qr_and_western_years(tmp_path: Path) -> None:
    folder = CATALOGUE / "133035" / "event-application" / "1.0.0"
    meta, schema = _read(folder)
    meta["paper"] = {"addressee": "瑞穂町教育委員会", "submit_to": "役場 2 階 3 番窓口",
                     "contact": "042-557-0599", "online_url": "https://www.town.mizuho.tokyo.jp/e/1",
                     "years": "western"}
    sheet = model.sheet(meta, schema, SCHEMAS, lg="133035", slug="event-application", version="1.0.0")
    markup = html.document([sheet])
    assert "<svg" in markup
    assert "http://" not in markup.replace("http://www.w3.org", "")
    body = pdf.render([sheet])
    text = _flat(pdftotext(body, tmp_path))
    assert addressed_to(body, tmp_path, "瑞穂町教育委員会")
    for expected in ("役場2階3番窓口", "042-557-0599", "オンラインでも"):
        assert expected in text
    assert "令和" not in text


def test_a_long_comment_gets_a_tall_box_and_long_lists_a_write_in_box() -> None:
    sheet = _sheet(CATALOGUE / "132241" / "public-comment" / "1.0.0")
    opinion = next(r for r in sheet.rows if r.title.startswith("ご意見"))
    assert opinion.kind == "tall"
    assert opinion.lines >= 12
    assert opinion.overflow_note
    pref = next(r for r in sheet.rows if r.title == "都道府県")
    assert pref.kind == "writein"
    assert not pref.choices


def test_several_submissions_one_per_sheet_with_their_own_page_numbers(tmp_path: Path) -> None:
    folder = CATALOGUE / "133035" / "event-application" / "1.0.0"
    examples = [json.loads(p.read_text(encoding="utf-8"))
                for p in sorted((folder / "examples" / "valid").glob("*.json"))][:2]
    one = pdf.rows_per_page([_sheet(folder, examples[0])])
    body = pdf.render([_sheet(folder, e) for e in examples])
    text = pdftotext(body, tmp_path)
    assert text.count("\f") == 2 * len(one)
    assert _flat(text).count(f"1/{len(one)}") == 2


def test_the_renderer_fetches_nothing_from_the_network() -> None:
    fetcher = pdf._fetcher()
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher.fetch("http://example.invalid/x.css")
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher.fetch("file:///etc/passwd")


def _yoshiki(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cwd, capture_output=True,
                          text=True, env=None)


def test_cli_print_folder_key_and_data(tmp_path: Path) -> None:
    folder = CATALOGUE / "133035" / "event-application" / "1.0.0"
    r = subprocess.run([sys.executable, "-m", "cli", "print", str(folder), "-o", str(tmp_path / "a.pdf")],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.pdf").read_bytes() == _pdf(folder)
    r = subprocess.run([sys.executable, "-m", "cli", "print", "133035/event-application@1.0.0"],
                       cwd=tmp_path, capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "133035-event-application-1.0.0.pdf").read_bytes() == _pdf(folder)
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in
                              [json.loads(p.read_text(encoding="utf-8")) for p in
                               sorted((folder / "examples" / "valid").glob("*.json"))]) + "\n",
                    encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cli", "print", str(folder), "--data", str(rows),
                        "-o", str(tmp_path / "f.pdf")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = _flat(pdftotext((tmp_path / "f.pdf").read_bytes(), tmp_path))
    assert "申請内容の写し（1/" in text
    csv = tmp_path / "rows.csv"
    csv.write_text("event,name,furigana,participants,privacy_agreement\n"
                   "そば打ち体験,山田 花子,ヤマダ ハナコ,2,はい\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cli", "print", str(folder), "--data", str(csv),
                        "-o", str(tmp_path / "c.pdf")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = _flat(pdftotext((tmp_path / "c.pdf").read_bytes(), tmp_path))
    assert "山田花子" in text
    assert "☑上記に同意します" in text


def test_cli_print_errors(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "cli", "print", "133035/event-application@9.9.9"],
                       cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 3
    assert "9.9.9" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"event": "x"}\n{not json\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "cli", "print", str(CATALOGUE / "133035" / "event-application" / "1.0.0"),
                        "--data", str(bad), "-o", str(tmp_path / "x.pdf")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2
    assert "bad.jsonl:2" in r.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pdf, "FONT_DIRS", (tmp_path,))
    pdf.japanese_font.cache_clear()
    try:
        with pytest.raises(pdf.RendererUnavailable, match="fonts-noto-cjk"):
            pdf.render([_sheet(CATALOGUE / "133035" / "event-application" / "1.0.0")])
    finally:
        pdf.japanese_font.cache_clear()


def test_print_model_is_pure() -> None:
    """The print model and the data readers load no framework, template engine or typesetter."""
    code = ("import sys, registry.paper.model, registry.paper.data; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'litestar', 'sqlmodel', "
            "'sqlalchemy', 'git', 'weasyprint', 'jinja2', 'httpx', 'click'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_poppler_is_there() -> None:
    assert shutil.which("pdftotext"), "install Debian's poppler-utils"
    assert shutil.which("pdftoppm"), "install Debian's poppler-utils"
