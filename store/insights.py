"""The insights' reads in SQL: a fixed number of range reads over indexes, only the columns the KPIs use.

Plain Core rows, not ORM objects: a year of a big workspace's history is tens of thousands of rows, and building
ORM objects for them costs more than the query (bench/insights.py measures both paths' sum).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.alert_coverage import AlertSource
from bot.domain.followup_kpis import FollowUpDay
from bot.domain.incident import FollowUp, Incident
from bot.domain.insight_ports import HomeRecords, OwnedFollowUp, PeriodRecords
from bot.domain.kpis import RUN_STATES
from bot.domain.runbook import StepRun, StepState
from bot.domain.samples import IncidentFacts
from store.alerts import AlertGroupRow, AlertIncidentRow
from store.columns import as_day, utc_day
from store.models import FollowUpRow, IncidentRow, RoleAssignmentRow
from store.runs import StepRunRow
from store.tables import core_rows, open_newest_first, table_of

# What the KPIs read of an incident (IncidentFacts): grouping keys and the two samples, no JSON to decode.
_KPI_COLUMNS = ("id", "team_id", "number", "declared_at", "severity", "service", "status", "incident_class",
                "seconds_to_acknowledge", "seconds_to_resolve")
# App Home lists open incidents with their title, channel and roles; its texts are left empty.
_HOME_COLUMNS = ("id", "team_id", "number", "severity", "status", "service", "declared_at", "resolved_at",
                 "milestones", "incident_class", "title", "channel_id", "roles", "declared_by")
_RAN = [s.value for s in RUN_STATES]


def _facts(row: Any) -> IncidentFacts:
    """The KPIs' view of an incident, of a row of _KPI_COLUMNS and whether its root cause is written."""
    id_, team_id, number, declared_at, severity, service, status, cls, acknowledged, resolved, written = row
    return IncidentFacts(id=id_, team_id=team_id, number=number, declared_at=declared_at, severity=severity,
                         service=service, status=status, incident_class=cls,
                         acknowledged_after=None if acknowledged is None else timedelta(seconds=acknowledged),
                         resolved_after=None if resolved is None else timedelta(seconds=resolved),
                         has_root_cause=bool(written))


def _incident(row: Any) -> Incident:
    """An open incident for App Home, of a row of _HOME_COLUMNS."""
    (id_, team_id, number, severity, status, service, declared_at, resolved_at, milestones, cls, title, channel_id,
     roles, declared_by) = row
    return Incident(id=id_, team_id=team_id, number=number, title=title, severity=severity, status=status,
                    service=service, declared_by=declared_by, declared_at=declared_at, resolved_at=resolved_at,
                    milestones={k: datetime.fromisoformat(v) for k, v in (milestones or {}).items()},
                    incident_class=cls, channel_id=channel_id, roles=dict(roles or {}))


def _followup(row: Any) -> FollowUp:
    return FollowUp(team_id=row["team_id"], incident_id=row["incident_id"], text=row["text"],
                    created_by=row["created_by"], created_at=row["created_at"], owner=row["owner"],
                    done_at=row["done_at"], done_by=row["done_by"], id=row["id"])


class SqlInsights:
    """Implements InsightsReader in one session: a unit of work's (`uow.insights`, for /incident stats and the
    report) or one of its own (SqlInsightsReader, for App Home on the read engine)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def period(self, team_id: str, since: datetime, until: datetime, *, lookback: datetime,
                     overdue_before: datetime, incident_class: str | None = None,
                     alerts: bool = False) -> PeriodRecords:
        incident, run = table_of(IncidentRow), table_of(StepRunRow)
        wanted = [incident.c.team_id == team_id, incident.c.declared_at >= lookback, incident.c.declared_at < until]
        if incident_class is not None:
            wanted.append(incident.c.incident_class == incident_class)
        # The resolve form strips what it stores (ReviewService.resolve), so written is not empty, as
        # Incident.has_root_cause says of the stripped text.
        written = incident.c.root_cause != ""
        incidents = core_select(*(incident.c[name] for name in _KPI_COLUMNS), written).where(*wanted)
        # Coverage asks only whether an incident had a runbook and whether one of its steps ran: one row per
        # incident with a runbook, standing for its runs (a step that ran, or one that did not).
        ran = func.max(case((run.c.state.in_(_RAN), 1), else_=0))
        # Driven by the period's incident ids (the declared index), then step_run's (team, incident) index: a join
        # let SQLite read every step run of the workspace first.
        ids = core_select(incident.c.id).where(*wanted, incident.c.declared_at >= since)
        runs = (core_select(run.c.incident_id, ran)
                .where(run.c.team_id == team_id, run.c.incident_id.in_(ids.scalar_subquery()))
                .group_by(run.c.incident_id))
        found = [_facts(r) for r in await core_rows(self._s, incidents)]
        stepped = [StepRun(team_id=team_id, incident_id=i, runbook_id="", step_id="",
                           state=StepState.DONE if r else StepState.PENDING)
                   for i, r in await core_rows(self._s, runs)]
        days = await self._followup_days(team_id, since, until, overdue_before, incident_class)
        if not alerts:
            return PeriodRecords(incidents=found, runs=stepped, followup_days=days)
        groups, sources = await self._alert_groups(team_id, wanted, ids)
        return PeriodRecords(incidents=found, runs=stepped, followup_days=days, groups=groups, alert_sources=sources)

    async def _followup_days(self, team_id: str, since: datetime, until: datetime, overdue_before: datetime,
                             incident_class: str | None) -> list[FollowUpDay]:
        """Two reads: the follow-ups created in [since, until) and those done in it, counted by UTC day in SQL
        (FollowUpDay: a year is at most 366 rows each, not a row per follow-up); of one class's incidents."""
        incident, followup = table_of(IncidentRow), table_of(FollowUpRow)
        mine = [followup.c.team_id == team_id]
        if incident_class is not None:
            mine.append(followup.c.incident_id.in_(core_select(incident.c.id).where(
                incident.c.team_id == team_id, incident.c.incident_class == incident_class).scalar_subquery()))
        still_open = followup.c.done_at.is_(None)
        dialect = self._s.bind.dialect.name
        created_day, done_day = utc_day(followup.c.created_at, dialect), utc_day(followup.c.done_at, dialect)
        created = (core_select(created_day, func.count(), func.sum(case((still_open, 1), else_=0)),
                               func.sum(case((and_(still_open, followup.c.created_at < overdue_before), 1), else_=0)))
                   .where(*mine, followup.c.created_at >= since, followup.c.created_at < until)
                   .group_by(created_day))
        done = (core_select(done_day, func.count())
                .where(*mine, followup.c.done_at >= since, followup.c.done_at < until).group_by(done_day))
        days = {as_day(d): FollowUpDay(day=as_day(d), created=n, still_open=o or 0, overdue=late or 0)
                for d, n, o, late in await core_rows(self._s, created)}
        for d, n in await core_rows(self._s, done):
            day = as_day(d)
            days[day] = replace(days.get(day) or FollowUpDay(day=day), done=n)
        return [days[d] for d in sorted(days)]

    async def _alert_groups(self, team_id: str, wanted: list[Any],
                            period_ids: Any) -> tuple[dict[int, int], dict[int, AlertSource]]:
        """Two reads: the alert group that opened each incident `wanted` selects (alert_incident by its key), and
        how the groups that opened the period's incidents (`period_ids`) read, with the runbook they name."""
        incident, link, group = table_of(IncidentRow), table_of(AlertIncidentRow), table_of(AlertGroupRow)
        opened = (core_select(link.c.incident_id, link.c.group_id)
                  .join(incident, incident.c.id == link.c.incident_id).where(*wanted, link.c.team_id == incident.c.team_id))
        groups = {i: g for i, g in await core_rows(self._s, opened)}
        named = core_select(group.c.id, group.c.detail).where(group.c.team_id == team_id, group.c.id.in_(
            core_select(link.c.group_id).where(link.c.team_id == team_id,
                                               link.c.incident_id.in_(period_ids.scalar_subquery())).scalar_subquery()))
        sources = {g: AlertSource(title=str((d or {}).get("title") or ""), runbook=str((d or {}).get("runbook") or ""))
                   for g, d in await core_rows(self._s, named)}
        return groups, sources

    async def home(self, team_id: str, user_id: str, open_statuses: Sequence[str],
                   limit: int = 50) -> HomeRecords:
        incident, followup, role = table_of(IncidentRow), table_of(FollowUpRow), table_of(RoleAssignmentRow)
        is_open = [incident.c.team_id == team_id, incident.c.status.in_(list(open_statuses))]
        # The viewer's: a role they hold now (role_assignment's current rows, written with incident.roles in one
        # transaction). Asked of each open incident through role_assignment's (team, incident) index, so the cost
        # follows the open incidents, not the workspace's history of roles.
        holds = exists().where(role.c.team_id == team_id, role.c.incident_id == incident.c.id,
                               role.c.user_id == user_id, role.c.relinquished_at.is_(None))
        columns = [incident.c[name] for name in _HOME_COLUMNS]
        newest = open_newest_first(incident)
        theirs = core_select(*columns).where(*is_open, holds).order_by(*newest).limit(limit)
        others = core_select(*columns).where(*is_open, ~holds).order_by(*newest).limit(limit)
        total = core_select(func.count()).select_from(incident).where(*is_open)
        mine = (core_select(followup, incident.c.number, incident.c.title, incident.c.channel_id)
                .join(incident, incident.c.id == followup.c.incident_id)
                .where(followup.c.team_id == team_id, followup.c.owner == user_id, followup.c.done_at.is_(None))
                .order_by(followup.c.created_at, followup.c.id).limit(limit))
        incidents = [_incident(r) for q in (theirs, others) for r in await core_rows(self._s, q)]
        open_total = (await core_rows(self._s, total)).scalar_one()
        owned = [OwnedFollowUp(followup=_followup(r), incident_number=r["number"], incident_title=r["title"],
                               channel_id=r["channel_id"]) for r in (await core_rows(self._s, mine)).mappings()]
        return HomeRecords(open_incidents=incidents, open_total=open_total, followups=owned)


class SqlInsightsReader:
    """Implements InsightsReader over sessions of its own (App Home reads on the read engine when there is one)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def period(self, team_id: str, since: datetime, until: datetime, *, lookback: datetime,
                     overdue_before: datetime, incident_class: str | None = None,
                     alerts: bool = False) -> PeriodRecords:
        async with self._sessions() as session:
            return await SqlInsights(session).period(team_id, since, until, lookback=lookback,
                                                     overdue_before=overdue_before, incident_class=incident_class,
                                                     alerts=alerts)

    async def home(self, team_id: str, user_id: str, open_statuses: Sequence[str], limit: int = 50) -> HomeRecords:
        async with self._sessions() as session:
            return await SqlInsights(session).home(team_id, user_id, open_statuses, limit)
