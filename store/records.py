"""Timeline entries and audit events in SQL; every query is scoped by team id."""

from __future__ import annotations

from dataclasses import asdict

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.incident import AuditEvent, TimelineEntry, TimelineKind
from store.models import AuditEventRow, TimelineEntryRow

_ENTRY_FIELDS = [f for f in TimelineEntryRow.model_fields if f not in ("id", "kind", "captured_by")]


def _entry(row: TimelineEntryRow) -> TimelineEntry:
    return TimelineEntry(id=row.id, kind=TimelineKind(row.kind), captured_by=tuple(row.captured_by or ()),
                         **{f: getattr(row, f) for f in _ENTRY_FIELDS})


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
        stmt = (
            select(TimelineEntryRow)
            .where(TimelineEntryRow.team_id == team_id, TimelineEntryRow.incident_id == incident_id)
            .order_by(col(TimelineEntryRow.occurred_at), col(TimelineEntryRow.id))
        )
        return [_entry(r) for r in (await self._s.exec(stmt)).all()]


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
        stmt = (
            select(AuditEventRow)
            .where(AuditEventRow.team_id == team_id, AuditEventRow.incident_id == incident_id)
            .order_by(col(AuditEventRow.at), col(AuditEventRow.id))
        )
        return [
            AuditEvent(id=r.id, team_id=r.team_id, incident_id=r.incident_id, actor=r.actor,
                       action=r.action, before=r.before, after=r.after, at=r.at)
            for r in (await self._s.exec(stmt)).all()
        ]
