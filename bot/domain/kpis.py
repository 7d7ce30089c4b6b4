"""The KPIs the team is measured by, each defined once (docs/KPIS.md explains every one).

Pure functions over incidents, runbook step runs and follow-ups already read from the store; the
durations are the same samples `/incident stats` averages (bot.domain.stats).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.alert_coverage import AlertCoverage, AlertSource, alert_counts, alert_coverage
from bot.domain.policy import RECURRENCE_WINDOW
from bot.domain.runbook import StepRun, StepState
from bot.domain.samples import Measured
from bot.domain.stats import NO_SERVICE, group_by

NO_CLASS = "(no class)"
TOP_CLASSES = 5
# A step counts as run once someone started it; pending, skipped or still awaiting approval does not.
RUN_STATES = frozenset({StepState.RUNNING, StepState.DONE, StepState.FAILED, StepState.ROLLED_BACK})


def median(values: Iterable[timedelta]) -> timedelta | None:
    """The middle value (the mean of the two middle ones for an even count), None for none."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Iterable[timedelta], share: float) -> timedelta | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


@dataclass(frozen=True)
class TimeKpi:
    """MTTA and MTTR of the incidents sharing one key (median and p90; None when no incident has one)."""

    key: str
    count: int
    mtta_median: timedelta | None
    mtta_p90: timedelta | None
    mttr_median: timedelta | None
    mttr_p90: timedelta | None


def time_kpi(key: str, incidents: Sequence[Measured]) -> TimeKpi:
    """Median and p90 of detected -> acknowledged and detected -> resolved over `incidents`."""
    acks = [d for d in (i.acknowledged_after for i in incidents) if d is not None]
    fixes = [d for d in (i.resolved_after for i in incidents) if d is not None]
    return TimeKpi(key=key, count=len(incidents), mtta_median=median(acks), mtta_p90=percentile(acks, 0.9),
                   mttr_median=median(fixes), mttr_p90=percentile(fixes, 0.9))


def class_of(incident: Measured) -> str:
    """The incident's class id, or NO_CLASS."""
    return incident.incident_class or NO_CLASS


def times_by(incidents: Sequence[Measured], key: Callable[[Measured], str]) -> list[TimeKpi]:
    """MTTA and MTTR per key, the most frequent key first (ties by name)."""
    groups = group_by(incidents, key)
    return [time_kpi(k, groups[k]) for k in sorted(groups, key=lambda k: (-len(groups[k]), k))]


def times_by_class(incidents: Sequence[Measured]) -> list[TimeKpi]:
    """MTTA and MTTR per incident class."""
    return times_by(incidents, class_of)


def times_by_service(incidents: Sequence[Measured]) -> list[TimeKpi]:
    """MTTA and MTTR per service."""
    return times_by(incidents, lambda i: i.service.strip() or NO_SERVICE)


def times_by_severity(incidents: Sequence[Measured], order: Sequence[str] = ()) -> list[TimeKpi]:
    """MTTA and MTTR per severity: the most frequent first, or in `order` (the policy's levels, highest first)
    when given; a severity `order` does not name (since removed from the policy) comes after, by name."""
    found = times_by(incidents, lambda i: i.severity)
    if not order:
        return found
    rank = {level: n for n, level in enumerate(order)}
    return sorted(found, key=lambda k: (rank.get(k.key, len(rank)), k.key))


@dataclass(frozen=True)
class Recurrence:
    """Of one class's incidents in the period, how many had an earlier one of the class within the window."""

    key: str
    count: int
    recurring: int

    @property
    def rate(self) -> float:
        """recurring / count (0 for no incidents)."""
        return self.recurring / self.count if self.count else 0.0


def recurrence_by_class(incidents: Sequence[Measured], *, since: datetime, until: datetime,
                        window: timedelta = RECURRENCE_WINDOW) -> list[Recurrence]:
    """Recurrence of each class over incidents declared in [since, until).

    An incident recurs when another incident of its class was declared before it, at most `window` earlier
    (that one may be before `since`: pass incidents from `since - window`). Unclassed incidents are left out.
    """
    by_class = group_by([i for i in incidents if i.incident_class], class_of)
    found: list[Recurrence] = []
    for key in sorted(by_class):
        ordered = sorted(by_class[key], key=lambda i: (i.declared_at, i.number))
        counted = recurring = 0
        for index, incident in enumerate(ordered):
            if not since <= incident.declared_at < until:
                continue
            counted += 1
            earlier = ordered[index - 1] if index else None
            recurring += earlier is not None and incident.declared_at - earlier.declared_at <= window
        if counted:
            found.append(Recurrence(key=key, count=counted, recurring=recurring))
    return sorted(found, key=lambda r: (-r.count, r.key))


ALERT_GROUPS = "alert groups"
ALL_INCIDENTS = "all incidents"


def recurring_ids(incidents: Iterable[Measured], key: Callable[[Measured], object],
                  window: timedelta) -> set[int | None]:
    """Ids of incidents with an earlier incident of the same key (None: no key) at most `window` before them."""
    last: dict[object, datetime] = {}
    found: set[int | None] = set()
    for incident in sorted(incidents, key=lambda i: (i.declared_at, i.number)):
        k = key(incident)
        if k is None:
            continue
        if k in last and incident.declared_at - last[k] <= window:
            found.add(incident.id)
        last[k] = incident.declared_at
    return found


def recurrence_by_alert_group(incidents: Sequence[Measured], groups: Mapping[int, int], *, since: datetime,
                              until: datetime, window: timedelta = RECURRENCE_WINDOW,
                              incident_class: str | None = None) -> tuple[Recurrence, Recurrence]:
    """Recurrence by alert group, and overall (by class or alert group), of incidents declared in [since, until).

    `groups` maps an incident id to the alert group that opened it (store: alert_incident). The first figure counts
    the incidents an alert group opened, recurring when the same group opened another at most `window` before;
    the second counts every incident, recurring by that rule or by recurrence_by_class's. With `incident_class`,
    only that class's incidents are counted; the earlier incident of their group may be of any class.
    """
    by_group = recurring_ids(incidents, lambda i: groups.get(i.id) if i.id is not None else None, window)
    by_class = recurring_ids(incidents, lambda i: i.incident_class, window)
    chosen = [i for i in incidents if since <= i.declared_at < until and _of(i, incident_class)]
    grouped = [i for i in chosen if i.id in groups]
    return (Recurrence(key=ALERT_GROUPS, count=len(grouped), recurring=sum(i.id in by_group for i in grouped)),
            Recurrence(key=ALL_INCIDENTS, count=len(chosen),
                       recurring=sum(i.id in by_group or i.id in by_class for i in chosen)))


@dataclass(frozen=True)
class Coverage:
    """Runbook coverage: of incidents, and of the most frequent classes."""

    incidents: int
    with_runbook: int  # a runbook was attached
    with_step_run: int  # ... and at least one of its steps was run
    top_classes: tuple[str, ...]  # the N most frequent classes, most frequent first
    covered_classes: tuple[str, ...]  # those of them that have a matching runbook

    @property
    def incident_share(self) -> float:
        """Share of incidents where a runbook was attached and a step run."""
        return self.with_step_run / self.incidents if self.incidents else 0.0

    @property
    def class_share(self) -> float:
        """Share of the top classes with a matching runbook."""
        return len(self.covered_classes) / len(self.top_classes) if self.top_classes else 0.0


def runbook_coverage(incidents: Sequence[Measured], runs: Iterable[StepRun], *, classes_with_runbook: Collection[str],
                     top: int = TOP_CLASSES) -> Coverage:
    """Runbook coverage of `incidents`, from their step runs and the classes that have a runbook."""
    ids = {i.id for i in incidents}
    attached: set[int] = set()
    stepped: set[int] = set()
    for run in runs:
        if run.incident_id in ids:
            attached.add(run.incident_id)
            if run.state in RUN_STATES:
                stepped.add(run.incident_id)
    counts = {k: len(v) for k, v in group_by([i for i in incidents if i.incident_class], class_of).items()}
    ranked = tuple(sorted(counts, key=lambda k: (-counts[k], k))[:top])
    return Coverage(incidents=len(ids), with_runbook=len(attached), with_step_run=len(stepped), top_classes=ranked,
                    covered_classes=tuple(k for k in ranked if k in classes_with_runbook))


@dataclass(frozen=True)
class Insights:
    """The KPIs `/incident stats` shows beside the counts: times by class, recurrence and runbook coverage."""

    by_class: list[TimeKpi]
    recurrence: list[Recurrence]
    coverage: Coverage
    window: timedelta
    by_alert_group: Recurrence | None = None  # incidents alert groups opened (recurrence_by_alert_group)
    overall: Recurrence | None = None  # every incident, recurring by class or by alert group
    alerts: AlertCoverage | None = None  # runbook coverage of the top alerts (when their counts were read)
    # MTTA and MTTR of every incident of the period (key "all")
    times: TimeKpi = field(default_factory=lambda: TimeKpi("all", 0, None, None, None, None))
    by_severity: list[TimeKpi] = field(default_factory=list)  # in the order of severities given
    by_service: list[TimeKpi] = field(default_factory=list)


def insights(incidents: Sequence[Measured], runs: Iterable[StepRun], *, since: datetime, until: datetime,
             window: timedelta = RECURRENCE_WINDOW, classes_with_runbook: Collection[str] = (),
             groups: Mapping[int, int] | None = None, incident_class: str | None = None,
             alert_sources: Mapping[int, AlertSource] | None = None, runbook_ids: Collection[str] = (),
             severities: Sequence[str] = ()) -> Insights:
    """The KPIs of incidents declared in [since, until) (of `incident_class` only, when given); `incidents` may
    reach back `window` for recurrence and hold every class; `groups`: the alert group that opened each incident;
    `alert_sources`: how those groups' alerts read and the runbook they name, with `runbook_ids` the runbooks the
    bot has (the top alerts' coverage); `severities`: the policy's levels, highest first (times_by_severity)."""
    chosen = [i for i in incidents if since <= i.declared_at < until and _of(i, incident_class)]
    by_group, overall = (recurrence_by_alert_group(incidents, groups, since=since, until=until, window=window,
                                                   incident_class=incident_class)
                         if groups is not None else (None, None))
    by_class = recurrence_by_class(incidents, since=since, until=until, window=window)
    return Insights(by_class=times_by_class(chosen),
                    recurrence=[r for r in by_class if incident_class is None or r.key == incident_class],
                    coverage=runbook_coverage(chosen, runs, classes_with_runbook=classes_with_runbook),
                    window=window, by_alert_group=by_group, overall=overall,
                    alerts=None if alert_sources is None else alert_coverage(
                        alert_counts(chosen, groups or {}, alert_sources, since=since, until=until),
                        runbook_ids=runbook_ids),
                    times=time_kpi("all", chosen), by_severity=times_by_severity(chosen, severities),
                    by_service=times_by_service(chosen))


def _of(incident: Measured, incident_class: str | None) -> bool:
    return incident_class is None or incident.incident_class == incident_class
