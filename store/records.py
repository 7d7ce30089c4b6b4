"""Timeline entries and audit events in SQL; every query is scoped by team id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import select as core_select

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.incident import AuditEvent, TimelineEntry, TimelineKind
from store.models import AuditEventRow, TimelineEntryRow

_ENTRY_FIELDS = [f for f in TimelineEntryRow.model_fields if f not in ("id", "kind", "captured_by")]


def _entry(row: TimelineEntryRow) -> TimelineEntry:
    return TimelineEntry(id=row.id, kind=TimelineKind(row.kind), captured_by=tuple(row.captured_by or ()),
                         **{f: getattr(row, f) for f in _ENTRY_FIELDS})


def _entry_from_mapping(row: Mapping[str, Any]) -> TimelineEntry:
    return TimelineEntry(id=row["id"], kind=TimelineKind(row["kind"]), captured_by=tuple(row["captured_by"] or ()),
                         **{f: row[f] for f in _ENTRY_FIELDS})


def _entry_values(entry: TimelineEntry) -> dict[str, object]:
    values = {f: getattr(entry, f) for f in _ENTRY_FIELDS}
    return {**values, "kind": str(entry.kind), "captured_by": list(entry.captured_by)}


class SqlTimelineRepository:
    """Timeline entries in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, entry: TimelineEntry) -> TimelineEntry:
        row = TimelineEntryRow(**_entry_values(entry))
        self._s.add(row)
        await self._s.flush()
        return _entry(row)

    async def update(self, entry: TimelineEntry) -> TimelineEntry:
        row = (await self._s.exec(select(TimelineEntryRow).where(
            TimelineEntryRow.team_id == entry.team_id, TimelineEntryRow.id == entry.id))).one()
        for name, value in _entry_values(entry).items():
            setattr(row, name, value)
        self._s.add(row)
        await self._s.flush()
        return _entry(row)

    async def get_by_source(self, team_id: str, incident_id: int, channel_id: str, ts: str) -> TimelineEntry | None:
        row = (await self._s.exec(select(TimelineEntryRow).where(
            TimelineEntryRow.team_id == team_id, TimelineEntryRow.incident_id == incident_id,
            TimelineEntryRow.source_channel_id == channel_id, TimelineEntryRow.source_ts == ts))).first()
        return _entry(row) if row else None

    async def list_for(self, team_id: str, incident_id: int) -> list[TimelineEntry]:
        # Plain rows, not ORM objects: a 10,000-entry export spends most of its time building
        # ORM instances otherwise (see bench/export.py).
        table = TimelineEntryRow.__table__  # type: ignore[attr-defined]
        stmt = (core_select(table).where(table.c.team_id == team_id, table.c.incident_id == incident_id)
                .order_by(table.c.occurred_at, table.c.id))
        result = await self._s.exec(stmt)  # type: ignore[call-overload]
        return [_entry_from_mapping(r) for r in result.mappings()]


class SqlAuditLog:
    """The audit log in SQL (insert and read only)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, event: AuditEvent) -> AuditEvent:
        values = {k: v for k, v in asdict(event).items() if k != "id"}
        row = AuditEventRow(**values)
        self._s.add(row)
        await self._s.flush()
        return AuditEvent(**{**values, "id": row.id})

    async def list_for(self, team_id: str, incident_id: int) -> list[AuditEvent]:
        table = AuditEventRow.__table__  # type: ignore[attr-defined]
        stmt = (core_select(table).where(table.c.team_id == team_id, table.c.incident_id == incident_id)
                .order_by(table.c.at, table.c.id))
        result = await self._s.exec(stmt)  # type: ignore[call-overload]
        return [AuditEvent(**dict(r)) for r in result.mappings()]
