"""The outbox in SQL: Slack calls stored in the transaction of the change that caused them.

Each unit of work has its own `SqlOutbox`: the calls queued in it are written with the unit of
work's session when it commits (see `store.uow`), so a call commits or rolls back with the state
change that caused it, and the sender is woken once that transaction commits. The sender
leases the *head* of each lane (the oldest pending call, when no earlier call of its lane is
pending), with FOR UPDATE SKIP LOCKED on PostgreSQL, so calls of one channel go out in order even
with several bot processes, and a call whose sender died is taken again when its lease runs out,
marked uncertain (it may have reached Slack). Each row gets a random tag when it is stored: ids
come back after a prune (SQLite reuses the highest), tags never do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.grouping import Notice
from bot.domain.outbox import CallState, OutboundCall, parse_anchor
from store.columns import utc_field
from store.failures import unavailable_as
from store.outbox_groups import merge_waiting_notices
from store.repositories import SqlIncidentRepository
from store.runs import SqlRunbookRepository
from store.tables import core_rows, table_of

_PENDING = CallState.PENDING.value


class OutboxRow(SQLModel, table=True):
    """A Slack call waiting to be made, or made."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_lane", "state", "lane", "id"),
        Index("ix_outbox_anchor", "team_id", "anchor"),
        Index("ix_outbox_coalesce", "team_id", "coalesce_key", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tag: str = Field(max_length=36)  # names the posted message (its metadata), unique forever unlike the id
    team_id: str = Field(max_length=32)
    lane: str = Field(max_length=160)
    method: str = Field(max_length=60)
    params: str = Field(sa_column=Column(Text, nullable=False))
    coalesce_key: str | None = Field(default=None, max_length=120)
    anchor: str | None = Field(default=None, max_length=120)
    ts_from: str | None = Field(default=None, max_length=120)
    ts_param: str = Field(default="ts", max_length=20)
    state: str = Field(default=_PENDING, max_length=12)
    attempts: int = Field(default=0)
    uncertain: bool = Field(default=False)
    created_at: datetime = utc_field(nullable=False)
    next_attempt_at: datetime = utc_field(nullable=False)
    leased_until: datetime | None = utc_field(nullable=True)
    sent_at: datetime | None = utc_field(nullable=True)
    result_ts: str | None = Field(default=None, max_length=32)
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    group_key: str | None = Field(default=None, max_length=200)  # a notice that may be grouped (bot.domain.grouping)
    group_heading: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    group_line: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# The outbox table under another name, for the claim's subquery: made once (a new alias builds its
# column collection again on every claim, which was a sixth of the sender's time).
_EARLIER = table_of(OutboxRow).alias("earlier")


def _call(row: Any) -> OutboundCall:
    notice = Notice(row.group_key, row.group_heading, row.group_line) if row.group_key else None
    return OutboundCall(team_id=row.team_id, method=row.method, params=json.loads(row.params), lane=row.lane,
                        coalesce_key=row.coalesce_key, anchor=row.anchor, ts_from=row.ts_from,
                        ts_param=row.ts_param, id=row.id, attempts=row.attempts, created_at=row.created_at,
                        uncertain=row.uncertain, tag=row.tag, notice=notice)


def _row(call: OutboundCall, now: datetime) -> dict[str, Any]:
    """The outbox row of a call queued at `now`, as the values of an INSERT (every column but the id)."""
    notice = call.notice
    return {"tag": call.tag or uuid.uuid4().hex, "team_id": call.team_id, "lane": call.lane, "method": call.method,
            "params": json.dumps(call.params, separators=(",", ":")), "coalesce_key": call.coalesce_key,
            "anchor": call.anchor, "ts_from": call.ts_from, "ts_param": call.ts_param, "state": _PENDING,
            "attempts": 0, "uncertain": False, "created_at": now, "next_attempt_at": now, "leased_until": None,
            "sent_at": None, "result_ts": None, "error": "", "group_key": notice.key if notice else None,
            "group_heading": notice.heading if notice else None, "group_line": notice.line if notice else None}


class SqlOutbox:
    """The Outbox port of one unit of work: calls queued in memory, written with its session on commit."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._queued: list[dict[str, Any]] = []
        self._closed = False

    def put(self, call: OutboundCall) -> None:
        if self._closed:
            raise RuntimeError("a Slack call was queued after its unit of work ended: it would never be sent")
        self._queued.append(_row(call, self._now()))

    async def write(self, session: AsyncSession) -> bool:
        """Insert the calls queued so far in `session`'s transaction, whose commit stores them; whether there
        were any.

        A call with a coalesce key replaces the calls of that key still waiting (not being sent): only
        the latest card or topic goes out. Done here, by key, so the sender never searches for them.
        """
        queued, self._queued = self._queued, []
        latest = {(r["team_id"], r["coalesce_key"]): r for r in queued if r["coalesce_key"]}
        t = table_of(OutboxRow)
        if latest:  # one UPDATE for every key this unit of work replaces (a card and a topic, often)
            keys_by_team: dict[str, list[str]] = {}
            for team_id, key in latest:
                keys_by_team.setdefault(team_id, []).append(key)
            await session.exec(update(t).where(
                or_(*(and_(t.c.team_id == team_id, t.c.coalesce_key.in_(keys)) for team_id, keys in keys_by_team.items())),
                t.c.state == _PENDING, t.c.leased_until.is_(None)).values(state=CallState.SUPERSEDED.value))
        stored = [r for r in queued if not r["coalesce_key"] or latest[(r["team_id"], r["coalesce_key"])] is r]
        if stored:  # one statement for them all (executemany): no ids needed back
            await session.exec(insert(t), params=stored)
        return bool(stored)

    def close(self) -> None:
        """The unit of work ended: what was not written is dropped, and nothing more may be queued."""
        self._queued, self._closed = [], True


class SqlOutboxStore:
    """The OutboxStore port, over its own short transactions."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        """A session whose connection failures surface as StorageUnavailable (the sender waits and retries)."""
        with unavailable_as("The database is unreachable; Slack calls wait until it is back."):
            async with self._sessions() as session:
                yield session

    async def claim_heads(self, now: datetime, lease_until: datetime, limit: int, busy_lanes: frozenset[str],
                          delivered: Sequence[tuple[OutboundCall, str | None]] = ()) -> list[OutboundCall]:
        t = table_of(OutboxRow)
        free = or_(t.c.leased_until.is_(None), t.c.leased_until < now)
        earlier = _EARLIER
        waits = exists().where(earlier.c.lane == t.c.lane, earlier.c.state == _PENDING, earlier.c.id < t.c.id)
        conditions = [t.c.state == _PENDING, t.c.next_attempt_at <= now, free, ~waits]
        if busy_lanes:
            conditions.append(t.c.lane.notin_(sorted(busy_lanes)))
        async with self._session() as s:
            # Calls delivered since the last look are recorded first, so the next of each lane is free.
            await _mark_sent(s, delivered, now)
            rows: list[Any] = []
            for _ in range(3):  # a head that a later card update or topic replaced gives way to the next
                pick = (select(t.c.id).where(*conditions).order_by(t.c.id).limit(max(1, limit - len(rows)))
                        .with_for_update(skip_locked=True))
                leased = (await s.exec(
                    update(t).where(t.c.id.in_(pick))
                    .values(leased_until=lease_until, uncertain=or_(t.c.uncertain, t.c.leased_until.is_not(None)))
                    .returning(*t.c))).all()
                stale = await _replaced(s, t, leased)
                rows += [r for r in leased if r.id not in stale]
                if not stale:
                    break
            grouped = await merge_waiting_notices(s, t, rows, now)
            await s.commit()
        calls = (_call(r) for r in rows)
        calls = (replace(c, params=grouped[c.id]) if c.id in grouped else c for c in calls)
        return sorted(calls, key=lambda c: c.id or 0)

    async def anchor_ts(self, team_id: str, anchor: str) -> str | None:
        t = table_of(OutboxRow)
        async with self._session() as s:
            found = (await core_rows(s, select(t.c.result_ts).where(
                t.c.team_id == team_id, t.c.anchor == anchor, t.c.state == CallState.SENT.value)
                .order_by(t.c.id.desc()).limit(1))).first()
        return found[0] if found else None

    async def sent(self, call: OutboundCall, ts: str | None, now: datetime) -> None:
        async with self._session() as s:
            await _mark_sent(s, [(call, ts)], now)
            await s.commit()

    async def retry(self, call: OutboundCall, at: datetime, error: str, uncertain: bool) -> None:
        t = table_of(OutboxRow)
        async with self._session() as s:
            await s.exec(update(t).where(t.c.id == call.id).values(
                attempts=t.c.attempts + 1, next_attempt_at=at, leased_until=None, error=error[:2000],
                uncertain=or_(t.c.uncertain, true() if uncertain else false())))
            await s.commit()

    async def release(self, call: OutboundCall) -> None:
        t = table_of(OutboxRow)
        async with self._session() as s:
            await s.exec(update(t).where(t.c.id == call.id).values(leased_until=None))
            await s.commit()

    async def failed(self, call: OutboundCall, error: str, now: datetime) -> None:
        t = table_of(OutboxRow)
        async with self._session() as s:
            await s.exec(update(t).where(t.c.id == call.id).values(
                state=CallState.FAILED.value, attempts=t.c.attempts + 1, error=error[:2000], leased_until=None,
                sent_at=now))
            await s.commit()

    async def backlog(self) -> int:
        t = table_of(OutboxRow)
        async with self._session() as s:
            found = (await core_rows(s, select(func.count()).select_from(t).where(t.c.state == _PENDING))).first()
        return int(found[0]) if found else 0

    async def prune(self, before: datetime) -> int:
        """Forget delivered, replaced and failed calls older than `before`; how many."""
        t = table_of(OutboxRow)
        async with self._session() as s:
            result = await s.exec(delete(t).where(t.c.state != _PENDING, t.c.created_at < before))
            await s.commit()
        return int(result.rowcount or 0)

    async def calls(self, team_id: str) -> list[tuple[OutboundCall, str]]:
        """Every stored call of a workspace with its state, oldest first (for tests and `doctor`)."""
        t = table_of(OutboxRow)
        async with self._session() as s:
            rows = (await core_rows(s, select(t).where(t.c.team_id == team_id).order_by(t.c.id))).all()
        return [(_call(r), r.state) for r in rows]


async def _replaced(s: AsyncSession, t: Any, leased: Sequence[Any]) -> set[int]:
    """Leased card updates and topics that a later one of the same key, still pending, replaces: marked
    superseded (a newer one written while this one was being tried could not replace it then)."""
    stale: set[int] = set()
    for row in leased:
        if row.coalesce_key is None or row.uncertain:
            continue  # an uncertain call may have reached Slack: it is looked up, not dropped
        newer = (select(t.c.id).where(t.c.team_id == row.team_id, t.c.coalesce_key == row.coalesce_key,
                                      t.c.state == _PENDING, t.c.id > row.id).limit(1))
        if (await core_rows(s, newer)).first() is not None:
            stale.add(row.id)
    if stale:
        await s.exec(update(t).where(t.c.id.in_(sorted(stale)))
                     .values(state=CallState.SUPERSEDED.value, leased_until=None))
    return stale


async def _mark_sent(s: AsyncSession, delivered: Iterable[tuple[OutboundCall, str | None]], now: datetime) -> None:
    delivered = list(delivered)
    # Anchors first, workspace by workspace: writing one takes the workspace's lock (store.locks), which
    # every write transaction takes before any other row.
    for call, ts in sorted(delivered, key=lambda d: d[0].team_id):
        if call.anchor and ts:
            await _remember_anchor(s, call, ts)
    if not delivered:
        return
    t = table_of(OutboxRow)
    # One statement for all of them (executemany): the sender records hundreds a second under load.
    await s.exec(update(t).where(t.c.id == bindparam("call_id"))
                 .values(state=CallState.SENT.value, result_ts=bindparam("call_ts"), sent_at=now, leased_until=None),
                 params=[{"call_id": call.id, "call_ts": ts} for call, ts in delivered])


async def _remember_anchor(s: AsyncSession, call: OutboundCall, ts: str) -> None:
    """Record the ts of an anchored message where the rest of Warroom reads it, through its repository."""
    parsed = parse_anchor(call.anchor or "")
    if parsed is None:
        return
    kind, team_id, ident = parsed
    if kind == "card":
        await SqlIncidentRepository(s).set_card(team_id, ident, ts)
    elif kind == "checklist":
        await SqlRunbookRepository(s).set_message(team_id, ident, str(call.params.get("channel", "")), ts)


PRUNE_AFTER = timedelta(days=2)
