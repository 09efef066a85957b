"""The paper form as a print model: what goes on the sheet, built from template.json + schema.

Pure: no web framework, no typesetting. ``sheet(...)`` walks the form's widgets
(``registry.web.forms.widgets``, the same walk the online preview uses) and decides what a
resident sees on paper: rows in schema order, staff-only fields left out, help text only from
``description`` (technical notes live in ``x-yoshiki-note``), consent boxes with their label,
dates with the era, answer boxes sized by ``maxLength``, long choice lists as write-in boxes.
The city's own settings (addressee, 提出先, 問い合わせ先, online URL) come from template.json's
``paper`` and ``local`` (never merged from upstream; see ``registry.merge.TEMPLATE_OWN_FIELDS``).
With a submission the same rows carry its values (a filled copy for a paper file).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from registry.municipalities import lookup, name_of
from registry.syntax.refs import SchemaSet
from registry.web.forms import Widget, widgets

CHOICES_MAX = 12          # more options than this: a write-in box (47 都道府県)
CHARS_PER_LINE = 40       # full-width characters per handwritten line of a wide box
TALL_MAX_LINES = 14       # a textarea is at most this many lines (two fit on a page)
TALL_MIN_LINES = 3
TABLE_ROWS_MAX = 6        # rows of a table (an array of objects) on paper
URL_MAX = 500
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
# A pattern of a clock time (10:30): printed as 「　　時　　分」.
_CLOCK = re.compile(r":\[0-5\]\[0-9\]\)?\$?$")
# (first day, era): the eras a living resident's dates fall in.
ERAS = ((date(2019, 5, 1), "令和"), (date(1989, 1, 8), "平成"), (date(1926, 12, 25), "昭和"),
        (date(1912, 7, 30), "大正"))
BIRTH_ERAS = "昭和・平成・令和"


@dataclass(frozen=True)
class PaperSettings:
    """The city's own settings for its paper form (template.json ``paper``, then ``local``)."""

    addressee: str
    submit_to: str | None = None
    contact: str | None = None
    online_url: str | None = None
    years: str = "wareki"          # wareki: 令和　年; western: 西暦


@dataclass
class Choice:
    label: str
    checked: bool = False


@dataclass
class Row:
    """One question on paper: a label cell and an answer cell."""

    title: str
    kind: str          # text date clock postal choices check writein tall lines table
    required: bool = False
    when: str | None = None            # 「理由が「その他」の場合」
    help: str | None = None
    width: str = "full"                # s m full: the width of a one-line box
    lines: int = 1                     # handwritten lines of a tall box
    choices: list[Choice] = field(default_factory=list)
    columns: int = 0                   # 0: in one line; 2 or 3: in columns
    multi: bool = False
    check_label: str | None = None
    date_prefix: str = ""              # 令和 / 昭和・平成・令和 / "" (western)
    value: str | None = None           # a filled value as printed
    value_lines: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    group: str | None = None           # the heading printed before this row (first of a group)
    group_help: str | None = None
    depth: int = 0
    last: bool = False                 # kept on the page of the row before it (no orphan row)
    overflow_note: str | None = None


@dataclass
class Sheet:
    """One paper form (blank or filled)."""

    title: str
    town: str
    addressee: str
    lead: str | None
    rows: list[Row]
    footer: str
    key: str
    settings: PaperSettings
    years: str
    filled: bool = False
    caption: str | None = None         # 「受信した申請の写し (2 件目)」
    staff_values: list[tuple[str, str]] = field(default_factory=list)
    filled_on: str | None = None
    qr_svg: str | None = None          # set by registry.paper.html from settings.online_url


def addressee_of(lg: str) -> str:
    """〇〇市長 / 〇〇町長 / 東京都知事: the head of the municipality a form is addressed to."""
    town = lookup(lg)
    if town is None:
        return name_of(lg)
    return town.name + ("知事" if town.kind == "prefecture" else "長")


def _text(value: Any, limit: int) -> str | None:
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None


def settings_of(template: Any, lg: str) -> PaperSettings:
    """The city's own paper settings, with what it already says in ``local``/``maintainers``."""
    t: dict[str, Any] = template if isinstance(template, dict) else {}
    paper: dict[str, Any] = t["paper"] if isinstance(t.get("paper"), dict) else {}
    local: dict[str, Any] = t["local"] if isinstance(t.get("local"), dict) else {}
    maint = t.get("maintainers")
    first: dict[str, Any] = maint[0] if isinstance(maint, list) and maint and isinstance(maint[0], dict) else {}
    url = _text(paper.get("online_url"), URL_MAX)
    if url is not None and not url.startswith(("https://", "http://")):
        url = None
    return PaperSettings(
        addressee=_text(paper.get("addressee"), 100) or addressee_of(lg),
        submit_to=_text(paper.get("submit_to"), 200) or _text(local.get("department"), 100)
        or _text(first.get("department"), 100),
        contact=_text(paper.get("contact"), 200) or _text(local.get("contact"), 200)
        or _text(first.get("contact"), 200),
        online_url=url,
        years="western" if paper.get("years") == "western" else "wareki",
    )


def wareki(iso: str) -> str:
    """2026-04-01 → 令和8年4月1日 (元年 for the first year); other text as it is."""
    m = _DATE.match(iso)
    if not m:
        return iso
    try:
        d = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return iso
    for start, era in ERAS:
        if d >= start:
            year = d.year - start.year + 1
            return f"{era}{'元' if year == 1 else year}年{d.month}月{d.day}日"
    return western(iso)


def western(iso: str) -> str:
    """2026-04-01 → 2026年4月1日."""
    m = _DATE.match(iso)
    return f"{int(m[1])}年{int(m[2])}月{int(m[3])}日" if m else iso


def _at(data: Any, pointer: str) -> tuple[bool, Any]:
    node = data
    for part in pointer.split("/")[1:]:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _label(w: Widget, value: Any) -> str:
    for v, label in w.options:
        if v == _plain(value):
            return label
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Builder:
    def __init__(self, fields: list[Widget], years: str, data: Any | None) -> None:
        self.years = years
        self.data = data
        self.by_name = {w.name: w for top in fields for w in top.walk()}
        self.staff: list[tuple[str, str]] = []

    def rows(self, fields: list[Widget], depth: int = 0) -> list[Row]:
        out: list[Row] = []
        for w in fields:
            if w.staff_only:
                self._staff(w)
                continue
            if w.kind == "fieldset":
                inner = self.rows(w.children, depth + 1)
                if inner:
                    inner[0].group = w.title + ("（必須）" if w.required else "")
                    inner[0].group_help = w.description
                    if w.condition and inner[0].when is None:
                        inner[0].when = self._when(w)
                out.extend(inner)
                continue
            row = self.row(w)
            row.depth = depth
            out.append(row)
        return out

    def _staff(self, w: Widget) -> None:
        if self.data is None:
            return
        for leaf in w.walk():
            present, value = _at(self.data, leaf.pointer)
            if present and leaf.kind != "fieldset":
                self.staff.append((leaf.title, _label(leaf, value)))

    def _when(self, w: Widget) -> str | None:
        if w.condition is None:
            return None
        other = self.by_name.get(w.condition.name)
        if other is None:
            return None
        labels = dict(other.options)
        shown = "・".join(f"「{labels.get(v, v)}」" for v in w.condition.values
                         if v not in ("true", "false"))
        if not shown:
            return f"「{other.title}」に該当する場合"
        return f"{other.title}が{shown}の場合"

    def row(self, w: Widget) -> Row:
        row = Row(title=w.title, kind="text", required=w.required, help=w.description,
                  when=self._when(w) if w.condition else None)
        present, value = _at(self.data, w.pointer) if self.data is not None else (False, None)
        kind = w.kind
        if kind in ("radio", "select", "checkboxes") and len(w.options) > CHOICES_MAX:
            row.kind = "writein"
            row.width = "m"
            if present:
                row.value = "、".join(_label(w, v) for v in value) if isinstance(value, list) \
                    else _label(w, value)
        elif kind in ("radio", "select", "checkboxes"):
            row.kind, row.multi = "choices", kind == "checkboxes"
            chosen = {_plain(v) for v in (value if isinstance(value, list) else [value])} \
                if present else set()
            row.choices = [Choice(label, v in chosen) for v, label in w.options]
            longest = max((len(c.label) for c in row.choices), default=0)
            total = sum(len(c.label) + 3 for c in row.choices)
            row.columns = 0 if total <= 36 and len(row.choices) <= 4 else (3 if longest <= 10 else 2)
        elif kind == "checkbox":
            row.kind = "check"
            row.check_label = w.consent_label or "はい"
            row.choices = [Choice(row.check_label, present and value is True)]
        elif kind == "date":
            row.kind = "date"
            birth = (w.ref_id or "").endswith("/common/birth-date.json")
            row.date_prefix = "" if self.years == "western" else (BIRTH_ERAS if birth else "令和")
            if present:
                row.value = western(str(value)) if self.years == "western" else wareki(str(value))
        elif kind in ("textarea", "lines"):
            row.kind = "tall" if kind == "textarea" else "lines"
            if kind == "textarea":
                per = math.ceil((w.max_length or CHARS_PER_LINE * 4) / CHARS_PER_LINE)
                row.lines = max(TALL_MIN_LINES, min(TALL_MAX_LINES, per))
                if (w.max_length or 0) > row.lines * CHARS_PER_LINE:
                    row.overflow_note = "書ききれない場合は別紙に記入して添えてください。"
                if present:
                    row.value_lines = str(value).splitlines() or [""]
            else:
                row.lines = max(2, min(8, w.max_items or 3))
                if present and isinstance(value, list):
                    row.value_lines = [_plain(v) for v in value]
        elif kind == "unsupported" and w.item_fields:
            row.kind = "table"
            leaves = [leaf for f in w.item_fields for leaf in f.walk()
                      if leaf.kind != "fieldset" and not leaf.staff_only]
            row.headers = [leaf.title for leaf in leaves]
            items = value if present and isinstance(value, list) else []
            n = max(len(items), min(TABLE_ROWS_MAX, w.max_items or 3))
            prefix = w.pointer + "/-"
            row.cells = []
            for i in range(n):
                item = items[i] if i < len(items) else None
                cells = []
                for leaf in leaves:
                    found, v = _at(item, leaf.pointer[len(prefix):]) if item is not None else (False, None)
                    cells.append(self._cell(leaf, v) if found else "")
                row.cells.append(cells)
            if (w.max_items or 0) > n:
                row.overflow_note = "書ききれない場合は別紙に記入して添えてください。"
        elif kind == "unsupported":
            row.kind, row.lines = "tall", TALL_MIN_LINES
            if present:
                row.value_lines = [_plain(value)]
        else:
            if w.name.endswith("postal_code") or (w.ref_id or "").endswith("/common/postal-code.json"):
                row.kind = "postal"
            elif w.format == "time" or (w.pattern and _CLOCK.search(w.pattern)):
                row.kind = "clock"
            ml = w.max_length
            row.width = "s" if kind in ("integer", "number") or (ml is not None and ml <= 12) else \
                "m" if (ml is not None and ml <= 40) or kind in ("email", "tel") else "full"
            if present:
                row.value = _plain(value)
        return row

    def _cell(self, leaf: Widget, value: Any) -> str:
        if leaf.kind == "date":
            return western(str(value)) if self.years == "western" else wareki(str(value))
        if isinstance(value, list):
            return "、".join(_label(leaf, v) for v in value)
        return _label(leaf, value)


def sheet(template: Any, schema: Any, schemas: SchemaSet | None, *, lg: str, slug: str,
          version: str, data: Any | None = None, caption: str | None = None) -> Sheet:
    """The print model of one version: blank, or filled with one submission (``data``)."""
    t = template if isinstance(template, dict) else {}
    s = schema if isinstance(schema, dict) else {}
    settings = settings_of(t, lg)
    fields = widgets(schema, schemas)
    builder = _Builder(fields, settings.years, data)
    rows = builder.rows(fields)
    if rows:
        rows[-1].last = True
    title = str(s.get("title") or t.get("title") or slug)
    name = str(t.get("title") or title)
    key = f"{lg}/{slug} {version}"
    return Sheet(title=title, town=name_of(lg), addressee=settings.addressee,
                 lead=s.get("description") if isinstance(s.get("description"), str) else None,
                 rows=rows, footer=f"{name}（{key}）", key=key, settings=settings,
                 years=settings.years, filled=data is not None, caption=caption,
                 staff_values=builder.staff)


__all__ = ["PaperSettings", "Row", "Sheet", "addressee_of", "settings_of", "sheet", "wareki",
           "western"]
