"""The incident repository: maps rows to domain objects; every query is scoped by team id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, func, true, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.incident import Incident, NewIncident
from store.locks import lock_workspace
from store.models import IncidentRow, WorkspaceRow
from store.tables import core_rows, open_newest_first, table_of

# The columns of the domain's fields (the KPI samples are derived, written with the milestones).
_SAMPLES = ("seconds_to_acknowledge", "seconds_to_resolve")
_INCIDENT_FIELDS = [f for f in IncidentRow.model_fields if f not in ("id", "milestones", *_SAMPLES)]


def _incident(row: IncidentRow | SimpleNamespace) -> Incident:
    """The domain incident of a row (an IncidentRow, or a plain row with the same names)."""
    assert row.id is not None, "incident rows are read back after their insert is flushed"
    milestones = {k: datetime.fromisoformat(v) for k, v in (row.milestones or {}).items()}
    return Incident(id=row.id, milestones=milestones, **{f: getattr(row, f) for f in _INCIDENT_FIELDS})


def _incident_values(incident: NewIncident) -> dict[str, Any]:
    values = {f: getattr(incident, f) for f in _INCIDENT_FIELDS}
    values["roles"] = dict(incident.roles)
    values["custom_fields"] = dict(incident.custom_fields)
    values["milestones"] = {k: v.astimezone(UTC).isoformat() for k, v in incident.milestones.items()}
    acknowledged, resolved = incident.acknowledged_after, incident.resolved_after
    values["seconds_to_acknowledge"] = None if acknowledged is None else acknowledged.total_seconds()
    values["seconds_to_resolve"] = None if resolved is None else resolved.total_seconds()
    return values


class SqlIncidentRepository:
    """Incidents in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def allocate_number(self, team_id: str) -> int:
        """Atomic upsert-and-increment; works on SQLite (3.35+) and PostgreSQL alike."""
        dialect = self._s.bind.dialect.name if self._s.bind else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = table_of(WorkspaceRow)
        stmt = (
            insert(table)
            .values(team_id=team_id, last_incident_number=1)
            .on_conflict_do_update(
                index_elements=["team_id"],
                set_={"last_incident_number": table.c.last_incident_number + 1},
            )
            .returning(table.c.last_incident_number)
        )
        result = await self._s.exec(stmt)
        return int(result.scalar_one())

    async def add(self, incident: NewIncident) -> Incident:
        await lock_workspace(self._s, incident.team_id)
        row = IncidentRow(**_incident_values(incident))
        self._s.add(row)
        await self._s.flush()
        return _incident(row)

    async def update(self, incident: Incident) -> Incident:
        await lock_workspace(self._s, incident.team_id)
        values = _incident_values(incident)
        # One UPDATE, no read first; an IncidentRow this session holds (from `add`) is updated with it.
        result = await self._s.exec(update(IncidentRow).where(
            col(IncidentRow.team_id) == incident.team_id, col(IncidentRow.id) == incident.id).values(**values))
        if not result.rowcount:
            raise LookupError(f"incident {incident.id} not found in {incident.team_id}")
        return _incident(SimpleNamespace(id=incident.id, **values))

    async def _one(self, *where: ColumnElement[bool], for_update: bool = False) -> Incident | None:
        # Plain rows, not ORM objects: cheaper, and no object in the session can go stale behind an UPDATE.
        stmt = core_select(table_of(IncidentRow)).where(*where)
        row = (await core_rows(self._s, stmt.with_for_update() if for_update else stmt)).mappings().first()
        return _incident(SimpleNamespace(**row)) if row else None

    async def get_many(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Incident]:
        wanted = set(keys)
        if not wanted:
            return {}
        rows = (await self._s.exec(select(IncidentRow).where(
            col(IncidentRow.id).in_(sorted({i for _, i in wanted}))))).all()
        found = (_incident(r) for r in rows)
        return {(i.team_id, i.id): i for i in found if (i.team_id, i.id) in wanted}

    async def get(self, team_id: str, incident_id: int, *, for_update: bool = False) -> Incident | None:
        if for_update:  # PostgreSQL locks the row (its workspace first: store/locks.py); SQLite has one writer
            await lock_workspace(self._s, team_id)
        table = table_of(IncidentRow)
        return await self._one(table.c.team_id == team_id, table.c.id == incident_id, for_update=for_update)

    async def set_card(self, team_id: str, incident_id: int, card_ts: str) -> None:
        await lock_workspace(self._s, team_id)
        await self._s.exec(update(IncidentRow).where(
            col(IncidentRow.team_id) == team_id, col(IncidentRow.id) == incident_id).values(card_ts=card_ts))

    async def get_by_number(self, team_id: str, number: int) -> Incident | None:
        table = table_of(IncidentRow)
        return await self._one(table.c.team_id == team_id, table.c.number == number)

    async def get_by_channel(self, team_id: str, channel_id: str) -> Incident | None:
        table = table_of(IncidentRow)
        return await self._one(table.c.team_id == team_id, table.c.channel_id == channel_id)

    async def list_by_status(self, team_id: str, statuses: Sequence[str], limit: int = 100) -> list[Incident]:
        # Plain rows, not ORM objects: this is the read behind /incident list (see bench/run.py).
        table = table_of(IncidentRow)
        stmt = (core_select(table).where(table.c.team_id == team_id, table.c.status.in_(list(statuses)))
                .order_by(*open_newest_first(table)).limit(limit))
        result = await core_rows(self._s, stmt)
        return [_incident(SimpleNamespace(**row)) for row in result.mappings()]

    async def list_declared_since(self, team_id: str, since: datetime,
                                  until: datetime | None = None) -> list[Incident]:
        stmt = (
            select(IncidentRow)
            .where(IncidentRow.team_id == team_id, col(IncidentRow.declared_at) >= since,
                   col(IncidentRow.declared_at) < until if until is not None else true())
            .order_by(col(IncidentRow.declared_at).desc())
        )
        return [_incident(r) for r in (await self._s.exec(stmt)).all()]

    async def count_by_status(self) -> dict[str, int]:
        stmt = select(IncidentRow.status, func.count()).group_by(IncidentRow.status)
        return {status: int(n) for status, n in (await self._s.exec(stmt)).all()}

    async def workspaces(self) -> list[str]:
        stmt = select(WorkspaceRow.team_id).order_by(WorkspaceRow.team_id)
        return list((await self._s.exec(stmt)).all())
