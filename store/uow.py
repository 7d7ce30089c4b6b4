"""The SQL unit of work: one session, committed only on `commit()`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.commits import committed
from bot.domain.errors import StorageUnavailable, TransactionConflict
from store.context import active_session, discard_after_commit, run_after_commit
from store.locks import forget_locks
from store.people import SqlFollowUpRepository, SqlRoleRepository
from store.records import SqlAuditLog, SqlTimelineRepository
from store.repositories import SqlIncidentRepository
from store.runs import SqlRunbookRepository
from store.timers import SqlHandoffRepository, SqlTimerRepository

# Connection-level failures: the database is down or went away. Other errors are bugs and propagate.
_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, ConnectionError, OSError, TimeoutError)
# A transaction that lost a race: PostgreSQL's deadlock_detected and serialization_failure, SQLite's busy writer.
_CONFLICT_STATES = frozenset({"40P01", "40001"})
_SQLITE_BUSY = ("database is locked", "database table is locked")


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

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
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
        self._token = active_session.set(self._session)  # the outbox writes into this transaction
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        active_session.reset(self._token)
        discard_after_commit(self._session)
        forget_locks(self._session)
        try:
            await self._session.rollback()
            await self._session.close()
        except _UNAVAILABLE:
            pass  # the original error (if any) is what matters; the connection is discarded anyway
        if exc is not None and not self._committed and is_conflict(exc):
            raise TransactionConflict("another change to this workspace was being saved at the same moment. "
                                      "Try again.") from exc
        if exc is not None and is_unavailable(exc):
            raise StorageUnavailable("The database is unreachable; nothing was saved. Try again shortly.") from exc

    async def commit(self) -> None:
        """Commit the session's work."""
        assert self._session is not None
        await self._session.commit()
        self._committed = True
        forget_locks(self._session)
        committed()
        # Calls queued after this point would be rolled back at exit: they commit on their own instead.
        active_session.set(None)
        run_after_commit(self._session)


def is_conflict(exc: BaseException) -> bool:
    """Whether `exc` means the transaction lost a race with another and was rolled back (safe to run again)."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if state in _CONFLICT_STATES:
        return True
    return isinstance(exc, OperationalError) and any(busy in str(exc.orig) for busy in _SQLITE_BUSY)


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached (as opposed to a bug or a refused write)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _UNAVAILABLE)


@contextmanager
def unavailable_as(message: str) -> Iterator[None]:
    """Turn a connection-level failure inside the block into StorageUnavailable(`message`); bugs propagate."""
    try:
        yield
    except Exception as exc:
        if is_unavailable(exc):
            raise StorageUnavailable(message) from exc
        raise
