"""warroom.yaml's `insights:` decides the KPIs on the real store (SQLite and PostgreSQL): /incident stats, App Home's
period and the report count recurrence within the policy's recurrence window (reading that far back) and
follow-ups as overdue after the policy's limit."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.kpis import Recurrence
from bot.domain.policy import Policy
from bot.services.declaration import DeclareRequest
from bot.services.insights import InsightsService
from bot.services.report import ReportService
from store.engine import session_factory
from store.insights import SqlInsightsReader
from store.uow import SqlUnitOfWork
from tests.fakes.clock import FakeClock
from tests.integration.alert_setup import POLICY, replica

CLASS = "queue-failure"


async def _two_of_a_class(engine: AsyncEngine, apart: timedelta) -> FakeClock:
    """Two queue failures `apart` (the first with an open follow-up); the clock a minute after the second."""
    bot = replica(engine)
    request = DeclareRequest(team_id="T1", user_id="U1", severity="sev2", title="Queue backed up", incident_class=CLASS)
    first = (await bot.services.declare(request, force=True)).incident
    assert first is not None and first.channel_id
    await bot.services.reviews.add_followup("T1", first.channel_id, "U1", "Alert on queue depth", None)
    bot.clock.advance(seconds=apart.total_seconds())
    await bot.services.declare(replace(request, title="Queue backed up again"), force=True)
    bot.clock.advance(minutes=1)  # the period ends now, exclusive
    return bot.clock


async def _stats_recurrence(engine: AsyncEngine, clock: FakeClock, policy: Policy, period: str) -> Recurrence:
    _label, found = await replica(engine, clock, policy).services.reviews.stats_with_insights("T1", period)
    assert found.window == policy.recurrence_window
    [recurrence] = [r for r in found.recurrence if r.key == CLASS]
    return recurrence


def _insights(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> InsightsService:
    return InsightsService(reader=SqlInsightsReader(session_factory(engine)), clock=clock, policy=policy,
                           oncall=list)


async def test_stats_count_a_recurrence_within_the_default_30_days_but_not_within_a_7_day_window(
        engine: AsyncEngine) -> None:
    clock = await _two_of_a_class(engine, timedelta(days=10))
    weekly = replace(POLICY, recurrence_window=timedelta(days=7))
    assert await _stats_recurrence(engine, clock, POLICY, "30d") == Recurrence(CLASS, count=2, recurring=1)
    assert await _stats_recurrence(engine, clock, weekly, "30d") == Recurrence(CLASS, count=2, recurring=0)


async def test_stats_read_back_one_recurrence_window_before_the_period(engine: AsyncEngine) -> None:
    # The earlier incident is 40 days before the later, outside a 7-day period: only a 45-day window reaches it.
    clock = await _two_of_a_class(engine, timedelta(days=40))
    long = replace(POLICY, recurrence_window=timedelta(days=45))
    assert await _stats_recurrence(engine, clock, POLICY, "7d") == Recurrence(CLASS, count=1, recurring=0)
    assert await _stats_recurrence(engine, clock, long, "7d") == Recurrence(CLASS, count=1, recurring=1)


async def test_a_period_counts_recurrence_and_overdue_follow_ups_by_the_policy(engine: AsyncEngine) -> None:
    clock = await _two_of_a_class(engine, timedelta(days=10))  # the follow-up is open and 10 days old
    since, until = clock.now() - timedelta(days=30), clock.now()
    short = replace(POLICY, recurrence_window=timedelta(days=7), followup_overdue_after=timedelta(days=5))
    before = await _insights(engine, clock, POLICY).period("T1", since, until)
    after = await _insights(engine, clock, short).period("T1", since, until)
    assert (before.recurring, before.insights.window) == ((1, 2), timedelta(days=30))
    assert (after.recurring, after.insights.window) == ((0, 2), timedelta(days=7))
    assert [m.overdue for m in before.followups] == [0]
    assert [m.overdue for m in after.followups] == [1]
    # A window longer than the period reads back that far: 40 days before a 7-day period.
    assert (await _insights(engine, clock, replace(POLICY, recurrence_window=timedelta(days=45))).period(
        "T1", until - timedelta(days=7), until)).recurring == (1, 1)


async def test_the_report_uses_the_policys_recurrence_window_and_overdue_limit(engine: AsyncEngine) -> None:
    clock = await _two_of_a_class(engine, timedelta(days=10))
    short = replace(POLICY, recurrence_window=timedelta(days=7), followup_overdue_after=timedelta(days=5))
    before, after = [await ReportService(uow=lambda: SqlUnitOfWork(session_factory(engine)), clock=clock,
                                         policy=policy).report("30d") for policy in (POLICY, short)]
    assert (before.window, before.overdue_after) == (timedelta(days=30), timedelta(days=30))
    assert before.recurrence == [Recurrence(CLASS, count=2, recurring=1)]
    assert [m.overdue for m in before.followups] == [0]
    assert (after.window, after.overdue_after) == (timedelta(days=7), timedelta(days=5))
    assert after.recurrence == [Recurrence(CLASS, count=2, recurring=0)]
    assert [m.overdue for m in after.followups] == [1]
