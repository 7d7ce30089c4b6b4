"""Grouped notices: when many incidents need the same notice in one shared channel, one message.

A response target missed by forty incidents at once would otherwise be forty messages in the
on-call channel, sent at Slack's pace of about one a second: the last one forty seconds late, and
nobody reads forty. A notice that may be grouped carries a `Notice`: the group it belongs to (its
kind and whom it mentions), the heading of the grouped message and its own line in it. When the
sender's turn in the channel comes, every notice of the same group still waiting there goes out as
one message ("12 incidents have no incident commander: …"); a notice alone goes out as it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_TEXT = 3900  # characters of one message's text (Slack truncates long texts; 4,000 shows whole)
MAX_LINES = 50  # notices in one grouped message (the rest wait for the channel's next turn)
COUNT = "{count}"  # where the heading says how many incidents the message names


@dataclass(frozen=True)
class Notice:
    """What makes a message part of a group, and how it reads in the grouped message."""

    key: str  # notices with the same key in the same channel may become one message
    heading: str  # of the grouped message, with COUNT where the number of incidents goes
    line: str  # this notice's line in the grouped message

    def __post_init__(self) -> None:
        if COUNT not in self.heading:
            raise ValueError(f"a grouped notice's heading must say how many: {self.heading!r}")

    def with_prefix(self, prefix: str, suffix: str = "") -> Notice:
        """The notice opening with `prefix` (mentions: part of the group) and its line ending in `suffix`."""
        if not prefix:
            return Notice(self.key, self.heading, f"{self.line}{suffix}")
        return Notice(f"{self.key}|{prefix}", f"{prefix} {self.heading}", f"{self.line}{suffix}")


def grouped_text(heading: str, lines: Sequence[str], limit: int = MAX_TEXT) -> tuple[str, int]:
    """The grouped message, and how many of `lines` (from the first) it holds: as many as fit in `limit`."""
    if not lines:
        raise ValueError("a grouped message needs at least one line")
    taken: list[str] = []
    for line in lines[:MAX_LINES]:
        text = _render(heading, [*taken, line])
        if taken and len(text) > limit:
            break
        taken.append(line)
    return _render(heading, taken)[:limit], len(taken)


def _render(heading: str, lines: Sequence[str]) -> str:
    head = heading.replace(COUNT, str(len(lines)))
    return "\n".join([head, *(f"• {line}" for line in lines)])
