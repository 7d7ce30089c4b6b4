"""Daily uptime of a status page component: one bar a day, from the outages of its public incidents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How much of an outage's time counts as downtime, by the component status it causes (Statuspage counts a
# partial outage at 30% and a major one in full; degraded performance and maintenance are not downtime).
DOWNTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}
_ORDER = ["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"]


@dataclass(frozen=True)
class Outage:
    """A stretch of time a component was not operational, and how."""

    start: datetime
    end: datetime
    status: str  # a component status value


@dataclass(frozen=True)
class DayBar:
    """One day of a component's history."""

    day: date
    uptime: float  # 0..1
    worst: str  # the worst component status that day ("operational" when nothing happened)

    @property
    def percent(self) -> str:
        """The uptime for people, e.g. `99.86%`."""
        return f"{self.uptime * 100:.2f}%".replace(".00%", "%")


def uptime_bars(outages: Sequence[Outage], now: datetime, days: int, tz: str) -> tuple[DayBar, ...]:
    """`days` bars ending today (in `tz`), oldest first; today counts up to `now` only."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    bars = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        start = datetime.combine(day, time(0), zone)
        end = min(datetime.combine(day + timedelta(days=1), time(0), zone), now)
        length = (end - start).total_seconds()
        down = 0.0
        worst = "operational"
        for outage in outages:
            overlap = (min(outage.end, end) - max(outage.start, start)).total_seconds()
            if overlap > 0:
                down += overlap * DOWNTIME_WEIGHT.get(outage.status, 0.0)
                worst = max(worst, outage.status, key=_ORDER.index)
        uptime = 1.0 if length <= 0 else max(0.0, 1.0 - down / length)
        bars.append(DayBar(day=day, uptime=uptime, worst=worst))
    return tuple(bars)
