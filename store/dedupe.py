"""Slack deliveries already handled, in SQL: INSERT ... ON CONFLICT DO NOTHING decides who is first.

Every signed slash command, view submission, event and click is recorded before it is handled, so the
records are written together: deliveries that arrive while the writes in flight are busy go into the
next one (a group commit). PostgreSQL may be shared by replicas, so each delivery waits for its write:
on a connection of its own (store.engine.Engines), with WRITERS batches in flight at once so a delivery
seldom waits for another's batch first; two batches with the same key are told apart by the unique
index, the second waits for the first and inserts nothing. A SQLite database has a single process
(store/engine.py): that process knows what it recorded in the last hour, decides at once and writes
behind, so no ack queues for SQLite's only connection.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from store.models import SeenRequestRow
from store.tables import table_of
from store.uow import unavailable_as

KEY_MAX = 200
WRITERS = 2  # batches in flight at once on PostgreSQL (the delivery engine's pool); SQLite writes behind, one
BATCH_MAX = 500  # rows of 3 parameters: far inside SQLite's and asyncpg's limits
# Slack redelivers within minutes and a signature is good for five: an hour in memory is plenty.
KNOWN_WINDOW = timedelta(hours=1)
log = structlog.get_logger(__name__)


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
    answer: asyncio.Future[bool] | None  # None: written behind, nobody waits


class SqlSeenRequests:
    """Implements the domain's SeenRequests port."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        table = table_of(SeenRequestRow)
        self._statement = (insert(table).on_conflict_do_nothing(index_elements=["team_id", "key"])
                           .returning(table.c.team_id, table.c.key))
        self._queue: list[_Asked] = []
        self._writers: set[asyncio.Task[None]] = set()
        self._max_writers = 1 if engine.dialect.name == "sqlite" else WRITERS
        self._known: dict[tuple[str, str], datetime] | None = {} if engine.dialect.name == "sqlite" else None
        self._loaded = False
        self._pruned_at: datetime | None = None

    async def first_time(self, team_id: str, key: str, at: datetime) -> bool:
        """Record `key`; True for the one caller that records it first, False for a redelivery."""
        if self._known is None:
            answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._enqueue(_Asked(team_id, stored_key(key), at, answer))
            return await answer
        if not self._loaded:
            await self._load_known(at)
        ident = (team_id, stored_key(key))
        if ident in self._known:
            return False
        self._known[ident] = at
        self._forget_known(at)
        self._enqueue(_Asked(team_id, ident[1], at, None))
        return True

    async def flush(self) -> None:
        """Wait until everything recorded so far is written (at shutdown, before pruning)."""
        while any(not writer.done() for writer in self._writers):
            await asyncio.wait(list(self._writers))  # not cancelled with the caller, as shield() would not be

    async def _load_known(self, at: datetime) -> None:
        table = table_of(SeenRequestRow)
        statement = select(table.c.team_id, table.c.key, table.c.created_at).where(
            table.c.created_at >= at - KNOWN_WINDOW)
        with unavailable_as("The database is unreachable; cannot tell a redelivery apart."):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(statement)).all()
        if not self._loaded and self._known is not None:  # another first request may have loaded meanwhile
            self._known.update({(row.team_id, row.key): row.created_at for row in rows})
            self._loaded = True

    def _forget_known(self, at: datetime) -> None:
        if self._known is None or (self._pruned_at is not None and at - self._pruned_at < KNOWN_WINDOW / 12):
            return
        self._pruned_at = at
        for ident in [i for i, when in self._known.items() if when < at - KNOWN_WINDOW]:
            del self._known[ident]

    def _enqueue(self, asked: _Asked) -> None:
        self._queue.append(asked)
        if sum(not writer.done() for writer in self._writers) < self._max_writers:  # a done one may not be discarded yet
            writer = asyncio.create_task(self._write_queued())
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:BATCH_MAX], self._queue[BATCH_MAX:]
            try:
                recorded = await self._record(batch)
            except asyncio.CancelledError:
                for asked in (*batch, *self._queue):
                    if asked.answer is not None:
                        asked.answer.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - handed to each caller, as its own INSERT would have raised it
                waiting = [a.answer for a in batch if a.answer is not None and not a.answer.done()]
                for answer in waiting:
                    answer.set_exception(exc)
                if len(waiting) < len(batch):  # written behind: this process still knows them until a restart
                    log.warning("seen_requests_not_written", count=len(batch) - len(waiting), error=type(exc).__name__)
                continue
            claimed: set[tuple[str, str]] = set()
            for asked in batch:
                ident = (asked.team_id, asked.key)
                first = ident in recorded and ident not in claimed
                claimed.add(ident)
                if asked.answer is not None and not asked.answer.done():  # its caller may have stopped waiting
                    asked.answer.set_result(first)

    async def _record(self, batch: list[_Asked]) -> set[tuple[str, str]]:
        """Insert the batch's keys; the (team, key) pairs that were new."""
        rows = {(a.team_id, a.key): {"team_id": a.team_id, "key": a.key, "created_at": a.at} for a in reversed(batch)}
        with unavailable_as("The database is unreachable; cannot tell a redelivery apart."):
            async with self._engine.begin() as conn:
                # One statement, compiled once and cached; SQLAlchemy sends the rows as one multi-row INSERT.
                result = await conn.execute(self._statement, list(rows.values()))
                return {(row.team_id, row.key) for row in result}

    async def forget_before(self, before: datetime) -> int:
        """Drop what was recorded before `before`; how many rows went."""
        await self.flush()
        statement = delete(SeenRequestRow).where(col(SeenRequestRow.created_at) < before)
        with unavailable_as("The database is unreachable; old delivery records stay for now."):
            async with self._engine.begin() as conn:
                result = await conn.execute(statement)
        return int(result.rowcount or 0)
