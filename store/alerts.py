"""Alerts in SQL: the inbox of notifications as received, and the alert groups with what they opened.

The receiver stores a notification (its body as received) and answers; a worker in any replica claims it
with FOR UPDATE SKIP LOCKED and a lease, and marks it processed in the transaction of what it caused. A
group row is unique per (team, source, key) and locked while one of its notifications is handled, so two
replicas never open two incidents for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, delete, func, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.alert_ports import AlertGroup, GroupState, StoredNotification
from store.columns import utc_field
from store.tables import core_rows, table_of

_DETAIL = ("lines", "title", "summary", "service", "severity", "channel", "runbook", "links")


class AlertNotificationRow(SQLModel, table=True):
    """A webhook notification as received, until (and a while after) it is processed."""

    __tablename__ = "alert_notification"
    __table_args__ = (UniqueConstraint("source", "digest", name="uq_alert_notification_digest"),
                      Index("ix_alert_notification_state", "state", "due_at"))
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)
    digest: str = Field(max_length=64)  # sha256 of the body: a retried delivery is stored once
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = utc_field(nullable=False)
    state: str = Field(default="pending", max_length=12)  # pending, done, failed
    due_at: datetime = utc_field(nullable=False)  # processed from then on (a retry waits)
    lease_until: datetime | None = utc_field(nullable=True)
    attempts: int = Field(default=0)
    done_at: datetime | None = utc_field(nullable=True)
    error: str = Field(default="", max_length=300)


class AlertGroupRow(SQLModel, table=True):
    """One alert group of one source in one workspace."""

    __tablename__ = "alert_group"
    __table_args__ = (UniqueConstraint("team_id", "source", "key", name="uq_alert_group_key"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    source: str = Field(max_length=20)
    key: str = Field(max_length=64)
    state: str = Field(default="quiet", max_length=12)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    previous_incident_id: int | None = Field(default=None, foreign_key="incident.id")
    statuses: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    last_notification_id: int = Field(default=0)
    lease_until: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)


class AlertIncidentRow(SQLModel, table=True):
    """An incident an alert group opened, and the one before it when the group recurred."""

    __tablename__ = "alert_incident"
    __table_args__ = (Index("ix_alert_incident_group", "team_id", "group_id"),)
    incident_id: int = Field(primary_key=True, foreign_key="incident.id")
    team_id: str = Field(max_length=32)
    group_id: int = Field(foreign_key="alert_group.id")
    recurred_from: int | None = Field(default=None, foreign_key="incident.id")
    opened_at: datetime = utc_field(nullable=False)


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _group(row: Any) -> AlertGroup:
    detail = row.detail or {}
    return AlertGroup(id=row.id, team_id=row.team_id, source=row.source, key=row.key, state=GroupState(row.state),
                      statuses=dict(row.statuses or {}), incident_id=row.incident_id,
                      previous_incident_id=row.previous_incident_id, last_notification_id=row.last_notification_id,
                      lease_until=row.lease_until, **{k: detail[k] for k in _DETAIL if k in detail})


class SqlAlertInbox:
    """The AlertInbox port over its own short transactions."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], receiving: AsyncEngine | None = None) -> None:
        self._sessions = sessions
        # PostgreSQL: the receivers insert on connections of their own (autocommit: one round trip), so an
        # answer never waits behind the worker's transactions. SQLite has one writer: its sessions.
        self._receiving = receiving

    async def add(self, source: str, body: str, digest: str, at: datetime) -> bool:
        values = {"source": source, "digest": digest, "body": body, "received_at": at, "due_at": at,
                  "state": "pending", "attempts": 0, "error": ""}
        if self._receiving is not None:
            stmt = (postgresql.insert(table_of(AlertNotificationRow)).values(**values)
                    .on_conflict_do_nothing(index_elements=["source", "digest"]))
            async with self._receiving.connect() as conn:
                result = await conn.execute(stmt)
                await conn.commit()
            return bool(result.rowcount)
        async with self._sessions() as session:
            stmt = (_insert(session)(table_of(AlertNotificationRow)).values(**values)
                    .on_conflict_do_nothing(index_elements=["source", "digest"]))
            result = await session.exec(stmt)
            await session.commit()
            return bool(result.rowcount)

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[StoredNotification]:
        table = table_of(AlertNotificationRow)
        async with self._sessions() as session:
            free = (table.c.state == "pending") & (table.c.due_at <= now) & (
                table.c.lease_until.is_(None) | (table.c.lease_until < now))
            pick = (core_select(table.c.id).where(free).order_by(table.c.id).limit(limit)
                    .with_for_update(skip_locked=True))
            ids = [r.id for r in (await core_rows(session, pick)).all()]
            if not ids:
                return []
            stmt = (update(table).where(table.c.id.in_(ids), free).values(lease_until=lease_until)
                    .returning(table.c.id, table.c.source, table.c.body, table.c.attempts))
            rows = (await session.exec(stmt)).all()
            await session.commit()
        return sorted((StoredNotification(r.id, r.source, r.body, r.attempts) for r in rows), key=lambda n: n.id)

    async def retry(self, notification_id: int, at: datetime, error: str, *, count: bool = True) -> None:
        table = table_of(AlertNotificationRow)
        async with self._sessions() as session:
            values: dict[str, Any] = {"due_at": at, "lease_until": None, "error": error[:300]}
            if count:
                values["attempts"] = table.c.attempts + 1
            await session.exec(update(table).where(table.c.id == notification_id, table.c.state == "pending")
                               .values(**values))
            await session.commit()

    async def fail(self, notification_id: int, error: str, at: datetime) -> None:
        table = table_of(AlertNotificationRow)
        async with self._sessions() as session:
            await session.exec(update(table).where(table.c.id == notification_id)
                               .values(state="failed", done_at=at, lease_until=None, error=error[:300]))
            await session.commit()

    async def prune(self, before: datetime) -> int:
        """Forget notifications handled (or given up) before `before`; a later retry of one is handled again
        and changes nothing (its group remembers its alerts). How many."""
        table = table_of(AlertNotificationRow)
        async with self._sessions() as session:
            result = await session.exec(delete(table).where(table.c.state != "pending", table.c.done_at < before))
            await session.commit()
            return int(result.rowcount or 0)

    async def pending(self) -> int:
        table = table_of(AlertNotificationRow)
        async with self._sessions() as session:
            stmt = core_select(func.count()).select_from(table).where(table.c.state == "pending")
            return int((await core_rows(session, stmt)).scalar_one())


class SqlAlertGroups:
    """The AlertGroupRepository port in a unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def lock(self, team_id: str, source: str, key: str) -> AlertGroup:
        table = table_of(AlertGroupRow)
        now = datetime.now(UTC)  # when the row was first seen (the use case's clock dates what it causes)
        await self._s.exec(_insert(self._s)(table).values(
            team_id=team_id, source=source, key=key, state=GroupState.QUIET.value, statuses={}, detail={},
            last_notification_id=0, created_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["team_id", "source", "key"]))
        stmt = core_select(table).where(table.c.team_id == team_id, table.c.source == source,
                                        table.c.key == key).with_for_update()
        return _group((await core_rows(self._s, stmt)).one())

    async def get(self, team_id: str, group_id: int, *, for_update: bool = False) -> AlertGroup | None:
        table = table_of(AlertGroupRow)
        stmt = core_select(table).where(table.c.team_id == team_id, table.c.id == group_id)
        row = (await core_rows(self._s, stmt.with_for_update() if for_update else stmt)).first()
        return _group(row) if row else None

    async def save(self, group: AlertGroup, at: datetime) -> None:
        detail = {k: getattr(group, k) for k in _DETAIL}
        detail["lines"], detail["links"] = dict(group.lines), dict(group.links)
        await self._s.exec(update(table_of(AlertGroupRow)).where(table_of(AlertGroupRow).c.id == group.id).values(
            state=group.state.value, statuses=dict(group.statuses), detail=detail, incident_id=group.incident_id,
            previous_incident_id=group.previous_incident_id, last_notification_id=group.last_notification_id,
            lease_until=group.lease_until, updated_at=at))

    async def finish(self, notification_id: int, at: datetime) -> None:
        table = table_of(AlertNotificationRow)
        await self._s.exec(update(table).where(table.c.id == notification_id)
                           .values(state="done", done_at=at, lease_until=None))

    async def opened(self, group: AlertGroup, incident_id: int, at: datetime) -> None:
        await self._s.exec(_insert(self._s)(table_of(AlertIncidentRow)).values(
            incident_id=incident_id, team_id=group.team_id, group_id=group.id,
            recurred_from=group.previous_incident_id, opened_at=at))

    async def incidents_of(self, team_id: str, group_id: int) -> list[tuple[int, int | None]]:
        table = table_of(AlertIncidentRow)
        stmt = (core_select(table.c.incident_id, table.c.recurred_from)
                .where(table.c.team_id == team_id, table.c.group_id == group_id).order_by(table.c.opened_at))
        return [(r.incident_id, r.recurred_from) for r in (await core_rows(self._s, stmt)).all()]
