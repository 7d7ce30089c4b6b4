"""The monthly operations review (`warroom report`): every KPI of bot.domain.kpis for one period, as one value.

Pure: built from incidents, step runs and follow-ups already read from the store; renderers only format it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.domain.alert_coverage import AlertCoverage, AlertSource, alert_counts, alert_coverage
from bot.domain.classes import IncidentClass, class_label
from bot.domain.followup_kpis import FollowUpDay, FollowUpMonth, followups_by_month
from bot.domain.kpis import (
    Coverage,
    Recurrence,
    TimeKpi,
    recurrence_by_class,
    runbook_coverage,
    time_kpi,
    times_by_class,
    times_by_service,
    times_by_severity,
)
from bot.domain.milestones import as_utc
from bot.domain.policy import FOLLOWUP_OVERDUE_AFTER, RECURRENCE_WINDOW, Policy
from bot.domain.runbook import StepRun
from bot.domain.samples import Measured
from bot.domain.stats import group_by
from bot.domain.trends import WeekKpi, weekly_trends


@dataclass(frozen=True)
class ReportData:
    """What the report is built from (the insights' reads, PeriodRecords, of each workspace together): incidents
    from one recurrence window before `since`, the step runs of the period's incidents, the follow-ups created or
    done in the period by day, the alert group that opened each incident and how those groups read."""

    incidents: list[Measured]
    runs: list[StepRun]
    followup_days: list[FollowUpDay]  # several workspaces' days may repeat a day: they are summed
    groups: dict[int, int] = field(default_factory=dict)
    alert_sources: dict[int, AlertSource] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """The operations review of incidents declared in [since, until)."""

    since: datetime
    until: datetime
    label: str
    generated_at: datetime
    teams: tuple[str, ...]
    incident_class: str | None  # the one class the report is limited to, or None for all
    total: TimeKpi  # every incident of the period (key "all")
    resolved: int  # of them, how many are resolved (they have a time to resolve)
    with_root_cause: int  # of the resolved, how many have their root cause written in the review
    by_severity: list[TimeKpi]  # in the policy's order of severities
    by_service: list[TimeKpi]
    by_class: list[TimeKpi]
    recurrence: list[Recurrence]
    window: timedelta
    coverage: Coverage
    alert_coverage: AlertCoverage  # of the top alerts by incidents opened
    overdue_after: timedelta  # an open follow-up older than this is overdue
    followups: list[FollowUpMonth]  # follow-ups created in the period, by month
    weeks: list[WeekKpi]
    class_labels: dict[str, str]  # class id -> how the policy names it

    def label_of(self, class_id: str) -> str:
        """A class's label (its id when the policy no longer has it)."""
        return self.class_labels.get(class_id, class_id)


def only_class(data: ReportData, class_id: str) -> ReportData:
    """The data of one class's incidents and their runs (`data.followup_days` must be read for the class already:
    days do not say whose they are); recurrence stays within the class anyway."""
    incidents = [i for i in data.incidents if i.incident_class == class_id]
    ids = {i.id for i in incidents}
    return replace(data, incidents=incidents, runs=[r for r in data.runs if r.incident_id in ids])


def build_report(data: ReportData, *, since: datetime, until: datetime, label: str, now: datetime, policy: Policy,
                 teams: tuple[str, ...] = (), incident_class: str | None = None,
                 window: timedelta = RECURRENCE_WINDOW, classes_with_runbook: Collection[str] = (),
                 runbook_ids: Collection[str] = (), overdue_after: timedelta = FOLLOWUP_OVERDUE_AFTER) -> Report:
    """Every KPI of the incidents declared in [since, until), limited to `incident_class` when given;
    `classes_with_runbook`: the classes some runbook says it covers (as for `/incident stats`); `runbook_ids`: the
    runbooks the bot has (the top alerts' coverage); `window`: the recurrence window; `overdue_after`: the limit
    `data.followup_days` counted overdue by (the report says it)."""
    since, until = as_utc(since), as_utc(until)
    if incident_class is not None:
        data = only_class(data, incident_class)
    chosen = [i for i in data.incidents if since <= i.declared_at < until]
    days = data.followup_days
    # In the policy's order; a severity since removed from the policy still counts, after the known ones.
    by_severity = times_by_severity(chosen, policy.severities.ids())
    return Report(
        since=since, until=until, label=label, generated_at=as_utc(now), teams=teams, incident_class=incident_class,
        total=time_kpi("all", chosen), resolved=sum(i.resolved_after is not None for i in chosen),
        with_root_cause=sum(i.resolved_after is not None and i.has_root_cause for i in chosen),
        by_severity=by_severity, by_service=times_by_service(chosen), by_class=times_by_class(chosen),
        recurrence=_recurrence(data.incidents, since=since, until=until, window=window), window=window,
        overdue_after=overdue_after,
        coverage=runbook_coverage(chosen, data.runs, classes_with_runbook=classes_with_runbook),
        alert_coverage=alert_coverage(alert_counts(chosen, data.groups, data.alert_sources, since=since, until=until),
                                      runbook_ids=runbook_ids),
        followups=followups_by_month(days), weeks=_weeks(data, days, since=since, until=until, window=window),
        class_labels=_labels(policy.classes, data.incidents),
    )


def _recurrence(incidents: list[Measured], *, since: datetime, until: datetime, window: timedelta) -> list[Recurrence]:
    """Recurrence by class within each workspace (another workspace's incident is no recurrence), summed by class."""
    counts: dict[str, tuple[int, int]] = {}
    for team_incidents in group_by(incidents, lambda i: i.team_id).values():
        for item in recurrence_by_class(team_incidents, since=since, until=until, window=window):
            count, recurring = counts.get(item.key, (0, 0))
            counts[item.key] = (count + item.count, recurring + item.recurring)
    return sorted((Recurrence(key, count, recurring) for key, (count, recurring) in counts.items()),
                  key=lambda r: (-r.count, r.key))


def _weeks(data: ReportData, days: list[FollowUpDay], *, since: datetime, until: datetime,
           window: timedelta) -> list[WeekKpi]:
    """Weekly trends of every workspace together, with recurrence counted within each workspace."""
    weeks = weekly_trends(data.incidents, data.runs, days, since=since, until=until, window=window)
    by_team = [weekly_trends(team_incidents, [], [], since=since, until=until, window=window)
               for team_incidents in group_by(data.incidents, lambda i: i.team_id).values()]
    return [replace(week, recurring=sum(team[n].recurring for team in by_team)) for n, week in enumerate(weeks)]


def _labels(classes: tuple[IncidentClass, ...], incidents: list[Measured]) -> dict[str, str]:
    known = {c.id for c in classes} | {i.incident_class for i in incidents if i.incident_class}
    return {k: class_label(classes, k) for k in sorted(known)}

