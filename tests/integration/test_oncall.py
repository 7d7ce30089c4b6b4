"""On-call handoffs: announced once per handoff, whatever the number of processes, with the brief."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_services
from bot.config import load_policy
from bot.domain.oncall import Rotation
from bot.services.declaration import DeclareRequest
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner

ROTATION = Rotation(id="app", name="Application on-call", members=("U1", "U2", "U3"), start=date(2026, 11, 16),
                    handoff_time=time(9, 0), length_days=7, timezone="Europe/Berlin", channel="#oncall")
POLICY = replace(load_policy(None), rotations=(ROTATION,))


def _services(engine: AsyncEngine, clock: FakeClock, chat: FakeChat):  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    return build_services(uow=lambda: SqlUnitOfWork(sessions), chat=chat, clock=clock, policy=POLICY,
                          directory=FakeDirectory(), runbook_chat=FakeRunbookChat(), runner=FakeStepRunner(),
                          catalog={})


async def test_a_handoff_is_announced_once_with_open_incidents_and_followups(engine: AsyncEngine) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 7, 59, tzinfo=UTC))  # Monday 08:59 in Berlin
    chats = [FakeChat(), FakeChat()]
    first, second = (_services(engine, clock, c) for c in chats)
    result = await first.incidents.declare(DeclareRequest(team_id="T1", user_id="U9", severity="sev1",
                                                          title="Imports failing"), force=True)
    assert result.incident is not None
    await first.reviews.add_followup("T1", result.incident.channel_id, "U9", "Add queue alert", "U4")  # type: ignore[arg-type]
    assert await first.oncall.dispatch_handoffs() == 1  # the handoff of the 16th, announced late once
    clock.advance(minutes=1)  # 09:00: U2 takes over from U1
    counts = await asyncio.gather(first.oncall.dispatch_handoffs(), second.oncall.dispatch_handoffs())
    assert sorted(counts) == [0, 1]
    posts = [args for c in chats for args in c.calls("post_handoff")]
    channel, text, incoming, outgoing = posts[-1]  # type: ignore[misc]
    assert (channel, incoming, outgoing) == ("#oncall", "U2", "U1")
    assert "*INC-1* Imports failing — SEV1, investigating" in text and "follow-up: Add queue alert (<@U4>)" in text
    assert await first.oncall.dispatch_handoffs() == 0
    duty = first.oncall.now_and_next()[0][1]
    assert (duty.current, duty.next) == ("U2", "U3") and duty.until - duty.since == timedelta(days=7)
