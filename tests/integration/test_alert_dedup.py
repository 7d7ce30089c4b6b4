"""One incident per alert group whatever happens between notifications: a redelivery, a restart (before the
notification was handled, or in the middle of its declare), two replicas on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.errors import ChatUnavailable
from store.engine import create_engine
from store.migrate import upgrade
from tests.alerting import alert, alertmanager
from tests.databases import fresh_database
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


async def test_a_declare_cut_short_is_finished_once_by_the_next_replica_to_look(engine: AsyncEngine) -> None:
    clock = FakeClock()
    first, second = replica(engine, clock), replica(engine, clock)
    first.chat.fail["create_channel"] = ChatUnavailable("Slack refused conversations.create: fatal_error")
    await first.deliver(alertmanager("ImportsFailing", [alert("fp1")]))
    assert await first.open_incidents() == []
    await second.deliver(alertmanager("ImportsFailing", [alert("fp1"), alert("fp2")]))  # the group is held
    assert await second.open_incidents() == []
    clock.advance(minutes=2)  # the dead declare's lease and the notifications' retries fall due
    assert await second.alerts.process_pending() == 2
    [incident] = await second.open_incidents()
    timeline = [e.text for e in await second.services.incidents.timeline("T1", incident.id)]
    assert sorted(t for t in timeline if t.startswith("Alert firing")) == [
        "Alert firing: ImportsFailing · ImportsFailing on fp1 (fp1)",
        "Alert firing: ImportsFailing · ImportsFailing on fp2 (fp2)"]
    clock.advance(minutes=2)
    assert await first.alerts.process_pending() == 0 and await second.alerts.process_pending() == 0


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
