"""Timers that fall due together are sent together, in one transaction (SQLite and PostgreSQL); one that
cannot be sent holds no other back: it stays claimed and is tried again once its lease runs out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.incident import Incident
from bot.domain.outbox import Outbox
from bot.services.timers import LEASE
from store.timers import TimerRow
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.integration.test_timer_service import _declare, _services


async def _states(engine: AsyncEngine) -> dict[tuple[int, str], str]:
    table = TimerRow.__table__  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        rows = (await conn.execute(select(table.c.incident_id, table.c.kind, table.c.state))).all()
    return {(r.incident_id, r.kind): r.state for r in rows if r.state != "pending"}


async def test_a_timer_that_cannot_be_sent_holds_back_no_other_of_its_batch(engine: AsyncEngine) -> None:
    clock, chat = FakeClock(), FakeChat()
    services = _services(engine, clock, chat)
    ids = [await _declare(services, title) for title in ("Imports failing", "Billing slow", "Search down")]
    send, broken = chat.post_timer, {ids[1]}

    async def post_timer(outbox: Outbox, incident: Incident, text: str, targets: Sequence[str], **kw: Any) -> None:
        if incident.id in broken:
            raise RuntimeError("a bug in this one reminder")
        await send(outbox, incident, text, targets, **kw)

    chat.post_timer = post_timer  # type: ignore[method-assign]
    clock.advance(minutes=15)
    assert await services.timers.dispatch_due() == 4  # update due and no commander, for the first and the third
    states = await _states(engine)
    assert {key for key, state in states.items() if state == "sending"} == {
        (ids[1], "update_due"), (ids[1], "response_target")}
    assert sum(state == "sent" for state in states.values()) == 4
    for incident_id, sent in zip(ids, (True, False, True), strict=True):
        timeline = [e.text for e in await services.incidents.timeline("T1", incident_id)]
        assert any("a status update for" in t for t in timeline) is sent

    broken.clear()  # fixed: once the lease runs out the held timers go out, once
    assert await services.timers.dispatch_due() == 0
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await services.timers.dispatch_due() == 2
    assert set((await _states(engine)).values()) == {"sent"}
    assert await services.timers.dispatch_due() == 0
