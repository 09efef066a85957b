"""The paper form as PDF: WeasyPrint typesets ``registry.paper.html.document`` on A4.

Deterministic: the same sheets give the same bytes (no creation date, a fixed document id
derived from the HTML), so a version's blank PDF can carry a strong ETag. Offline: the URL
fetcher accepts ``data:`` URIs only (the document inlines its CSS and QR code), and the
Japanese font comes from the system (Debian's ``fonts-noto-cjk``), embedded as a subset so the
text stays selectable. A missing font or Pango is a clear error naming the package.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path
from typing import Any

from registry.errors import RegistryError, Unavailable
from registry.paper import html
from registry.paper.model import Sheet

FONT_PACKAGE = "fonts-noto-cjk"
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts",
             Path.home() / ".local/share/fonts")
FONT_FILES = ("NotoSansCJK", "NotoSansJP", "ipaexg")


class RendererUnavailable(Unavailable):
    """The PDF renderer cannot run here (a system package is missing)."""


@functools.cache
def japanese_font() -> Path:
    """The system's Japanese font file, or RendererUnavailable naming the package."""
    for folder in FONT_DIRS:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.name.startswith(FONT_FILES) and path.suffix.lower() in (".ttc", ".otf", ".ttf"):
                return path
    raise RendererUnavailable(
        f"no Japanese font found: install Debian's {FONT_PACKAGE} (apt-get install {FONT_PACKAGE}); "
        "scripts/dev test installs it",
        detail_ja=f"日本語フォントがありません。Debian の {FONT_PACKAGE} を入れてください"
                  f"（apt-get install {FONT_PACKAGE}。scripts/dev test が入れます）")


@functools.cache
def _weasyprint() -> Any:
    try:
        import weasyprint
    except OSError as exc:  # WeasyPrint loads Pango through cffi at import time
        raise RendererUnavailable(
            f"WeasyPrint cannot load Pango ({exc}): install Debian's {PANGO_PACKAGES}",
            detail_ja=f"PDF の組版に使う Pango を読み込めません。Debian の {PANGO_PACKAGES} を入れてください") from exc
    # Its progress log says "Step 1…7" at INFO for every PDF: noise in a server's log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    return weasyprint


def _fetcher() -> Any:
    wp = _weasyprint()
    return wp.urls.URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def render(sheets: list[Sheet]) -> bytes:
    """PDF bytes of the sheets: one document, each sheet from a new page.

    Several sheets (submissions) are laid out as separate documents and their pages joined, so
    each sheet's page numbers read 「1 / 2」 on its own.
    """
    japanese_font()
    wp = _weasyprint()
    fetcher = _fetcher()
    pages: list[Any] = []
    first: Any = None
    digest = hashlib.sha256()
    for sheet in sheets:
        markup = html.document([sheet])
        digest.update(markup.encode("utf-8"))
        doc = wp.HTML(string=markup, url_fetcher=fetcher, base_url="data:,").render()
        first = first or doc
        pages.extend(doc.pages)
    if first is None:
        raise RegistryError("nothing to print", detail_ja="印刷するものがありません")
    whole = first.copy(pages)
    whole.metadata.created = None
    whole.metadata.modified = None
    identifier = digest.hexdigest()[:32].encode("ascii")
    pdf: bytes = whole.write_pdf(pdf_identifier=identifier)
    return pdf


def rows_per_page(sheets: list[Sheet]) -> list[int]:
    """How many form rows each page of the sheets' PDF holds (the no-orphan check)."""
    japanese_font()
    wp = _weasyprint()
    counts: list[int] = []
    for sheet in sheets:
        doc = wp.HTML(string=html.document([sheet]), url_fetcher=_fetcher(),
                      base_url="data:,").render()
        for page in doc.pages:
            counts.append(_count_rows(page._page_box))
    return counts


def _count_rows(box: Any) -> int:
    element = getattr(box, "element", None)
    classes = (element.get("class") or "").split() if element is not None else []
    if "p-field" in classes and getattr(box, "element_tag", "") == "table" \
            and type(box).__name__ == "TableBox":
        return 1
    return sum(_count_rows(child) for child in getattr(box, "children", []))


__all__ = ["FONT_PACKAGE", "RendererUnavailable", "japanese_font", "render", "rows_per_page"]
