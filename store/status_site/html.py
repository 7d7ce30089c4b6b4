"""The page's HTML: one document readable without JavaScript, rendered by Jinja2 with autoescaping."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.domain.status_page import Page, PageComponent


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("store.status_site", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(default=True, default_for_string=True))


def render(page: Page) -> bytes:
    """index.html for `page`."""
    zone = ZoneInfo(page.settings.time_zone)

    def when(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    def iso(at: datetime) -> str:
        return at.astimezone(UTC).isoformat(timespec="seconds")

    def uptime(component: PageComponent) -> str:
        days = component.days
        share = sum(d.uptime for d in days) / len(days) if days else 1.0
        return f"{share * 100:.2f}%"

    text = _environment().get_template("index.html.j2").render(page=page, when=when, iso=iso, uptime=uptime)
    return text.encode()
