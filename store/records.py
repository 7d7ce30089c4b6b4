"""Timeline entries and audit events in SQL; every query is scoped by team id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import RowMapping, insert, union, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.audit_chain import AuditChain, ChainHead, head_of, link
from bot.domain.incident import AuditEvent, TimelineEntry, TimelineKind
from store.locks import head_for_update, lock_workspace, moved_head
from store.models import AuditChainHeadRow, AuditEventRow, TimelineEntryRow
from store.tables import core_rows, table_of

_ENTRY_FIELDS = [f for f in TimelineEntryRow.model_fields if f not in ("id", "kind", "captured_by")]


def _entry(row: TimelineEntryRow) -> TimelineEntry:
    return TimelineEntry(id=row.id, kind=TimelineKind(row.kind), captured_by=tuple(row.captured_by or ()),
                         **{f: getattr(row, f) for f in _ENTRY_FIELDS})


def _entry_from_mapping(row: RowMapping) -> TimelineEntry:
    return TimelineEntry(id=row["id"], kind=TimelineKind(row["kind"]), captured_by=tuple(row["captured_by"] or ()),
                         **{f: row[f] for f in _ENTRY_FIELDS})


def _entry_values(entry: TimelineEntry) -> dict[str, Any]:
    values = {f: getattr(entry, f) for f in _ENTRY_FIELDS}
    return {**values, "kind": str(entry.kind), "captured_by": list(entry.captured_by)}


class SqlTimelineRepository:
    """Timeline entries in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, entry: TimelineEntry) -> TimelineEntry:
        # A Core INSERT ... RETURNING, not an ORM flush: this runs while the workspace lock is held, and the
        # flush's bookkeeping was most of the time an entry took.
        await lock_workspace(self._s, entry.team_id)
        table = table_of(TimelineEntryRow)
        new_id = (await self._s.exec(insert(table).values(**_entry_values(entry)).returning(table.c.id))).scalar_one()
        return replace(entry, id=new_id)

    async def add_many(self, entries: Sequence[TimelineEntry]) -> None:
        if not entries:
            return
        for team_id in sorted({e.team_id for e in entries}):
            await lock_workspace(self._s, team_id)
        await self._s.exec(insert(table_of(TimelineEntryRow)), params=[_entry_values(e) for e in entries])

    async def update(self, entry: TimelineEntry) -> TimelineEntry:
        await lock_workspace(self._s, entry.team_id)
        row = (await self._s.exec(select(TimelineEntryRow).where(
            TimelineEntryRow.team_id == entry.team_id, TimelineEntryRow.id == entry.id))).one()
        for name, value in _entry_values(entry).items():
            setattr(row, name, value)
        self._s.add(row)
        await self._s.flush()
        return _entry(row)

    async def add_captured(self, entry: TimelineEntry) -> TimelineEntry | None:
        await lock_workspace(self._s, entry.team_id)
        row = TimelineEntryRow(**_entry_values(entry))
        try:
            async with self._s.begin_nested():  # a savepoint: losing the race must not end the transaction
                self._s.add(row)
        except IntegrityError:
            return None
        return _entry(row)

    async def get_by_source(self, team_id: str, incident_id: int, channel_id: str, ts: str,
                            *, for_update: bool = False) -> TimelineEntry | None:
        if for_update:
            await lock_workspace(self._s, team_id)
        stmt = select(TimelineEntryRow).where(
            TimelineEntryRow.team_id == team_id, TimelineEntryRow.incident_id == incident_id,
            TimelineEntryRow.source_channel_id == channel_id, TimelineEntryRow.source_ts == ts)
        row = (await self._s.exec(stmt.with_for_update() if for_update else stmt)).first()
        return _entry(row) if row else None

    async def list_for(self, team_id: str, incident_id: int) -> list[TimelineEntry]:
        # Plain rows, not ORM objects: a 10,000-entry export spends most of its time building
        # ORM instances otherwise (see bench/export.py).
        table = table_of(TimelineEntryRow)
        stmt = (core_select(table).where(table.c.team_id == team_id, table.c.incident_id == incident_id)
                .order_by(table.c.occurred_at, table.c.id))
        result = await core_rows(self._s, stmt)
        return [_entry_from_mapping(r) for r in result.mappings()]


class SqlAuditLog:
    """The audit log in SQL: insert and read only, each record chained to the one before it.

    An append locks its workspace's row in audit_chain_head (SELECT ... FOR UPDATE on PostgreSQL;
    SQLite has one writer at a time anyway), so concurrent appends take seq 1, 2, 3... in turn
    and the head moves in the same transaction as the record. Every other write of the
    workspace takes that lock first too (store/locks.py), so the order of locks is always the same.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, event: AuditEvent) -> AuditEvent:
        linked = link(event, await head_for_update(self._s, event.team_id))
        values = {k: v for k, v in asdict(linked).items() if k != "id"}
        table = table_of(AuditEventRow)  # Core, not an ORM flush: the workspace lock is held meanwhile
        new_id = (await self._s.exec(insert(table).values(**values).returning(table.c.id))).scalar_one()
        heads = table_of(AuditChainHeadRow)
        await self._s.exec(update(heads).where(heads.c.team_id == linked.team_id)
                           .values(seq=linked.seq, hash=linked.hash))
        moved_head(self._s, head_of(linked))
        return replace(linked, id=new_id)

    async def list_for(self, team_id: str, incident_id: int) -> list[AuditEvent]:
        table = table_of(AuditEventRow)
        stmt = (core_select(table).where(table.c.team_id == team_id, table.c.incident_id == incident_id)
                .order_by(table.c.at, table.c.id))
        result = await core_rows(self._s, stmt)
        return [AuditEvent(**dict(r)) for r in result.mappings()]

    async def chain(self, team_id: str) -> AuditChain:
        # Head first, then records up to it: a record and the head that names it commit together,
        # so the records read next include all of them, and appends in flight (seq above the head)
        # are left for the next verification.
        heads = table_of(AuditChainHeadRow)
        table = table_of(AuditEventRow)
        found = (await core_rows(self._s, core_select(heads.c.seq, heads.c.hash)
                                 .where(heads.c.team_id == team_id))).first()
        head = ChainHead(team_id, found.seq, found.hash) if found else None
        stmt = core_select(table).where(table.c.team_id == team_id).order_by(table.c.seq, table.c.id)
        if head is not None:
            stmt = stmt.where(table.c.seq <= head.seq)
        result = await core_rows(self._s, stmt)
        return AuditChain(team_id, tuple(AuditEvent(**dict(r)) for r in result.mappings()), head)

    async def teams(self) -> list[str]:
        heads = table_of(AuditChainHeadRow)
        table = table_of(AuditEventRow)
        stmt = union(core_select(heads.c.team_id), core_select(table.c.team_id))
        result = await core_rows(self._s, stmt)
        return sorted(result.scalars())
