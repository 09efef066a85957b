"""Atom 1.0 (RFC 4287) feeds of change-feed events, for staff's feed readers.

Pure: builds the XML with ``xml.etree`` from ``ChangeEvent``s; the web layer chooses which
events (one template, or a municipality's templates and their upstreams) and the base URL.
Entry ids are tag URIs of the event id, so a reader never shows an event twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from registry.municipalities import name_of
from registry.readmodels import ChangeEvent

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"

KIND_JA = {"published": "公開", "forked": "フォーク", "pulled": "取り込み",
           "deprecated": "非推奨", "detached": "切り離し"}


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def entry_title(e: ChangeEvent) -> str:
    """「多摩市 jumin-soudan 1.1.0 を公開」 / published, in one line."""
    what = KIND_JA.get(e.kind, e.kind)
    tail = f"（{e.upstream_template} から）" if e.upstream_template and e.kind in ("forked", "pulled", "detached") else ""
    return f"{name_of(e.lg)} {e.slug} {e.version} を{what}{tail} / {e.kind}"


def feed(*, feed_id: str, title: str, self_url: str, base_url: str,
         events: Sequence[ChangeEvent], updated: str) -> bytes:
    """The feed document (newest entry first), UTF-8 with an XML declaration."""
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(root, "id", feed_id)
    _sub(root, "title", title)
    _sub(root, "updated", max((e.at for e in events), default=updated))
    _sub(root, "link", rel="self", href=self_url, type="application/atom+xml")
    author = _sub(root, "author")
    _sub(author, "name", "Yoshiki")
    for e in sorted(events, key=lambda x: x.id, reverse=True):
        entry = _sub(root, "entry")
        _sub(entry, "id", f"tag:yoshiki.invalid,2026:event/{e.id}")
        _sub(entry, "title", entry_title(e))
        _sub(entry, "updated", e.at)
        _sub(entry, "link", rel="alternate", type="text/html",
             href=f"{base_url}/t/{e.lg}/{e.slug}")
        a = _sub(entry, "author")
        _sub(a, "name", e.actor or "Yoshiki")
        _sub(entry, "category", term=e.kind)
        if e.detail:
            _sub(entry, "summary", e.detail)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
