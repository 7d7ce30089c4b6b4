"""What the insights read from storage: the records of a period's KPIs and of one person's App Home.

The port reads in a fixed number of queries whatever the history's size (no query per incident); the store
selects only the columns the KPIs use, so an incident read here has its text fields empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.domain.alert_coverage import AlertSource
from bot.domain.followup_kpis import FollowUpDay
from bot.domain.incident import FollowUp, Incident
from bot.domain.runbook import StepRun
from bot.domain.samples import Measured


@dataclass(frozen=True)
class PeriodRecords:
    """Incidents declared in [since - lookback, until), their step runs, and the follow-ups created or
    done in [since, until), counted by day."""

    incidents: Sequence[Measured]  # IncidentFacts, as the store reads them
    runs: list[StepRun]
    followup_days: list[FollowUpDay]
    # Read when asked (`alerts=True`): the alert group that opened each incident, and how the groups that opened
    # the period's incidents read, with the runbook they name.
    groups: Mapping[int, int] = field(default_factory=dict)
    alert_sources: Mapping[int, AlertSource] | None = None


@dataclass(frozen=True)
class OwnedFollowUp:
    """An open follow-up with the incident it belongs to (for a list of one person's follow-ups)."""

    followup: FollowUp
    incident_number: int
    incident_title: str
    channel_id: str | None

    @property
    def ref(self) -> str:
        """INC-<n> of its incident."""
        return f"INC-{self.incident_number}"


@dataclass(frozen=True)
class HomeRecords:
    """Open incidents of a workspace (the viewer's first), how many are open in all, and one person's open
    follow-ups."""

    open_incidents: list[Incident]  # up to `limit` of the viewer's, then up to `limit` others; each newest first
    open_total: int  # every open incident of the workspace, listed or not
    followups: list[OwnedFollowUp]


class InsightsReader(Protocol):
    """Reads for the KPIs and App Home; every method is scoped by team id and runs a fixed set of queries."""

    async def period(self, team_id: str, since: datetime, until: datetime, *, lookback: datetime,
                     overdue_before: datetime, incident_class: str | None = None,
                     alerts: bool = False) -> PeriodRecords:
        """Four queries: incidents declared in [lookback, until) (of one class when given), the step runs of
        those declared in [since, until), and the follow-ups (of those incidents' class, when given) created in
        [since, until) and done in it, counted by UTC day (followup_days: an open one created before
        `overdue_before` is overdue). With `alerts`, two more: the alert group that opened each of those
        incidents, and how the groups that opened the period's read."""
        ...

    async def home(self, team_id: str, user_id: str, open_statuses: Sequence[str],
                   limit: int = 50) -> HomeRecords:
        """Four queries: up to `limit` open incidents where `user_id` holds a role now, up to `limit` other open
        incidents (each newest first; the viewer's come first in open_incidents, however old), the count of every
        open incident (open_total), and up to `limit` of `user_id`'s open follow-ups (oldest first)."""
        ...
