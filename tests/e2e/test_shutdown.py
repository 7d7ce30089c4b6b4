"""Shutting down lets a timer poll or an outbox look that is running finish: neither is cancelled halfway
through its claim, which would leave what it claimed leased to a process that is gone."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import create_async_engine

from bot.domain.outbox import OutboundCall
from bot.standin import FakeSlack
from store.engine import session_factory
from store.outbox import SqlOutboxStore
from store.timers import SqlTimerRepository
from store.uow import SqlUnitOfWork
from tests.e2e.harness import running_bot


async def test_stopping_waits_for_the_timer_poll_in_progress_instead_of_cancelling_it(
    fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_claim = SqlTimerRepository.claim_due
    entered, gate = asyncio.Event(), asyncio.Event()
    outcomes: list[str] = []

    async def held_claim(self: SqlTimerRepository, now: datetime, lease_until: datetime, limit: int = 1) -> Any:
        entered.set()
        try:
            await gate.wait()  # the poll is in its claim when shutdown begins
        except asyncio.CancelledError:
            outcomes.append("cancelled")
            raise
        claimed = await real_claim(self, now, lease_until, limit)
        outcomes.append("finished")
        return claimed

    monkeypatch.setattr(SqlTimerRepository, "claim_due", held_claim)
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'stop.db'}", tmp_path,
                           env={"WARROOM_TIMER_POLL_SECONDS": "0.05"}) as bot:
        await entered.wait()
        stopping = asyncio.ensure_future(bot.warroom.stop())
        while not bot.warroom.services.timers.stopped:  # stop() has begun: the scheduler was told to stop
            await asyncio.sleep(0)
        await asyncio.sleep(0)  # a cancellation, if stop() sent one, reaches the poll at its next step
        gate.set()
        await stopping
        assert outcomes == ["finished"]
        assert not bot.warroom.scheduler.running


async def test_stopping_lets_the_senders_look_in_progress_hand_its_calls_to_lanes_instead_of_stranding_them(
    fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_claim = SqlOutboxStore.claim_heads
    entered, gate = asyncio.Event(), asyncio.Event()
    armed = False

    async def held_claim(self: SqlOutboxStore, now: datetime, lease_until: datetime, limit: int,
                         busy_lanes: frozenset[str], delivered: Any = ()) -> list[OutboundCall]:
        claimed = await real_claim(self, now, lease_until, limit, busy_lanes, delivered)
        if armed and claimed and not gate.is_set():
            entered.set()
            await gate.wait()  # the calls are leased (committed) but not handed to a lane when shutdown begins
        return claimed

    monkeypatch.setattr(SqlOutboxStore, "claim_heads", held_claim)
    db = tmp_path / "stop.db"
    # One call a minute per channel after the first: the claimed calls would wait for their turn.
    env = {"WARROOM_CHANNEL_RATE": "0.016", "WARROOM_CHANNEL_BURST": "1"}
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{db}", tmp_path, env=env) as bot:
        team = fake_slack.state.team_id

        async def post(*texts: str) -> None:
            async with SqlUnitOfWork(session_factory(bot.warroom.engine), wake=bot.warroom.sender.wake) as uow:
                for text in texts:
                    uow.outbox.put(OutboundCall(team_id=team, method="chat.postMessage",
                                                params={"channel": "CANNOUNCE", "text": text}))
                await uow.commit()

        await post("first")  # takes the channel's one turn
        await bot.settled()
        armed = True
        await post("second", "third", "fourth")
        await entered.wait()
        stopping = asyncio.ensure_future(bot.warroom.stop())
        while not bot.warroom.services.timers.stopped:
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        gate.set()
        await stopping
    engine = create_async_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with engine.connect() as conn:
            stranded = (await conn.execute(sql("SELECT count(*) FROM outbox WHERE state = 'pending' "
                                               "AND leased_until IS NOT NULL"))).scalar_one()
            pending = (await conn.execute(sql("SELECT count(*) FROM outbox WHERE state = 'pending'"))).scalar_one()
    finally:
        await engine.dispose()
    assert pending > 0, "calls were still queued at shutdown"
    assert stranded == 0, "a call claimed during shutdown was left leased to the stopped process"
