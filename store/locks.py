"""One lock order for every write: a transaction takes its workspace's audit-chain head first.

Every change of a workspace ends in an audit append, which locks the workspace's head row until
commit. A transaction that locked an incident, a timeline entry or a timer before the head could
deadlock with one that got the head first and then wanted that row (PostgreSQL then killed one:
the status change or the deletion was lost). Taking the head before any other row lock or write
serializes a workspace's writers in one order, so they queue instead of deadlocking.
"""

from __future__ import annotations

from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.audit_chain import ChainHead
from store.models import AuditChainHeadRow
from store.tables import core_rows, table_of

_LOCKED = "warroom_locked_workspaces"


async def lock_workspace(session: AsyncSession, team_id: str) -> None:
    """Hold the workspace's chain head row until the transaction ends (once per transaction).

    SQLite ignores FOR UPDATE: the insert makes the transaction a writer at once, and the engine's
    single connection (or SQLite's one writer) serializes the rest.
    """
    locked: set[str] = session.info.setdefault(_LOCKED, set())
    if team_id in locked:
        return
    await head_for_update(session, team_id)
    locked.add(team_id)


async def head_for_update(session: AsyncSession, team_id: str) -> ChainHead:
    """The workspace's chain head (created at seq 0 if missing), locked until the transaction ends."""
    heads = table_of(AuditChainHeadRow)
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    start = ChainHead.start(team_id)
    await session.exec(insert(heads).values(team_id=team_id, seq=start.seq, hash=start.hash)
                       .on_conflict_do_nothing(index_elements=["team_id"]))
    stmt = core_select(heads.c.seq, heads.c.hash).where(heads.c.team_id == team_id).with_for_update()
    seq, hash_ = (await core_rows(session, stmt)).one()
    session.info.setdefault(_LOCKED, set()).add(team_id)
    return ChainHead(team_id, seq, hash_)


def forget_locks(session: AsyncSession) -> None:
    """Called when the transaction ends: its locks are gone."""
    session.info.pop(_LOCKED, None)
