"""Shutting down lets a timer poll that is running finish: it is not cancelled halfway through its claim."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.standin import FakeSlack
from store.timers import SqlTimerRepository
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
