"""Weekly trends of the KPIs (docs/KPIS.md): one WeekKpi per Monday-started week (UTC), quiet weeks included."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.followup_kpis import FollowUpDay
from bot.domain.kpis import RUN_STATES, recurring_ids, time_kpi
from bot.domain.milestones import format_duration
from bot.domain.policy import RECURRENCE_WINDOW
from bot.domain.runbook import StepRun
from bot.domain.samples import Measured


@dataclass(frozen=True)
class WeekKpi:
    """One week's KPIs (weeks start on Monday, UTC): every trend is a list of these, oldest first."""

    start: date
    incidents: int  # declared that week
    mtta_median: timedelta | None  # of those incidents
    mttr_median: timedelta | None
    recurring: int  # of those incidents, how many recur by class (see recurrence_by_class)
    with_step_run: int  # of those incidents, how many had a runbook step run
    followups_created: int
    followups_done: int  # done that week, whenever they were created

    @property
    def recurrence_rate(self) -> float:
        """recurring / incidents (0 for a quiet week)."""
        return self.recurring / self.incidents if self.incidents else 0.0

    @property
    def coverage(self) -> float:
        """with_step_run / incidents (0 for a quiet week)."""
        return self.with_step_run / self.incidents if self.incidents else 0.0


def week_of(moment: datetime) -> date:
    """The Monday that starts `moment`'s week."""
    return week_of_day(moment.date())


def week_of_day(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


def weekly_trends(incidents: Sequence[Measured], runs: Iterable[StepRun], followups: Iterable[FollowUpDay], *,
                  since: datetime, until: datetime, window: timedelta = RECURRENCE_WINDOW) -> list[WeekKpi]:
    """Every week that meets [since, until), quiet weeks included; `incidents` may reach back `window`;
    `followups`: the period's, by day (followup_days)."""
    recurs = recurring_ids(incidents, lambda i: i.incident_class or None, window)
    stepped = {r.incident_id for r in runs if r.state in RUN_STATES}
    # One pass over each list into its week (weeks are contiguous from week_of(since), so a moment inside
    # [since, until) falls in the week week_of(moment) starts), not a pass per week: a year is 53 weeks.
    declared: dict[date, list[Measured]] = {}
    for incident in incidents:
        if since <= incident.declared_at < until:
            declared.setdefault(week_of(incident.declared_at), []).append(incident)
    created: dict[date, int] = {}
    done: dict[date, int] = {}
    for day in followups:  # counted by followup_days over [since, until)
        key = week_of_day(day.day)
        created[key] = created.get(key, 0) + day.created
        done[key] = done.get(key, 0) + day.done
    weeks: list[WeekKpi] = []
    start = week_of(since)
    while datetime.combine(start, datetime.min.time(), since.tzinfo) < until:
        inside = declared.get(start, [])
        times = time_kpi(f"{start}", inside)
        weeks.append(WeekKpi(
            start=start, incidents=len(inside), mtta_median=times.mtta_median, mttr_median=times.mttr_median,
            recurring=sum(i.id in recurs for i in inside), with_step_run=sum(i.id in stepped for i in inside),
            followups_created=created.get(start, 0), followups_done=done.get(start, 0),
        ))
        start += timedelta(days=7)
    return weeks


def weekly_chart_text(weeks: Sequence[WeekKpi]) -> str:
    """The chart in words: the alt text of its image and the line beside it when images are off."""
    if not weeks:
        return "No weeks in the period."
    total = sum(w.incidents for w in weeks)
    busiest = max(weeks, key=lambda w: (w.incidents, w.start))
    fixes = [w.mttr_median for w in weeks if w.mttr_median is not None]
    text = (f"{total} incident{'s' if total != 1 else ''} over {len(weeks)} weeks from {weeks[0].start:%d %b %Y}; "
            f"busiest week {busiest.start:%d %b} with {busiest.incidents}")
    if fixes:
        text += f"; weekly median MTTR from {format_duration(min(fixes))} to {format_duration(max(fixes))}"
    return text + "."

