"""Slack deliveries already handled, in SQL: INSERT ... ON CONFLICT DO NOTHING decides who is first.

Every signed slash command, view submission, event and click is recorded before it is handled, so the
records are written together: deliveries that arrive while one write is in flight go into the next one
(a group commit), instead of each queueing a transaction of its own for SQLite's single connection.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from store.models import SeenRequestRow
from store.uow import unavailable_as

KEY_MAX = 200
BATCH_MAX = 500  # rows of 3 parameters: far inside SQLite's and asyncpg's limits


def stored_key(key: str) -> str:
    """`key` as stored: long keys (action ids may be 255 characters) become a digest of themselves."""
    if len(key) <= KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class _Asked:
    team_id: str
    key: str
    at: datetime
    answer: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class SqlSeenRequests:
    """Implements the domain's SeenRequests port; each write is its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._queue: list[_Asked] = []
        self._writer: asyncio.Task[None] | None = None

    async def first_time(self, team_id: str, key: str, at: datetime) -> bool:
        """Record `key`; True for the one caller that records it first, False for a redelivery."""
        asked = _Asked(team_id, stored_key(key), at)
        self._queue.append(asked)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await asked.answer

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:BATCH_MAX], self._queue[BATCH_MAX:]
            try:
                recorded = await self._record(batch)
            except asyncio.CancelledError:
                for asked in (*batch, *self._queue):
                    asked.answer.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - handed to each caller, as its own INSERT would have raised it
                for asked in batch:
                    if not asked.answer.done():
                        asked.answer.set_exception(exc)
                continue
            claimed: set[tuple[str, str]] = set()
            for asked in batch:
                ident = (asked.team_id, asked.key)
                first = ident in recorded and ident not in claimed
                claimed.add(ident)
                if not asked.answer.done():  # its caller may have stopped waiting
                    asked.answer.set_result(first)

    async def _record(self, batch: list[_Asked]) -> set[tuple[str, str]]:
        """Insert the batch's keys; the (team, key) pairs that were new."""
        rows = {(a.team_id, a.key): {"team_id": a.team_id, "key": a.key, "created_at": a.at} for a in reversed(batch)}
        table = SeenRequestRow.__table__  # type: ignore[attr-defined]
        statement = (self._insert(table).values(list(rows.values()))
                     .on_conflict_do_nothing(index_elements=["team_id", "key"])
                     .returning(table.c.team_id, table.c.key))
        with unavailable_as("The database is unreachable; cannot tell a redelivery apart."):
            async with self._engine.begin() as conn:
                result = await conn.execute(statement)
                return {(row.team_id, row.key) for row in result}

    async def forget_before(self, before: datetime) -> int:
        """Drop what was recorded before `before`; how many rows went."""
        statement = delete(SeenRequestRow).where(SeenRequestRow.created_at < before)  # type: ignore[arg-type]
        with unavailable_as("The database is unreachable; old delivery records stay for now."):
            async with self._engine.begin() as conn:
                result = await conn.execute(statement)
        return int(result.rowcount or 0)
