"""Timers over the real store (SQLite and PostgreSQL): sent once when due, re-checked, never doubled."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_services
from bot.config import load_policy
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from bot.services.timers import TimerService
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner

POLICY = load_policy(None)


def _services(engine: AsyncEngine, clock: FakeClock, chat: FakeChat) -> Services:
    sessions = session_factory(engine)
    return build_services(uow=lambda: SqlUnitOfWork(sessions), chat=chat, clock=clock, policy=POLICY,
                          directory=FakeDirectory(), runbook_chat=FakeRunbookChat(), runner=FakeStepRunner(),
                          catalog={})


async def _declare(services: Services, title: str = "Imports failing", severity: str = "sev1") -> int:
    result = await services.incidents.declare(
        DeclareRequest(team_id="T1", user_id="U1", severity=severity, title=title), force=True)
    assert result.incident is not None and result.incident.id is not None
    return result.incident.id


async def test_due_timers_are_sent_once_and_recorded_on_the_timeline(engine: AsyncEngine) -> None:
    clock, chat = FakeClock(), FakeChat()
    services = _services(engine, clock, chat)
    incident_id = await _declare(services)
    assert await services.timers.dispatch_due() == 0
    clock.advance(minutes=15)
    assert await services.timers.dispatch_due() == 2  # update due, and no commander yet
    assert await services.timers.dispatch_due() == 0
    texts = [text for text, _ in chat.calls("post_timer")]  # type: ignore[misc]
    assert any("a status update for INC-1 is due" in t for t in texts)
    assert any("has no incident commander after 15 min" in t for t in texts)
    timeline = [e.text for e in await services.incidents.timeline("T1", incident_id)]
    assert sum("status update for INC-1 is due" in t for t in timeline) == 1


async def test_an_incident_resolved_before_its_escalation_sends_no_escalation(engine: AsyncEngine) -> None:
    clock, chat = FakeClock(), FakeChat()
    services = _services(engine, clock, chat)
    incident_id = await _declare(services)
    await services.roles.assign("T1", incident_id, "U1", "commander", "U1")
    clock.advance(minutes=20)
    await services.incidents.change_status("T1", incident_id, "U1", "resolved")
    clock.advance(hours=2)
    assert await services.timers.dispatch_due() == 0
    assert not any("Escalation" in text for text, _ in chat.calls("post_timer"))  # type: ignore[misc]


async def test_escalation_levels_fire_in_order_and_name_their_targets(engine: AsyncEngine) -> None:
    clock, chat = FakeClock(), FakeChat()
    services = _services(engine, clock, chat)
    incident_id = await _declare(services)
    await services.roles.assign("T1", incident_id, "U1", "commander", "U1")
    await services.roles.assign("T1", incident_id, "U1", "comms", "U2")
    clock.advance(hours=1, minutes=1)
    await services.timers.dispatch_due()
    escalations = sorted((text, targets) for text, targets in chat.calls("post_timer") if "Escalation" in text)  # type: ignore[misc]
    # Both levels were overdue at once (sent concurrently, in any order): each names its own targets.
    assert [t[1] for t in escalations] == [("#oncall-sre",), ("#leadership",)]
    assert "Escalation level 1 of 2" in escalations[0][0] and "Escalation level 2 of 2" in escalations[1][0]
    assert "late" in escalations[0][0]  # level 2 fell due half an hour before anyone looked


async def test_timers_that_fell_due_while_warroom_was_down_are_sent_once_marked_late(engine: AsyncEngine) -> None:
    clock, chat = FakeClock(), FakeChat()
    services = _services(engine, clock, chat)
    await _declare(services)
    clock.advance(minutes=25)  # "down" through the update reminder and the overdue one
    restarted = _services(engine, clock, FakeChat())
    assert await restarted.timers.dispatch_due() == 3
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        timers = await uow.timers.for_incident("T1", 1)
    sent = [t for t in timers if t.state == "sent"]
    assert len(sent) == 3 and all(t.late for t in sent)


async def test_concurrent_dispatchers_send_each_timer_exactly_once(engine: AsyncEngine) -> None:
    clock = FakeClock()
    services = _services(engine, clock, FakeChat())
    for n in range(40):
        await _declare(services, title=f"Incident {n} " + "x" * n)
    clock.advance(minutes=16)
    chats = [FakeChat() for _ in range(4)]
    dispatchers = [TimerService(uow=lambda: SqlUnitOfWork(session_factory(engine)), chat=c, clock=clock,  # type: ignore[arg-type]
                                policy=POLICY) for c in chats]
    counts = await asyncio.gather(*(d.dispatch_due() for d in dispatchers))
    posted = [text for c in chats for text, _ in c.calls("post_timer")]  # type: ignore[misc]
    assert sum(counts) == len(posted) == 80  # an update reminder and a response-target alert per incident
    assert len(set(posted)) == 80


async def test_the_response_target_alert_mentions_whoever_is_on_call(engine: AsyncEngine) -> None:
    from dataclasses import replace
    from datetime import date, time

    from bot.domain.oncall import Rotation

    rotation = Rotation(id="app", name="App", members=("U7", "U8"), start=date(2026, 11, 16), handoff_time=time(9),
                        length_days=7, timezone="UTC", channel="#oncall")
    clock, chat = FakeClock(), FakeChat()
    sessions = session_factory(engine)
    services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=chat, clock=clock,
                              policy=replace(POLICY, rotations=(rotation,)), directory=FakeDirectory(),
                              runbook_chat=FakeRunbookChat(), runner=FakeStepRunner(), catalog={})
    await _declare(services)
    clock.advance(minutes=15)
    await services.timers.dispatch_due()
    [(_, targets)] = [c for c in chat.calls("post_timer") if "no incident commander" in c[0]]  # type: ignore[index]
    assert targets[0] == "U7" and "#incidents" in targets  # the FakeClock (Sunday the 22nd) is in U7's week
