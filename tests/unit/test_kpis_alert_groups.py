"""Recurrence by alert group against a fixture whose answers were worked out by hand (the arithmetic beside)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.incident import Incident
from bot.domain.kpis import (
    ALERT_GROUPS,
    ALL_INCIDENTS,
    Recurrence,
    insights,
    recurrence_by_alert_group,
)

SINCE, UNTIL = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def incident(number: int, month: int, day: int, cls: str | None = None) -> Incident:
    return Incident(id=number, team_id="T1", number=number, title=f"Incident {number}", severity="SEV2",
                    status="investigating", declared_by="alertmanager",
                    declared_at=datetime(2026, month, day, 10, 0, tzinfo=UTC), incident_class=cls)


A0 = incident(10, 10, 20)  # group 7, before the period (12 days before A1)
A1 = incident(1, 11, 1)  # group 7: A0 was 12 days earlier -> recurs
A2 = incident(2, 11, 3, cls="queue-failure")  # group 8, its first -> does not recur by group
A3 = incident(3, 11, 25)  # group 7: A1 was 24 days earlier -> recurs
A4 = incident(4, 11, 28)  # group 8: A2 was 25 days earlier -> recurs
M5 = incident(5, 11, 10, cls="queue-failure")  # declared by a person; A2 (same class) 7 days earlier -> recurs by class
M6 = incident(6, 11, 12)  # declared by a person, no class, no group -> never recurs
OLD = incident(11, 9, 1)  # group 9, too early for anything in the period
LATE = incident(12, 12, 2)  # group 9, after the period: not counted
GROUPS = {10: 7, 1: 7, 3: 7, 2: 8, 4: 8, 11: 9, 12: 9}
ALL = [A0, A1, A2, A3, A4, M5, M6, OLD, LATE]


def test_recurrence_by_alert_group_counts_the_incidents_groups_opened_and_overall_adds_recurrence_by_class() -> None:
    by_group, overall = recurrence_by_alert_group(ALL, GROUPS, since=SINCE, until=UNTIL)
    # In the period, groups opened A1, A2, A3, A4 (4); A1, A3, A4 had the group's previous incident <= 30 days before.
    assert by_group == Recurrence(key=ALERT_GROUPS, count=4, recurring=3)
    # Every incident of the period: A1..A4, M5, M6 (6); recurring: A1, A3, A4 by group, M5 by class (4) -> 4/6.
    assert overall == Recurrence(key=ALL_INCIDENTS, count=6, recurring=4)
    assert round(overall.rate, 3) == 0.667


def test_a_shorter_window_leaves_out_the_longer_gaps() -> None:
    by_group, overall = recurrence_by_alert_group(ALL, GROUPS, since=SINCE, until=UNTIL, window=timedelta(days=20))
    # Only A1 (12 days after A0) is within 20 days of its group's previous incident; A3 (24) and A4 (25) are not.
    assert (by_group.count, by_group.recurring) == (4, 1)
    assert (overall.count, overall.recurring) == (6, 2)  # A1 by group, M5 by class (7 days)


def test_insights_carry_the_alert_group_figures_only_when_groups_were_read() -> None:
    found = insights(ALL, [], since=SINCE, until=UNTIL, groups=GROUPS)
    assert found.by_alert_group is not None and found.by_alert_group.recurring == 3
    assert insights(ALL, [], since=SINCE, until=UNTIL).by_alert_group is None


def test_for_one_class_an_earlier_incident_of_the_group_counts_whatever_its_class_and_wherever_it_falls() -> None:
    b1 = incident(21, 11, 2, cls="audit-failure")  # group 5, in the period, another class
    b2 = incident(22, 11, 9, cls="queue-failure")  # group 5, 7 days after b1: recurs by group
    found = insights([b1, b2], [], since=SINCE, until=UNTIL, groups={21: 5, 22: 5}, incident_class="queue-failure")
    assert found.by_alert_group == Recurrence(key=ALERT_GROUPS, count=1, recurring=1)  # b2 only is counted
    assert found.overall == Recurrence(key=ALL_INCIDENTS, count=1, recurring=1)
    assert [r.key for r in found.recurrence] == ["queue-failure"] and [k.key for k in found.by_class] == ["queue-failure"]
