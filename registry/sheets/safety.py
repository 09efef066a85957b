"""Open an .xlsx safely: look at the zip before any XML is parsed.

An .xlsx is a zip of XML files. Before openpyxl parses anything, the zip's directory is checked:
the number of entries, each entry's declared size and compression ratio (a zip bomb declares
gigabytes from kilobytes), and macros (``xl/vbaProject.bin``, an .xlsm) are refused. Merged cells
are found by scanning the sheet XML for ``<mergeCell`` so the error can name them.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from registry.errors import UsageError

MAX_ENTRIES = 2_000
MAX_ENTRY_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for entries over 1 MiB
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_REL2 = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


def refuse(path: Path | str, en: str, ja: str) -> UsageError:
    """A usage error naming the workbook."""
    return UsageError(f"{path}: {en}", detail_ja=f"{path}: {ja}")


def check_zip(path: Path) -> dict[str, list[str]]:
    """Check the workbook's zip; returns merged cell ranges by sheet name. Raises UsageError."""
    if path.suffix.lower() == ".xlsm":
        raise refuse(path, "macro-enabled workbooks (.xlsm) are not read; save it as .xlsx",
                     "マクロ有効ブック（.xlsm）は読みません。.xlsx 形式で保存し直してください")
    if not zipfile.is_zipfile(path):
        raise refuse(path, "this is not an .xlsx workbook (save it from Excel as .xlsx)",
                     "Excel ブック（.xlsx）ではありません。Excel で .xlsx 形式として保存してください")
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        if len(infos) > MAX_ENTRIES:
            raise refuse(path, f"the workbook has {len(infos)} parts (at most {MAX_ENTRIES})",
                         f"ブックの構成要素が多すぎます（{len(infos)} 個、上限 {MAX_ENTRIES}）")
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if (info.file_size > MAX_ENTRY_BYTES or total > MAX_TOTAL_BYTES
                    or (info.file_size > 1 << 20 and ratio > MAX_RATIO)):
                raise refuse(path, f"the part {info.filename} expands to {info.file_size} bytes "
                             f"({ratio:.0f}× its compressed size): refused as a possible zip bomb",
                             f"{info.filename} が展開すると {info.file_size} バイト（圧縮の {ratio:.0f} 倍）になります。"
                             "圧縮爆弾の疑いがあるため読みません")
            if info.filename.lower().endswith("vbaproject.bin"):
                raise refuse(path, "the workbook contains macros (vbaProject.bin); save it as .xlsx without macros",
                             "ブックにマクロ（vbaProject.bin）が含まれています。マクロなしの .xlsx で保存し直してください")
        return _merged_cells(z)


def _merged_cells(z: zipfile.ZipFile) -> dict[str, list[str]]:
    names = set(z.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    rels_xml = z.read("xl/_rels/workbook.xml.rels")
    rels = {m[1]: m[2] for m in _REL.finditer(rels_xml)}
    rels.update({m[2]: m[1] for m in _REL2.finditer(rels_xml)})
    out: dict[str, list[str]] = {}
    for m in _SHEET.finditer(z.read("xl/workbook.xml")):
        target = rels.get(m[2], b"").decode()
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if part not in names:
            continue
        found: list[str] = []
        tail = b""
        with z.open(part) as f:
            while chunk := f.read(1 << 20):
                data = tail + chunk
                found.extend(x[1].decode() for x in _MERGE.finditer(data))
                tail = data[-200:]
                if len(found) > 50:
                    break
        if found:
            out[m[1].decode()] = sorted(set(found))
    return out


def open_workbook(path: Path, *, merged_ok: bool = False) -> Any:
    """openpyxl workbook in read-only mode (formulas kept as text), after :func:`check_zip`."""
    merged = check_zip(path)
    if merged and not merged_ok:
        sheet, ranges = next(iter(merged.items()))
        raise refuse(path, f"sheet {sheet} has merged cells ({', '.join(ranges[:5])}); unmerge them",
                     f"{sheet} シートに結合されたセル（{'、'.join(ranges[:5])}）があります。セルの結合を解除してください")
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise refuse(path, f"cannot read the workbook ({exc})", f"ブックを読めません（{exc}）") from None


def is_formula(value: Any) -> bool:
    """True for a formula cell read with data_only=False."""
    return isinstance(value, str) and value.startswith("=") and len(value) > 1
