"""Read values as people and Excel write them: choice labels, Japanese dates, full-width numbers.

A submission that the form refuses as written is read once more field by field:

- a choice written as its label (``欠席``) is read as its value (``absence``); labels come from
  ``x-yoshiki-enum-labels`` or from ``oneOf`` alternatives ``{"const": v, "title": "表示名"}``;
- a date field written ``2022/6/13``, ``2022年6月13日``, ``令和4年6月13日``, ``R4.6.13`` or
  ``令和元年5月1日`` (eras 明治, 大正, 昭和, 平成, 令和 from their first day) is read as
  ``2022-06-13``; an Excel date (serial number or date cell) likewise;
- a number written with full-width digits or signs (``４``, ``－３``, ``１２．５``) is read as the number;
- a number in a text field (a postal code Excel turned into 2060011) is read as its digits.

Every such reading is returned as a :class:`Reading` so the report shows it (「『区分』の『欠席』を
absence として読みました」); nothing is changed silently, and ``--strict-values`` turns it off.
Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry.errors import RegistryError
from registry.models import Issue
from registry.syntax.refs import Resolver

# Eras and their first day (the day the era name took effect).
ERAS: dict[str, dt.date] = {
    "明治": dt.date(1868, 10, 23), "大正": dt.date(1912, 7, 30), "昭和": dt.date(1926, 12, 25),
    "平成": dt.date(1989, 1, 8), "令和": dt.date(2019, 5, 1),
}
_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
_NEXT_ERA = dict(zip(list(ERAS), [*list(ERAS.values())[1:], dt.date(9999, 12, 31)], strict=True))
_WESTERN = re.compile(r"(\d{4})\s*(?:[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?)"
                      r"(?:\s+0{1,2}:00(?::00)?)?")
_ERA = re.compile(r"(明治|大正|昭和|平成|令和|[MTSHRmtshr])\s*(元|\d{1,2})\s*"
                  r"(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?|[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2}))")
_INT = re.compile(r"[+-]?[0-9]+")
_NUM = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
# Minus signs people type that NFKC leaves alone.
_MINUS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\uff0d": "-"})
# CP932 round trips turn these into their full-width twins (〜 U+301C comes back as ～ U+FF5E):
# labels are compared with both folded to one form.
_CP932_FOLD = str.maketrans({"\uff5e": "\u301c", "\u2225": "\u2016", "\uff0d": "\u2212",
                             "\uffe0": "\u00a2", "\uffe1": "\u00a3", "\uffe2": "\u00ac"})
EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_DEPTH = 16


def parse_date(text: str) -> str | None:
    """``2022/6/13``, ``2022年6月13日``, ``令和4年6月13日``, ``R4.6.13`` → ``2022-06-13``; None if not a date."""
    s = unicodedata.normalize("NFKC", text).strip()
    m = _WESTERN.fullmatch(s)
    if m is not None:
        y, mo, d = int(m[1]), int(m[2] or m[4]), int(m[3] or m[5])
        try:
            return dt.date(y, mo, d).isoformat()
        except ValueError:
            return None
    m = _ERA.fullmatch(s)
    if m is None:
        return None
    era = _ERA_LETTERS.get(m[1].upper(), m[1])
    year = 1 if m[2] == "元" else int(m[2])
    start = ERAS[era]
    try:
        day = dt.date(start.year + year - 1, int(m[3] or m[5]), int(m[4] or m[6]))
    except ValueError:
        return None
    # 令和1年4月30日 did not exist (still 平成): refuse rather than guess.
    if year < 1 or day < start or day >= _NEXT_ERA[era]:
        return None
    return day.isoformat()


def excel_serial_date(serial: float) -> str | None:
    """An Excel date serial (1900 system, days since 1899-12-30) as ISO; None when out of range."""
    if not 1 <= serial < 2958466:
        return None
    return (EXCEL_EPOCH + dt.timedelta(days=int(serial))).isoformat()


def parse_number(text: str, integer: bool) -> int | float | None:
    """Full-width digits and signs (``４``, ``－３``, ``１２．５``) → the number; None otherwise."""
    s = unicodedata.normalize("NFKC", text).translate(_MINUS).strip().replace(",", "")
    if _INT.fullmatch(s):
        return int(s)
    if not integer and _NUM.fullmatch(s):
        return float(s)
    return None


@dataclass
class FieldInfo:
    title: str
    types: frozenset[str]
    values: tuple[Any, ...] | None = None
    labels: dict[str, Any] = field(default_factory=dict)  # label → value
    date: bool = False
    items: FieldInfo | None = None
    properties: dict[str, FieldInfo] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    schema: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """One value read differently from how it was written (shown in the report as info)."""

    pointer: str
    title: str
    written: Any
    read_as: Any

    def issue(self, file: str | None, record: int | None, line: int | None) -> Issue:
        """The report's info note for this reading."""
        w, r = _shown(self.written), _shown(self.read_as)
        return Issue(rule="data.read-as", severity="info", pointer=self.pointer, file=file, line=line,
                     record=record, message=f"Read “{w}” in “{self.title}” as {r}.",
                     message_ja=f"『{self.title}』の『{w}』を {r} として読みました")


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class ValueReader:
    """Reads a submission's values as the form means them; built once per form."""

    def __init__(self, schema: Any, resolver: Resolver) -> None:
        self._resolver = resolver
        root = self._build(schema, resolver.root_uri, "", frozenset())
        self._root = root

    def _merge(self, node: Any, base: str, active: frozenset[int]) -> tuple[dict[str, Any], str, dict[str, str]]:
        """The node with $ref followed and allOf merged (properties with their base URIs)."""
        merged: dict[str, Any] = {}
        bases: dict[str, str] = {}
        hops = 0
        while isinstance(node, dict) and hops < MAX_DEPTH:
            hops += 1
            base = Resolver.base_of(base, node)
            for k, v in node.items():
                if k == "properties" and isinstance(v, dict):
                    merged.setdefault("properties", {})
                    for name, sub in v.items():
                        merged["properties"].setdefault(name, sub)
                        bases.setdefault(name, base)
                elif k not in merged:
                    merged[k] = v
            all_of = node.get("allOf")
            for sub in all_of if isinstance(all_of, list) else []:
                if isinstance(sub, dict) and "if" not in sub:
                    inner, ibase, ibases = self._merge(sub, base, active)
                    for k, v in inner.items():
                        if k == "properties":
                            for name, s in v.items():
                                merged.setdefault("properties", {}).setdefault(name, s)
                                bases.setdefault(name, ibases.get(name, ibase))
                        else:
                            merged.setdefault(k, v)
            ref = node.get("$ref")
            if not isinstance(ref, str):
                break
            try:
                base, node = self._resolver.resolve(base, ref)
            except RegistryError:
                break
        return merged, base, bases

    def _build(self, node: Any, base: str, title: str, active: frozenset[int]) -> FieldInfo:
        if id(node) in active or len(active) > MAX_DEPTH:
            return FieldInfo(title, frozenset())
        active = active | {id(node)}
        schema, base, bases = self._merge(node, base, active)
        if isinstance(schema.get("title"), str) and not title:
            title = schema["title"]
        t = schema.get("type")
        types = frozenset([t] if isinstance(t, str) else [str(x) for x in t] if isinstance(t, list) else [])
        req = schema.get("required")
        f = FieldInfo(title, types, date=schema.get("format") == "date", schema=schema,
                   required=frozenset(r for r in req if isinstance(r, str)) if isinstance(req, list) else frozenset())
        if isinstance(schema.get("enum"), list):
            f.values = tuple(schema["enum"])
            labels = schema.get("x-yoshiki-enum-labels")
            if isinstance(labels, dict):
                f.labels = {str(label): v for v in f.values
                            if isinstance(label := labels.get(str(v)), str) and label not in f.values}
                f.labels.update({k.translate(_CP932_FOLD): v for k, v in list(f.labels.items())})
        elif isinstance(schema.get("oneOf"), list):
            alts = [a for a in schema["oneOf"] if isinstance(a, dict) and "const" in a]
            if alts and len(alts) == len(schema["oneOf"]):
                f.values = tuple(a["const"] for a in alts)
                f.labels = {a["title"]: a["const"] for a in alts
                            if isinstance(a.get("title"), str) and a["title"] not in f.values}
        if isinstance(schema.get("items"), dict):
            f.items = self._build(schema["items"], base, title, active)
        props = schema.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                sub_title = sub.get("title") if isinstance(sub, dict) and isinstance(sub.get("title"), str) else ""
                f.properties[name] = self._build(sub, bases.get(name, base), sub_title or "", active)
                if not f.properties[name].title:
                    f.properties[name].title = name
        return f

    @property
    def root(self) -> FieldInfo:
        """The form's fields as read (titles, types, choices with labels, required names)."""
        return self._root

    def read(self, value: Any) -> tuple[Any, list[Reading]]:
        """(the value read as the form means it, the readings made); the input is not changed."""
        readings: list[Reading] = []
        return _read(self._root, value, "", readings), readings


def _read(f: FieldInfo, value: Any, pointer: str, out: list[Reading]) -> Any:
    if isinstance(value, dict) and f.properties:
        new: dict[str, Any] | None = None
        for k, v in value.items():
            sub = f.properties.get(k)
            if sub is None:
                continue
            r = _read(sub, v, f"{pointer}/{_escape(k)}", out)
            if r is not v:
                if new is None:
                    new = dict(value)
                new[k] = r
        return value if new is None else new
    if isinstance(value, list) and f.items is not None:
        items = f.items
        new_list = [_read(items, v, f"{pointer}/{i}", out) for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(new_list, value, strict=True)) else new_list
    read = _read_scalar(f, value)
    if read is not _SAME:
        out.append(Reading(pointer, f.title, value, read))
        return read
    return value


_SAME: Any = object()


def _read_scalar(f: FieldInfo, value: Any) -> Any:
    if f.values is not None:
        if value in f.values and not isinstance(value, bool):
            return _SAME
        if isinstance(value, str):
            key = value.strip()
            if key in f.labels:
                return f.labels[key]
            if (folded := key.translate(_CP932_FOLD)) in f.labels:
                return f.labels[folded]
            if key != value and key in f.values:
                return key
        if isinstance(value, float) and value.is_integer() and str(int(value)) in f.values:
            return str(int(value))  # a code like 09 typed into Excel keeps no zero; only exact digits
        return _SAME
    if f.date:
        if isinstance(value, str):
            iso = parse_date(value)
            return iso if iso is not None and iso != value else _SAME
        if isinstance(value, int | float) and not isinstance(value, bool):
            iso = excel_serial_date(float(value))
            return iso if iso is not None else _SAME
        if isinstance(value, dt.datetime | dt.date):
            return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
        return _SAME
    if f.types & {"integer", "number"} and "string" not in f.types:
        if isinstance(value, str):
            n = parse_number(value, "number" not in f.types)
            return n if n is not None else _SAME
        if isinstance(value, float) and value.is_integer() and "number" not in f.types:
            return int(value)
        return _SAME
    if "string" in f.types and isinstance(value, int | float) and not isinstance(value, bool):
        return _shown(value)
    return _SAME


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


Reader = Callable[[Any], tuple[Any, list[Reading]]]
