"""One incident per alert group whatever happens between notifications: a redelivery, a restart (before the
notification was handled, or in the middle of its declare), two replicas on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.chat import ChannelRef
from bot.domain.errors import ChatUnavailable
from store.engine import create_engine
from store.migrate import upgrade
from tests.alerting import alert, alertmanager
from tests.databases import fresh_database
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.integration.alert_setup import replica


async def test_a_notification_stored_before_a_crash_is_handled_after_the_restart_once(database_url: str) -> None:
    clock = FakeClock()
    before = create_engine(database_url)
    await upgrade(before)
    crashed = replica(before, clock)
    assert await crashed.receive(alertmanager("ImportsFailing", [alert("fp1")])) is True
    await before.dispose()  # answered, then gone before handling it: what was stored is all there is

    after = create_engine(database_url)
    try:
        restarted = replica(after, clock)
        assert await restarted.alerts.process_pending() == 1
        assert await restarted.receive(alertmanager("ImportsFailing", [alert("fp1")])) is False  # the retry
        assert await restarted.alerts.process_pending() == 0
        assert len(await restarted.open_incidents()) == 1
    finally:
        await after.dispose()


async def test_a_failed_declare_is_released_and_declared_once_by_the_next_notification(engine: AsyncEngine) -> None:
    clock = FakeClock()
    first, second = replica(engine, clock), replica(engine, clock)
    first.chat.fail["create_channel"] = ChatUnavailable("Slack refused conversations.create: fatal_error")
    await first.deliver(alertmanager("ImportsFailing", [alert("fp1")]))
    assert await first.open_incidents() == []
    await second.deliver(alertmanager("ImportsFailing", [alert("fp1"), alert("fp2")]))
    [incident] = await second.open_incidents()
    clock.advance(minutes=2)  # the first notification's retry falls due: its group has its incident
    assert await first.alerts.process_pending() == 1
    assert await second.open_incidents() == [incident]
    timeline = [e.text for e in await second.services.incidents.timeline("T1", incident.id)]
    assert sorted(t for t in timeline if t.startswith("Alert firing")) == [
        "Alert firing: ImportsFailing · ImportsFailing on fp1 (fp1)",
        "Alert firing: ImportsFailing · ImportsFailing on fp2 (fp2)"]


async def test_a_declare_cut_short_by_a_crash_is_finished_once_after_its_hold_runs_out(engine: AsyncEngine) -> None:
    clock = FakeClock()
    crashed, second = replica(engine, clock), replica(engine, clock)
    crashed.chat.fail["create_channel"] = asyncio.CancelledError()  # the worker's task dies mid-declare
    with pytest.raises(asyncio.CancelledError):
        await crashed.deliver(alertmanager("ImportsFailing", [alert("fp1")]))
    await second.deliver(alertmanager("ImportsFailing", [alert("fp1"), alert("fp2")]))
    assert await second.open_incidents() == []  # the group is held: its notification waits
    clock.advance(minutes=2)  # the hold and the dead worker's lease run out
    assert await second.alerts.process_pending() == 2
    [incident] = await second.open_incidents()
    clock.advance(minutes=2)
    assert await crashed.alerts.process_pending() == 0 and await second.alerts.process_pending() == 0
    assert len(second.chat.calls("create_channel")) == 1 and await second.open_incidents() == [incident]


async def test_two_replicas_on_one_postgresql_database_open_one_incident_per_group(tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        engines = [create_engine(url), create_engine(url)]
        receiving = [create_engine(url, pool_size=2, isolation_level="AUTOCOMMIT") for _ in engines]
        await upgrade(engines[0])
        clock = FakeClock()
        try:
            one, two = (replica(e, clock, receiving=r) for e, r in zip(engines, receiving, strict=True))
            groups = [f"Group{n}" for n in range(6)]
            for n, group in enumerate(groups):  # each replica is sent half the notifications of every group
                await one.receive(alertmanager(group, [alert(f"{group}-a", name=group)]))
                await two.receive(alertmanager(group, [alert(f"{group}-a", name=group), alert(f"{group}-b", name=group)]))
                await (one if n % 2 else two).receive(alertmanager(group, [alert(f"{group}-a", name=group)]))  # a retry
            for _ in range(5):  # both work at once; what waited behind a declare is looked at again
                await asyncio.gather(one.alerts.process_pending(), two.alerts.process_pending())
                clock.advance(seconds=1)
            incidents = await one.open_incidents()
            assert sorted(i.title for i in incidents) == sorted(f"{g} on {g}-a" for g in groups)
            assert len(one.chat.calls("create_channel")) + len(two.chat.calls("create_channel")) == len(groups)
            for incident in incidents:
                timeline = [e.text for e in await one.services.incidents.timeline("T1", incident.id)]
                assert sum(t.startswith("Alert firing") for t in timeline) == 2, timeline
        finally:
            for engine in [*engines, *receiving]:
                await engine.dispose()


async def test_notifications_are_forgotten_a_week_after_they_were_handled_and_a_late_retry_changes_nothing(
        engine: AsyncEngine) -> None:
    clock = FakeClock()
    bot = replica(engine, clock)
    payload = alertmanager("ImportsFailing", [alert("fp1")])
    await bot.deliver(payload)
    clock.advance(days=6)
    assert await bot.alerts.prune() == 0
    clock.advance(days=2)
    assert await bot.alerts.prune() == 1
    assert await bot.receive(payload) is True  # stored again: forgotten
    assert await bot.alerts.process_pending() == 1
    assert len(await bot.open_incidents()) == 1 and len(bot.chat.calls("create_channel")) == 1


class _SlowChat(FakeChat):
    """Creates channels only once the test lets it: a declare that outlives its hold."""

    def __init__(self) -> None:
        super().__init__()
        self.creating, self.go = asyncio.Event(), asyncio.Event()

    async def create_channel(self, candidate_names: Sequence[str]) -> ChannelRef:
        self.creating.set()
        await self.go.wait()
        return await super().create_channel(candidate_names)


async def test_a_declare_that_outlives_its_hold_loses_to_the_replica_that_took_over(engine: AsyncEngine) -> None:
    clock, slow = FakeClock(), _SlowChat()
    stalled, second = replica(engine, clock, chat=slow), replica(engine, clock)
    await stalled.receive(alertmanager("ImportsFailing", [alert("fp1")]))
    stalling = asyncio.create_task(stalled.alerts.process_pending())
    await slow.creating.wait()  # held, its channel on the way
    clock.advance(minutes=2)  # ...for longer than the hold
    await second.deliver(alertmanager("ImportsFailing", [alert("fp1"), alert("fp2")]))
    [incident] = await second.open_incidents()
    slow.go.set()
    await stalling  # its declare is refused when it links the group: rolled back, its channel archived
    assert await second.open_incidents() == [incident]
    assert len(slow.calls("archive_channel")) == 1
