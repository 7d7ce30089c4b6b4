"""The period `/incident stats` and the report cover (`parse_period`), and grouping incidents by a key.

The figures themselves are the KPIs of bot/domain/kpis.py (docs/KPIS.md): median and p90, not means."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from bot.domain.errors import InvalidCommand
from bot.domain.milestones import as_utc

DEFAULT_PERIOD = timedelta(days=30)
# Ten years is more history than any workspace keeps; beyond it a typo is the likelier story.
MAX_PERIOD = timedelta(days=3660)
NO_SERVICE = "(no service)"
_T = TypeVar("_T")

_RELATIVE = re.compile(r"^(\d{1,5})\s*([hdw])$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")
_UNITS = {
    "h": ("hour", timedelta(hours=1)),
    "d": ("day", timedelta(days=1)),
    "w": ("week", timedelta(weeks=1)),
}
_HINT = (
    "Give a period like `24h`, `7d`, `2w`, `90d` or `2026-11-01..2026-11-30` "
    "(dates are UTC and include both ends), or nothing for the last 30 days."
)


def parse_period(text: str, *, now: datetime) -> tuple[datetime, datetime, str]:
    """What `/incident stats <period>` covers: (since, until exclusive, label), aware UTC."""
    now = as_utc(now)
    typed = text.strip()
    if not typed:
        return now - DEFAULT_PERIOD, now, "last 30 days"
    relative = _RELATIVE.match(typed)
    if relative:
        amount = int(relative.group(1))
        name, unit = _UNITS[relative.group(2).lower()]
        length = unit * amount
        if amount == 0 or length > MAX_PERIOD:
            raise InvalidCommand(f"`{typed}` is not a usable period. {_HINT}")
        return now - length, now, f"last {amount} {name}{'' if amount == 1 else 's'}"
    dated = _RANGE.match(typed)
    if dated:
        try:
            first, last = date.fromisoformat(dated.group(1)), date.fromisoformat(dated.group(2))
        except ValueError as exc:
            raise InvalidCommand(f"`{typed}` has a date that does not exist. {_HINT}") from exc
        if last < first:
            raise InvalidCommand(f"`{typed}` ends before it starts; put the earlier date first.")
        since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
        # Both dates are inclusive, so the period runs to the midnight after the last one.
        until = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        if until - since > MAX_PERIOD:
            raise InvalidCommand(f"`{typed}` is longer than ten years. {_HINT}")
        return since, until, f"{first.isoformat()} to {last.isoformat()}"
    raise InvalidCommand(_HINT)


def group_by(items: Iterable[_T], key: Callable[[_T], str]) -> dict[str, list[_T]]:
    """The items (incidents) by `key`, each list in the order given."""
    groups: dict[str, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups

