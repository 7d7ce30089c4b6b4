"""Runbook coverage of the top alerts (docs/KPIS.md): of the alert groups that opened the most incidents in a
period, the share whose alerts lead to a runbook the bot has.

Pure: from the alert group that opened each incident and how each group's alerts read (the insights' reader).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.samples import Measured

TOP_ALERTS = 5


@dataclass(frozen=True)
class AlertSource:
    """How an alert group's alerts read on the incident, and the runbook they name."""

    title: str  # their summary annotation, else the alert's name
    runbook: str  # annotation `runbook`, `runbook_url`, or the catalog's for their service; "" for none


@dataclass(frozen=True)
class AlertCount:
    """One alert group (issue 11: one source's alerts grouped by their labels) and the incidents it opened."""

    group_id: int
    title: str  # how its alerts read on the incident (their summary annotation, else the alert's name)
    runbook: str  # the runbook its alerts name (annotation `runbook`, `runbook_url`, or the catalog's); "" for none
    incidents: int  # incidents it opened in the period


@dataclass(frozen=True)
class AlertCoverage:
    """The top alert groups by incidents opened, and those of them with a runbook the bot has."""

    top: tuple[AlertCount, ...]
    covered: tuple[AlertCount, ...]

    @property
    def share(self) -> float:
        """Share of the top alerts with a runbook (0 for none)."""
        return len(self.covered) / len(self.top) if self.top else 0.0


def alert_coverage(alerts: Iterable[AlertCount], *, runbook_ids: Collection[str], top: int = TOP_ALERTS) -> AlertCoverage:
    """The `top` alert groups that opened the most incidents (ties by title, then group), and those covered: the
    runbook their alerts name is one the bot has loaded (a name that matches none is no coverage)."""
    ranked = tuple(sorted((a for a in alerts if a.incidents), key=lambda a: (-a.incidents, a.title, a.group_id))[:top])
    return AlertCoverage(top=ranked, covered=tuple(a for a in ranked if a.runbook and a.runbook in runbook_ids))



def alert_counts(incidents: Iterable[Measured], groups: Mapping[int, int], sources: Mapping[int, AlertSource], *,
                 since: datetime, until: datetime) -> list[AlertCount]:
    """How many of `incidents` declared in [since, until) each alert group opened (`groups`: incident id -> the
    group that opened it; keep only one class's incidents to count that class's)."""
    opened: dict[int, int] = {}
    for incident in incidents:
        group = groups.get(incident.id) if incident.id is not None else None
        if group is not None and since <= incident.declared_at < until:
            opened[group] = opened.get(group, 0) + 1
    unknown = AlertSource(title="", runbook="")
    return [AlertCount(group_id=g, title=sources.get(g, unknown).title or f"alert group {g}",
                       runbook=sources.get(g, unknown).runbook, incidents=n) for g, n in opened.items()]
