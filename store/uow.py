"""The SQL unit of work: one session, committed only on `commit()`, with the Slack calls the change queued.

Everything one change causes is added to it (the state, its timeline entry, audit record, timers) and
its `outbox` collects the Slack calls the chat adapters queue; `commit()` writes those calls with the
rest, then wakes the outbox sender. A unit of work that does not commit leaves no trace, messages included.
A read-only unit of work (over the read engine, see store.engine.Engines) can neither commit nor queue calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.commits import committed
from bot.domain.errors import StorageUnavailable, TransactionConflict
from store.alerts import SqlAlertGroups
from store.failures import UNAVAILABLE, is_conflict, is_unavailable, unavailable_as
from store.insights import SqlInsights
from store.locks import forget_locks
from store.outbox import SqlOutbox
from store.people import SqlFollowUpRepository, SqlRoleRepository
from store.records import SqlAuditLog, SqlTimelineRepository
from store.repositories import SqlIncidentRepository
from store.runs import SqlRunbookRepository
from store.status_page import SqlStatusPage
from store.timers import SqlHandoffRepository, SqlTimerRepository


class SqlUnitOfWork:
    """Implements the domain's UnitOfWork over an AsyncSession."""

    incidents: SqlIncidentRepository
    timeline: SqlTimelineRepository
    audit: SqlAuditLog
    roles: SqlRoleRepository
    followups: SqlFollowUpRepository
    runbooks: SqlRunbookRepository
    timers: SqlTimerRepository
    handoffs: SqlHandoffRepository
    alerts: SqlAlertGroups
    status_page: SqlStatusPage
    insights: SqlInsights
    outbox: SqlOutbox

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, now: Callable[[], datetime] | None = None,
                 wake: Callable[[], None] | None = None, read_only: bool = False) -> None:
        self._sessions = sessions
        self._read_only = read_only
        self._now = now or (lambda: datetime.now(UTC))  # when queued calls were stored (the outbox's clock)
        self._wake = wake or (lambda: None)  # tells the outbox sender that calls were committed
        self._session: AsyncSession | None = None
        self._committed = False

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self.incidents = SqlIncidentRepository(self._session)
        self.timeline = SqlTimelineRepository(self._session)
        self.audit = SqlAuditLog(self._session)
        self.roles = SqlRoleRepository(self._session)
        self.followups = SqlFollowUpRepository(self._session)
        self.runbooks = SqlRunbookRepository(self._session)
        self.timers = SqlTimerRepository(self._session)
        self.handoffs = SqlHandoffRepository(self._session)
        self.alerts = SqlAlertGroups(self._session)
        self.status_page = SqlStatusPage(self._session)
        self.insights = SqlInsights(self._session)
        self.outbox = SqlOutbox(self._now)
        if self._read_only:
            self.outbox.close()  # nothing it queued could ever be sent
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        self.outbox.close()  # what was queued and not committed is never sent
        forget_locks(self._session)
        try:
            await self._session.rollback()
            await self._session.close()
        except UNAVAILABLE:
            pass  # the original error (if any) is what matters; the connection is discarded anyway
        if exc is not None and not self._committed and is_conflict(exc):
            raise TransactionConflict("another change to this workspace was being saved at the same moment. "
                                      "Try again.") from exc
        if exc is not None and is_unavailable(exc):
            raise StorageUnavailable("The database is unreachable; nothing was saved. Try again shortly.") from exc

    async def commit(self) -> None:
        """Commit the session's work with the Slack calls queued so far, then wake the sender."""
        assert self._session is not None
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit: build the use case on the writing one")
        queued = await self.outbox.write(self._session)
        await self._session.commit()
        self._committed = True
        forget_locks(self._session)
        committed()
        if queued:
            self._wake()


# Re-exported: the failure helpers lived here before store.failures.
__all__ = ["SqlUnitOfWork", "is_conflict", "is_unavailable", "unavailable_as"]
