"""Incident statistics over a period: counts, mean time to acknowledge and to resolve."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from bot.domain.errors import InvalidCommand
from bot.domain.milestones import as_utc
from bot.domain.policy import Policy
from bot.domain.samples import Measured

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


@dataclass(frozen=True)
class Bucket:
    """Incidents sharing one key (a severity, a service, or all of them)."""

    key: str
    count: int
    mtta: timedelta | None
    mttr: timedelta | None


@dataclass(frozen=True)
class Stats:
    """Incident statistics for one period."""

    since: datetime
    until: datetime
    label: str
    total: Bucket
    by_severity: list[Bucket]
    by_service: list[Bucket]


def _mean(values: Iterable[timedelta | None]) -> timedelta | None:
    present = [value for value in values if value is not None]
    return sum(present, timedelta(0)) / len(present) if present else None


def _bucket(key: str, incidents: Sequence[Measured]) -> Bucket:
    return Bucket(
        key=key,
        count=len(incidents),
        mtta=_mean(i.acknowledged_after for i in incidents),
        mttr=_mean(i.resolved_after for i in incidents),
    )


def group_by(items: Iterable[_T], key: Callable[[_T], str]) -> dict[str, list[_T]]:
    """The items (incidents) by `key`, each list in the order given."""
    groups: dict[str, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def incident_stats(
    incidents: Sequence[Measured], *, since: datetime, until: datetime, policy: Policy, label: str = ""
) -> Stats:
    """Count, MTTA and MTTR of incidents declared in [since, until): overall, by severity, by service."""
    since, until = as_utc(since), as_utc(until)
    chosen = [i for i in incidents if since <= i.declared_at < until]
    ranks = {level.id: level.rank for level in policy.severities.levels}
    by_severity = group_by(chosen, lambda i: i.severity)
    # A severity since removed from the policy still counts; it sorts after the known ones.
    severity_order = sorted(by_severity, key=lambda s: (ranks.get(s, len(ranks)), s))
    by_service = group_by(chosen, lambda i: i.service.strip() or NO_SERVICE)
    service_order = sorted(by_service, key=lambda s: (-len(by_service[s]), s))
    return Stats(
        since=since,
        until=until,
        label=label or f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC",
        total=_bucket("all", chosen),
        by_severity=[_bucket(s, by_severity[s]) for s in severity_order],
        by_service=[_bucket(s, by_service[s]) for s in service_order],
    )
