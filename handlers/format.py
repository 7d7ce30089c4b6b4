"""Small text helpers shared by the Block Kit builders and the Slack adapters."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.text import escape

__all__ = ["Targets", "clip", "clip_escaped", "defang", "escape", "slack_date", "split_targets"]


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_escaped(text: str, limit: int) -> str:
    """`text` escaped and cut to `limit` characters, never in the middle of an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit - 1, 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:  # a cut `&amp;` would show as stray text
        cut = cut[:amp]
    return cut + "…"


def slack_date(when: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token that renders in each reader's time zone, with a UTC fallback."""
    return f"<!date^{int(when.timestamp())}^{fmt}|{when.strftime('%Y-%m-%d %H:%M UTC')}>"


@dataclass
class Targets:
    """Who a notification reaches: mentions in the message, channels that get a copy, roles nobody holds."""

    mentions: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    unheld_roles: list[str] = field(default_factory=list)


def split_targets(targets: Iterable[str], roles: Mapping[str, str]) -> Targets:
    """`role:<id>`, user groups (S...), users (U.../W...) and channels, as Slack mentions and channels."""
    found = Targets()
    for target in targets:
        if target.startswith("role:"):
            holder = roles.get(target[5:])
            (found.mentions.append(f"<@{holder}>") if holder else found.unheld_roles.append(target[5:]))
        elif target.startswith("S"):
            found.mentions.append(f"<!subteam^{target}>")
        elif target.startswith(("U", "W")):
            found.mentions.append(f"<@{target}>")
        else:
            found.channels.append(target)
    return found



# Stored text that may hold Slack markup: captured messages, Warroom's own records (mentions), notes as typed.
_STORED = re.compile(r"<([@#][UWC][A-Z0-9]+(?:\|[^<>]*)?|!date\^[^<>]*)>"  # people, channels, dates: kept
                     r"|<!([^<>|]*)(?:\|([^<>]*))?>"  # special mentions: shown as text
                     r"|<((?:https?|mailto):[^<>|]*)(?:\|([^<>]*))?>"  # links: shown with their address
                     r"|(&(?:amp|lt|gt);)|([&<>])")


def defang(text: str) -> str:
    """Stored text safe in mrkdwn: mentions of people and channels kept; `<!channel>`, `<!here>` and the like as
    plain text; a link as its label and its address; every other `&`, `<`, `>` escaped."""

    def shown(m: re.Match[str]) -> str:
        kept, special, special_label, url, label, entity, char = m.groups()
        if kept or entity:
            return m.group(0)
        if special is not None:
            return escape(special_label or "@" + special.split("^")[-1])
        if url is not None:
            return f"<{url}>" if not label or label == url else f"{escape(label)} (<{url}>)"
        return escape(char)

    return _STORED.sub(shown, text)


def link(url: str, label: str) -> str:
    """A mrkdwn link to an http(s) URL (its markup characters escaped); just the label for anything else."""
    if not url.startswith(("http://", "https://")) or "|" in url:
        return escape(label)
    return f"<{escape(url)}|{escape(label).replace('|', '/')}>"
