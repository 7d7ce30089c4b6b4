"""Timers in SQL: the database is the source of truth for every pending reminder.

A timer is claimed with one UPDATE on a row picked with FOR UPDATE SKIP LOCKED (PostgreSQL), so
two bot processes never take the same one; a claim is a lease, so a timer whose sender died is
taken again once the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, bindparam, func, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.timers import Timer, TimerKind
from store.columns import utc_field
from store.locks import lock_workspace
from store.tables import core_rows, table_of


class TimerRow(SQLModel, table=True):
    """A reminder or escalation timer of an incident."""

    __tablename__ = "timer"
    __table_args__ = (
        UniqueConstraint("team_id", "incident_id", "kind", "level", "due_at", name="uq_timer"),
        Index("ix_timer_due", "state", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    kind: str = Field(max_length=30)
    level: int = Field(default=0)
    due_at: datetime = utc_field(nullable=False)
    state: str = Field(default="pending", max_length=12)  # pending, sending, sent, cancelled, skipped
    claimed_until: datetime | None = utc_field(nullable=True)
    sent_at: datetime | None = utc_field(nullable=True)
    late: bool = Field(default=False)


def _timer(row: Any) -> Timer:
    return Timer(id=row.id, team_id=row.team_id, incident_id=row.incident_id, kind=TimerKind(row.kind),
                 due_at=row.due_at, level=row.level, state=row.state, sent_at=row.sent_at, late=row.late)


class SqlTimerRepository:
    """Pending and sent timers; planning is idempotent, claiming is exclusive."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def for_incident(self, team_id: str, incident_id: int) -> list[Timer]:
        rows = (await self._s.exec(select(TimerRow).where(TimerRow.team_id == team_id,
                                                          TimerRow.incident_id == incident_id)
                                   .order_by(col(TimerRow.due_at)))).all()
        return [_timer(r) for r in rows]

    async def replan(self, team_id: str, incident_id: int, wanted: Sequence[Timer]) -> None:
        """Add the wanted timers that do not exist yet; cancel pending ones no longer wanted."""
        await lock_workspace(self._s, team_id)
        existing = await self.for_incident(team_id, incident_id)
        have = {t.key for t in existing}
        keep = {t.key for t in wanted}
        for timer in wanted:
            if timer.key not in have:
                self._s.add(TimerRow(team_id=timer.team_id, incident_id=timer.incident_id, kind=timer.kind.value,
                                     level=timer.level, due_at=timer.due_at))
        stale = [t.id for t in existing if t.state == "pending" and t.key not in keep]
        if stale:
            await self._s.exec(update(TimerRow).where(col(TimerRow.id).in_(stale))
                               .values(state="cancelled"))
        await self._s.flush()

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int = 1) -> list[Timer]:
        """Take up to `limit` of the oldest due timers nobody holds (or whose holder's lease ran out).

        Two range reads of the (state, due_at) index, one per state, instead of one scan with an OR
        across states: the cost follows the timers that are due, not the thousands still pending.
        """
        table = table_of(TimerRow)
        due = (core_select(table.c.id, table.c.due_at).where(table.c.state == "pending", table.c.due_at <= now)
               .order_by(table.c.due_at).limit(limit))
        lapsed = (core_select(table.c.id, table.c.due_at)
                  .where(table.c.state == "sending", table.c.due_at <= now, table.c.claimed_until < now)
                  .order_by(table.c.due_at).limit(limit))
        ids = [r.id for r in sorted([*(await core_rows(self._s, due)).all(),
                                     *(await core_rows(self._s, lapsed)).all()],
                                    key=lambda r: r.due_at)[:limit]]
        if not ids:
            return []
        pick = core_select(table.c.id).where(table.c.id.in_(ids)).with_for_update(skip_locked=True)
        # The state is checked again: another process may have taken one between the read and this update.
        still_free = (table.c.state == "pending") | ((table.c.state == "sending") & (table.c.claimed_until < now))
        stmt = (update(table).where(table.c.id.in_(pick), still_free)
                .values(state="sending", claimed_until=lease_until).returning(*table.c))
        rows = (await self._s.exec(stmt)).all()
        return sorted((_timer(r) for r in rows), key=lambda t: t.due_at)

    async def finish_many(self, outcomes: Sequence[tuple[Timer, str, datetime | None, bool]]) -> None:
        """Record what became of claimed timers (timer, state, sent_at, late), in one statement."""
        if not outcomes:
            return
        for team_id in sorted({t.team_id for t, *_ in outcomes}):
            await lock_workspace(self._s, team_id)
        table = table_of(TimerRow)
        stmt = (update(table).where(table.c.id == bindparam("timer_id"))
                .values(state=bindparam("new_state"), sent_at=bindparam("new_sent_at"), late=bindparam("new_late"),
                        claimed_until=None))
        await self._s.exec(stmt, params=[
{"timer_id": t.id, "new_state": state, "new_sent_at": at, "new_late": late}
                                   for t, state, at, late in outcomes])

    async def finish(self, timer: Timer, state: str, sent_at: datetime | None, late: bool) -> None:
        """Record what became of a claimed timer."""
        await lock_workspace(self._s, timer.team_id)
        await self._s.exec(update(TimerRow).where(col(TimerRow.id) == timer.id)
                           .values(state=state, sent_at=sent_at, late=late, claimed_until=None))

    async def pending_count(self) -> int:
        """Timers not sent yet, across workspaces (for /health and metrics)."""
        stmt = select(func.count()).select_from(TimerRow).where(col(TimerRow.state).in_(["pending", "sending"]))
        return int((await self._s.exec(stmt)).one())


class HandoffRow(SQLModel, table=True):
    """An on-call handoff that was announced (one row per rotation and handoff time)."""

    __tablename__ = "handoff"
    __table_args__ = (UniqueConstraint("rotation_id", "handoff_at", name="uq_handoff"),)
    id: int | None = Field(default=None, primary_key=True)
    rotation_id: str = Field(max_length=40)
    handoff_at: datetime = utc_field(nullable=False)
    sent_at: datetime = utc_field(nullable=False)


class SqlHandoffRepository:
    """Which handoffs were announced; claiming one is an insert that only one process wins."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def claim(self, rotation_id: str, handoff_at: datetime, now: datetime) -> bool:
        """True for the one caller that records this handoff first."""
        try:
            async with self._s.begin_nested():
                self._s.add(HandoffRow(rotation_id=rotation_id, handoff_at=handoff_at, sent_at=now))
        except IntegrityError:
            return False
        return True
