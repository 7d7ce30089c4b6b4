"""The unit of work in progress, for adapters that must write inside it (the outbox)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from sqlmodel.ext.asyncio.session import AsyncSession

# Set while a SqlUnitOfWork is open in this task (tasks it starts inherit it).
active_session: ContextVar[AsyncSession | None] = ContextVar("warroom_active_session", default=None)
_AFTER_COMMIT = "warroom_after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once `session`'s transaction has committed (not if it rolls back)."""
    callbacks: list[Callable[[], None]] = session.info.setdefault(_AFTER_COMMIT, [])
    if callback not in callbacks:
        callbacks.append(callback)


def run_after_commit(session: AsyncSession) -> None:
    """Called by the unit of work right after a successful commit."""
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


def discard_after_commit(session: AsyncSession) -> None:
    """Called when the transaction is rolled back: nothing it queued will be delivered."""
    session.info.pop(_AFTER_COMMIT, None)
