"""Runbook coverage of the top alerts, hand-worked: ranked by incidents opened, covered only by a runbook the bot has."""

from __future__ import annotations

from bot.domain.alert_coverage import AlertCount, alert_coverage

ALERTS = [
    AlertCount(1, "Imports failing", "depositmatch-import-pipeline", 4),
    AlertCount(2, "API slow", "api-high-latency", 2),
    AlertCount(3, "Disk full", "no-such-runbook", 2),  # names a runbook the bot does not have: not covered
    AlertCount(4, "Queue stuck", "", 3),  # names none
    AlertCount(5, "Certificate expiring", "api-high-latency", 1),
    AlertCount(6, "Cache cold", "api-high-latency", 1),  # 6th by count: outside the top 5
    AlertCount(7, "Quiet group", "api-high-latency", 0),  # opened nothing in the period
]
RUNBOOKS = {"depositmatch-import-pipeline", "api-high-latency"}


def test_the_top_alerts_are_ranked_by_incidents_opened_ties_by_title() -> None:
    found = alert_coverage(ALERTS, runbook_ids=RUNBOOKS)
    assert [a.group_id for a in found.top] == [1, 4, 2, 3, 6]  # 4, 3, 2, 2 (API < Disk), 1, 1 (Cache < Certificate)
    assert [a.group_id for a in found.covered] == [1, 2, 6]
    assert found.share == 0.6


def test_fewer_alerts_than_the_top_and_none_at_all() -> None:
    found = alert_coverage(ALERTS[:2], runbook_ids=set(), top=5)
    assert len(found.top) == 2 and found.covered == () and found.share == 0.0
    assert alert_coverage([], runbook_ids=RUNBOOKS).share == 0.0
    assert alert_coverage(ALERTS, runbook_ids=RUNBOOKS, top=1).share == 1.0
