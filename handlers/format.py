"""Small text helpers shared by the Block Kit builders."""

from __future__ import annotations

from datetime import datetime


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_date(when: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token that renders in each reader's time zone, with a UTC fallback."""
    return f"<!date^{int(when.timestamp())}^{fmt}|{when.strftime('%Y-%m-%d %H:%M UTC')}>"
