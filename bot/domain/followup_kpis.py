"""The follow-up KPIs (docs/KPIS.md): follow-ups counted by day, and by month of creation.

Pure functions; the store counts the days in SQL (store/insights.py), `followup_days` counts them from follow-ups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.incident import FollowUp
from bot.domain.policy import FOLLOWUP_OVERDUE_AFTER


@dataclass(frozen=True)
class FollowUpMonth:
    """Follow-ups created in one month (YYYY-MM) and where they stand now."""

    month: str
    created: int
    done: int
    open: int
    overdue: int  # open, and created more than the overdue limit ago


@dataclass(frozen=True)
class FollowUpDay:
    """A period's follow-ups counted by day (UTC): created that day and where those stand now; done that day.

    What the follow-up KPIs read: a year is at most 366 of these, counted in SQL (store/insights.py) or by
    followup_days from the follow-ups themselves."""

    day: date
    created: int = 0
    still_open: int = 0  # of those created that day, not done yet
    overdue: int = 0  # of those still open, created more than the overdue limit before now
    done: int = 0  # done that day, whenever created


def followup_days(followups: Iterable[FollowUp], *, since: datetime, until: datetime, now: datetime,
                  overdue_after: timedelta = FOLLOWUP_OVERDUE_AFTER) -> list[FollowUpDay]:
    """The follow-ups created in [since, until) by day of creation, and those done in it by day done; oldest first.

    The definition the store's SQL count follows (store/insights.py counts the same in two grouped queries, and
    tests/integration/test_insights_reader.py checks one against the other on both databases)."""
    created: dict[date, list[FollowUp]] = {}
    done: dict[date, int] = {}
    for f in followups:
        if since <= f.created_at < until:
            created.setdefault(f.created_at.date(), []).append(f)
        if f.done_at is not None and since <= f.done_at < until:
            done[f.done_at.date()] = done.get(f.done_at.date(), 0) + 1
    return [FollowUpDay(day=day, created=len(items := created.get(day, [])), still_open=sum(f.open for f in items),
                        overdue=sum(f.open and now - f.created_at > overdue_after for f in items),
                        done=done.get(day, 0))
            for day in sorted(created.keys() | done.keys())]


def followups_by_month(days: Iterable[FollowUpDay]) -> list[FollowUpMonth]:
    """Follow-ups per month of creation, oldest month first: created, done, open and overdue (as `days` counted)."""
    by_month: dict[tuple[int, int], list[FollowUpDay]] = {}
    for day in days:
        if day.created:
            by_month.setdefault((day.day.year, day.day.month), []).append(day)
    return [FollowUpMonth(
        month=f"{year:04d}-{month:02d}", created=sum(d.created for d in items),
        done=sum(d.created - d.still_open for d in items), open=sum(d.still_open for d in items),
        overdue=sum(d.overdue for d in items),
    ) for (year, month), items in sorted(by_month.items())]
