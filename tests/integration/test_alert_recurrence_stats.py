"""/incident stats' figures from the real store (SQLite and PostgreSQL): recurrence by alert group read in one query,
the --class filter, and runbook coverage of the top classes from the runbooks' `classes:`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.kpis import ALERT_GROUPS, ALL_INCIDENTS, Recurrence
from bot.services.declaration import DeclareRequest
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.alerting import alert, alertmanager
from tests.integration.alert_setup import replica


async def test_stats_count_recurrence_by_alert_group_filter_by_class_and_cover_classes_by_runbook(
        engine: AsyncEngine) -> None:
    bot = replica(engine)
    incidents = bot.services.incidents
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1")]))
    [first] = await bot.open_incidents()
    await incidents.change_class("T1", first.id, "U1", "import-pipeline")
    await incidents.change_status("T1", first.id, "U1", "resolved")
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1", "resolved")]))
    bot.clock.advance(minutes=60)
    again = alertmanager("ImportsFailing", [alert("fp1")])
    again["alerts"][0]["startsAt"] = "2026-12-04T11:00:00Z"  # a new firing of the same group: a second incident
    await bot.deliver(again)
    [second] = await bot.open_incidents()
    # Two more groups: one whose alert names a runbook the bot has, one naming a runbook it does not have.
    await bot.deliver(alertmanager("HighLatency", [alert("fp2", name="HighLatency", summary="API slow",
                                                         runbook="api-high-latency")]))
    await bot.deliver(alertmanager("DiskFull", [alert("fp3", name="DiskFull", summary="Disk full",
                                                      runbook="no-such-runbook")]))
    for opened in await bot.open_incidents():
        if opened.id != second.id:
            await incidents.change_status("T1", opened.id, "U1", "resolved")
    declared = await bot.services.declare(DeclareRequest(team_id="T1", user_id="U1", severity="sev2",
                                                         title="Jobs piling up", incident_class="queue-failure"),
                                          force=True)
    manual = declared.incident
    assert manual is not None and manual.incident_class == "queue-failure"

    async with SqlUnitOfWork(session_factory(engine)) as uow:
        since, until = first.declared_at, bot.clock.now() + timedelta(minutes=1)
        read = await uow.insights.period("T1", since, until, lookback=since, overdue_before=since, alerts=True)
        groups = read.groups  # the alert group that opened each incident, in one read
        assert (groups[first.id], groups[second.id]) == (1, 1) and len(groups) == 4 and len(set(groups.values())) == 3
        assert read.alert_sources is not None and read.alert_sources[1].title == "ImportsFailing on fp1"
        other = await uow.insights.period("T2", since, until, lookback=since, overdue_before=since, alerts=True)
        assert (other.groups, other.alert_sources) == ({}, {})

    bot.clock.advance(minutes=1)  # the period ends now, exclusive
    _, found = await bot.services.reviews.stats_with_insights("T1", "30d")
    assert found.times.count == 5
    assert found.by_alert_group == Recurrence(ALERT_GROUPS, count=4, recurring=1)  # the second follows the first
    assert found.overall == Recurrence(ALL_INCIDENTS, count=5, recurring=1)
    # Top alerts by incidents opened: ImportsFailing (2), then API slow and Disk full (1 each, by title). Only
    # API slow leads to a runbook the bot has; Disk full names one it does not.
    assert found.alerts is not None
    assert [(a.title, a.incidents, a.runbook) for a in found.alerts.top] == [
        ("ImportsFailing on fp1", 2, ""), ("API slow", 1, "api-high-latency"), ("Disk full", 1, "no-such-runbook")]
    assert [a.title for a in found.alerts.covered] == ["API slow"]
    # Classes by count: import-pipeline (1), queue-failure (1); the shipped library covers both by `classes:`.
    assert found.coverage.top_classes == ("import-pipeline", "queue-failure")
    assert found.coverage.covered_classes == ("import-pipeline", "queue-failure")

    label, found = await bot.services.reviews.stats_with_insights("T1", "30d", "Queue failure")
    assert (found.times.count, label) == (1, "last 30 days, Queue failure")
    assert found.by_alert_group == Recurrence(ALERT_GROUPS, count=0, recurring=0)
    assert [k.key for k in found.by_class] == ["queue-failure"]
    assert found.alerts is not None and found.alerts.top == ()  # no alert opened a queue failure
