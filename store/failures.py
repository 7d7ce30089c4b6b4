"""Telling database failures apart: a lost race (run it again), an unreachable database, or a bug."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.domain.errors import StorageUnavailable

# Connection-level failures: the database is down or went away. Other errors are bugs and propagate.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, ConnectionError, OSError, TimeoutError)
# A transaction that lost a race: PostgreSQL's deadlock_detected and serialization_failure, SQLite's busy writer.
_CONFLICT_STATES = frozenset({"40P01", "40001"})
_SQLITE_BUSY = ("database is locked", "database table is locked")
# A write sent to a read-only connection (store.engine.create_read_engine) is a bug, not an outage.
_READ_ONLY = ("attempt to write a readonly database",)


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
    if isinstance(exc, OperationalError) and any(refused in str(exc.orig) for refused in _READ_ONLY):
        return False
    return isinstance(exc, UNAVAILABLE)


@contextmanager
def unavailable_as(message: str) -> Iterator[None]:
    """Turn a connection-level failure inside the block into StorageUnavailable(`message`); bugs propagate."""
    try:
        yield
    except Exception as exc:
        if is_unavailable(exc):
            raise StorageUnavailable(message) from exc
        raise
