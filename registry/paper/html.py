"""The print model as HTML and CSS: one document for the print page and for the PDF.

``body(sheets)`` is the markup of one or more sheets (the print page puts it in its chrome);
``document(sheets)`` is a standalone HTML document with the CSS inline and the footer of every
page (the template's name and version, page numbers 「1 / 2」) — what WeasyPrint typesets.
Nothing refers to another host: the QR code is inline SVG made here by ``segno``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jinja2
import markupsafe

from registry.paper.model import Sheet

HERE = Path(__file__).resolve().parent


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


@functools.cache
def css() -> str:
    """The paper form's stylesheet (A4, rows, office box, page numbers)."""
    return (HERE / "paper.css").read_text(encoding="utf-8")


def qr_svg(url: str) -> str:
    """An inline SVG QR code of ``url`` (error correction M), sized by CSS."""
    import segno

    code = segno.make(url, error="m", micro=False)
    svg: str = code.svg_inline(scale=1, omitsize=True, border=2)
    return svg


def _with_qr(sheets: list[Sheet]) -> list[Sheet]:
    for s in sheets:
        if s.settings.online_url and s.qr_svg is None:
            s.qr_svg = qr_svg(s.settings.online_url)
    return sheets


def _css_string(text: str) -> str:
    # A JSON string is a valid CSS string once non-ASCII stays as it is and quotes are escaped.
    return json.dumps(text, ensure_ascii=False).replace("<", "\\3C ")


def footer_css(sheet: Sheet) -> str:
    """The page footer: the template's name and version on every page of this document."""
    return ("@page { @bottom-left { content: " + _css_string(sheet.footer) +
            "; font-size: 7.5pt; width: 150mm; } }")


def body(sheets: list[Sheet]) -> str:
    """The sheets' markup (no <html>, no stylesheet)."""
    macro = _env().get_template("sheet.html").module.sheet  # type: ignore[attr-defined]
    return "".join(str(macro(s)) for s in _with_qr(sheets))


def document(sheets: list[Sheet]) -> str:
    """A standalone HTML document of the sheets, CSS inline: what the PDF is made from."""
    title = sheets[0].title if sheets else ""
    style = css() + "\n" + (footer_css(sheets[0]) if sheets else "")
    return ("<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
            f"<title>{markupsafe.escape(title)}</title>"
            f"<style>{style}</style></head><body class=\"paper\">{body(sheets)}</body></html>")


__all__ = ["body", "css", "document", "footer_css", "qr_svg"]
