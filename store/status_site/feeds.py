"""Atom and RSS feeds of the page's incident updates (`history.atom`, `history.rss`), newest first.

Written with the standard library's ElementTree, which escapes every text and attribute: an update's
text is data, whatever characters it holds.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from bot.domain.status_page import Page, PageIncident, PageUpdate

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 100


def _entries(page: Page) -> list[tuple[PageIncident, PageUpdate]]:
    pairs = [(i, u) for i in page.incidents for u in i.updates]
    return sorted(pairs, key=lambda pair: pair[1].at, reverse=True)[:FEED_ENTRIES]


def _link(page: Page, incident: PageIncident) -> str:
    base = page.settings.url.rstrip("/")
    return f"{base}/#incident-{incident.id}"


def _title(incident: PageIncident, update: PageUpdate) -> str:
    return f"{incident.name}: {update.status.value.capitalize()}"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def atom(page: Page) -> bytes:
    """The Atom 1.0 feed."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    base = page.settings.url.rstrip("/")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    sub(feed, "id", f"{base}/history.atom" if base else "urn:warroom:status:history")
    sub(feed, "title", f"{page.settings.name} status history")
    sub(feed, "updated", _iso(page.updated_at))
    sub(feed, "link", rel="alternate", type="text/html", href=f"{base}/")
    sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/history.atom")
    author = sub(feed, "author")
    sub(author, "name", page.settings.name)
    for incident, update in _entries(page):
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:warroom:status:update:{update.id}")
        sub(entry, "title", _title(incident, update))
        sub(entry, "published", _iso(update.at))
        sub(entry, "updated", _iso(update.at))
        sub(entry, "link", rel="alternate", type="text/html", href=_link(page, incident))
        sub(entry, "content", update.body, type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def rss(page: Page) -> bytes:
    """The RSS 2.0 feed."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    base = page.settings.url.rstrip("/")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        element.text = text
        return element

    sub(channel, "title", f"{page.settings.name} status history")
    sub(channel, "link", f"{base}/")
    sub(channel, "description", f"Incident updates of {page.settings.name}")
    sub(channel, "lastBuildDate", format_datetime(page.updated_at.astimezone(UTC), usegmt=True))
    for incident, update in _entries(page):
        item = sub(channel, "item")
        sub(item, "title", _title(incident, update))
        sub(item, "link", _link(page, incident))
        sub(item, "guid", f"urn:warroom:status:update:{update.id}", isPermaLink="false")
        sub(item, "pubDate", format_datetime(update.at.astimezone(UTC), usegmt=True))
        sub(item, "description", html.escape(update.body, quote=False))  # RSS readers take it as HTML
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
