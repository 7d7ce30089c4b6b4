"""One lock order for every write: a transaction takes its workspace's audit-chain head first.

Every change of a workspace ends in an audit append, which locks the workspace's head row until
commit. A transaction that locked an incident, a timeline entry or a timer before the head could
deadlock with one that got the head first and then wanted that row (PostgreSQL then killed one:
the status change or the deletion was lost). Taking the head before any other row lock or write
serializes a workspace's writers in one order, so they queue instead of deadlocking.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.audit_chain import ChainHead
from store.models import AuditChainHeadRow
from store.tables import core_rows, table_of

_HEADS = "warroom_locked_heads"  # session.info: {team_id: ChainHead} of the heads this transaction holds


async def lock_workspace(session: AsyncSession, team_id: str) -> None:
    """Hold the workspace's chain head row until the transaction ends (once per transaction).

    SQLite ignores FOR UPDATE: the engine's single connection (SQLite's one writer) serializes writers.
    """
    if team_id not in session.info.get(_HEADS, ()):
        await head_for_update(session, team_id)


async def head_for_update(session: AsyncSession, team_id: str) -> ChainHead:
    """The workspace's chain head (created at seq 0 if missing), locked until the transaction ends.

    Read once per transaction: while it holds the lock only its own appends move the head, and they
    tell it where to (`moved_head`).
    """
    held: dict[str, ChainHead] = session.info.setdefault(_HEADS, {})
    if team_id in held:
        return held[team_id]
    heads = table_of(AuditChainHeadRow)
    locked = core_select(heads.c.seq, heads.c.hash).where(heads.c.team_id == team_id).with_for_update()
    found = (await core_rows(session, locked)).first()
    if found is None:  # the workspace's first write: two may race to create the row, one insert wins
        dialect = session.bind.dialect.name if session.bind else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        start = ChainHead.start(team_id)
        await session.exec(insert(heads).values(team_id=team_id, seq=start.seq, hash=start.hash)
                           .on_conflict_do_nothing(index_elements=["team_id"]))
        found = (await core_rows(session, locked)).one()
    seq, hash_ = found
    head = held[team_id] = ChainHead(team_id, seq, hash_)
    return head


def moved_head(session: AsyncSession, head: ChainHead) -> None:
    """This transaction moved its workspace's head to `head` (an audit append)."""
    session.info.setdefault(_HEADS, {})[head.team_id] = head


def forget_locks(session: AsyncSession) -> None:
    """Called when the transaction ends: its locks are gone."""
    session.info.pop(_HEADS, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous: Any) -> None:
    # A rollback, to a savepoint too, may undo a head moved or locked after it: read it again next time.
    session.info.pop(_HEADS, None)
