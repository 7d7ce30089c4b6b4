"""The KPIs against a small fixture whose answers were worked out by hand (the arithmetic is beside each)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.followup_kpis import FollowUpDay, FollowUpMonth, followup_days, followups_by_month
from bot.domain.incident import FollowUp, Incident
from bot.domain.kpis import (
    Coverage,
    Recurrence,
    TimeKpi,
    median,
    percentile,
    recurrence_by_class,
    runbook_coverage,
    times_by_class,
    times_by_service,
    times_by_severity,
)
from bot.domain.runbook import StepRun, StepState

MIN = timedelta(minutes=1)
SINCE, UNTIL = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=UTC)


def incident(number: int, declared: datetime, *, cls: str | None, service: str, severity: str,
             ack: int | None, fix: int | None) -> Incident:
    """Declared (= detected) at `declared`, acknowledged `ack` and resolved `fix` minutes later."""
    milestones = {"detected": declared}
    if ack is not None:
        milestones["acknowledged"] = declared + ack * MIN
    if fix is not None:
        milestones["resolved"] = declared + fix * MIN
    return Incident(id=number, team_id="T1", number=number, title=f"Incident {number}", severity=severity,
                    status="resolved" if fix is not None else "investigating", declared_by="U1",
                    declared_at=declared, service=service, incident_class=cls, milestones=milestones)


I0 = incident(10, at(10, 1), cls="audit-failure", service="banking", severity="SEV2", ack=5, fix=5)  # before the period
I1 = incident(1, at(11, 1), cls="queue-failure", service="imports", severity="SEV1", ack=5, fix=60)
I2 = incident(2, at(11, 10), cls="queue-failure", service="imports", severity="SEV2", ack=15, fix=120)
I3 = incident(3, at(11, 20), cls="queue-failure", service="banking", severity="SEV2", ack=10, fix=30)
I4 = incident(4, at(11, 5), cls="audit-failure", service="banking", severity="SEV1", ack=20, fix=None)
I5 = incident(5, at(11, 6), cls=None, service="", severity="SEV3", ack=None, fix=90)
PERIOD = [I1, I2, I3, I4, I5]


def test_median_and_p90_of_ten_values() -> None:
    values = [n * MIN for n in range(10, 0, -1)]  # 10..1 minutes, unordered on purpose
    assert median(values) == 5.5 * MIN  # (5 + 6) / 2
    assert percentile(values, 0.9) == 9 * MIN  # rank ceil(0.9 * 10) = 9 -> 9 minutes
    assert median([]) is None and percentile([], 0.9) is None


def test_mtta_and_mttr_by_class() -> None:
    assert times_by_class(PERIOD) == [
        # acks 5, 15, 10 -> sorted 5, 10, 15: median 10, p90 rank ceil(2.7) = 3 -> 15
        # fixes 60, 120, 30 -> sorted 30, 60, 120: median 60, p90 120
        TimeKpi("queue-failure", 3, 10 * MIN, 15 * MIN, 60 * MIN, 120 * MIN),
        # one apiece, ties by name: "(" sorts before "a"; I5 was never acknowledged, I4 is unresolved
        TimeKpi("(no class)", 1, None, None, 90 * MIN, 90 * MIN),
        TimeKpi("audit-failure", 1, 20 * MIN, 20 * MIN, None, None),
    ]


def test_mtta_and_mttr_by_service() -> None:
    assert times_by_service(PERIOD) == [
        # I3, I4: acks 10, 20 -> median 15, p90 rank ceil(1.8) = 2 -> 20; fixes 30 (I4 open)
        TimeKpi("banking", 2, 15 * MIN, 20 * MIN, 30 * MIN, 30 * MIN),
        # I1, I2: acks 5, 15 -> median 10, p90 15; fixes 60, 120 -> median 90, p90 120
        TimeKpi("imports", 2, 10 * MIN, 15 * MIN, 90 * MIN, 120 * MIN),
        TimeKpi("(no service)", 1, None, None, 90 * MIN, 90 * MIN),
    ]


def test_mtta_and_mttr_by_severity() -> None:
    assert times_by_severity(PERIOD) == [
        # I1, I4: acks 5, 20 -> median 12.5, p90 20; fixes 60 (I4 open)
        TimeKpi("SEV1", 2, 12.5 * MIN, 20 * MIN, 60 * MIN, 60 * MIN),
        # I2, I3: acks 15, 10 -> median 12.5, p90 15; fixes 120, 30 -> median 75, p90 120
        TimeKpi("SEV2", 2, 12.5 * MIN, 15 * MIN, 75 * MIN, 120 * MIN),
        TimeKpi("SEV3", 1, None, None, 90 * MIN, 90 * MIN),
    ]


def test_mtta_and_mttr_by_severity_in_the_policys_order_and_a_removed_severity_after() -> None:
    # Most frequent first would put SEV1 and SEV2 (two each) before SEV3; the policy's order (highest first) wins,
    # and SEV9, which the order does not name (since removed from the policy), comes after the known ones.
    removed = incident(6, at(11, 7), cls=None, service="", severity="SEV9", ack=1, fix=2)
    found = times_by_severity([*PERIOD, removed, removed], ["SEV3", "SEV2", "SEV1"])
    assert [(k.key, k.count) for k in found] == [("SEV3", 1), ("SEV2", 2), ("SEV1", 2), ("SEV9", 2)]


def test_recurrence_counts_an_earlier_incident_of_the_class_within_30_days() -> None:
    found = recurrence_by_class([I0, *PERIOD], since=SINCE, until=UNTIL)
    assert found == [
        # I1 first of its class; I2 9 days after I1 and I3 10 days after I2 recur: 2 of 3
        Recurrence("queue-failure", 3, 2),
        # I4 (Nov 5) follows I0 (Oct 1) by 35 days > 30: not a recurrence; I0 is before the period, not counted
        Recurrence("audit-failure", 1, 0),
    ]
    assert found[0].rate == 2 / 3 and found[1].rate == 0.0  # I5 has no class and is left out


def test_the_recurrence_window_is_configurable() -> None:
    found = recurrence_by_class([I0, *PERIOD], since=SINCE, until=UNTIL, window=timedelta(days=40))
    assert Recurrence("audit-failure", 1, 1) in found  # 35 days <= 40


def test_runbook_coverage_of_incidents_and_of_the_top_classes() -> None:
    runs = [
        StepRun("T1", 1, "rb", "s1", state=StepState.DONE), StepRun("T1", 1, "rb", "s2"),  # attached, run
        StepRun("T1", 2, "rb", "s1"),  # attached, nothing run
        StepRun("T1", 3, "rb", "s1", state=StepState.FAILED),  # attached, run (and failed)
        StepRun("T1", 4, "rb", "s1", state=StepState.AWAITING_APPROVAL),  # attached, not run yet
        StepRun("T1", 99, "rb", "s1", state=StepState.DONE),  # another incident, outside the period
    ]
    coverage = runbook_coverage(PERIOD, runs, classes_with_runbook={"queue-failure", "workflow-500"}, top=2)
    # top 2 by count: queue-failure (3), audit-failure (1); only queue-failure has a runbook
    assert coverage == Coverage(incidents=5, with_runbook=4, with_step_run=2,
                                top_classes=("queue-failure", "audit-failure"), covered_classes=("queue-failure",))
    assert coverage.incident_share == 0.4  # 2 of 5 (incidents 1 and 3)
    assert coverage.class_share == 0.5  # 1 of 2


def test_followups_open_overdue_and_done_per_month() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)

    def followup(created: datetime, done: datetime | None = None) -> FollowUp:
        return FollowUp("T1", 1, "fix it", "U1", created, done_at=done)

    followups = [
        followup(datetime(2026, 10, 15, tzinfo=UTC)),  # open 47 days > 30: overdue
        followup(datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC)),  # done
        followup(datetime(2026, 11, 5, tzinfo=UTC)),  # open 26 days: not overdue
        followup(datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)),  # done
        followup(datetime(2026, 11, 1, tzinfo=UTC)),  # open exactly 30 days: not yet overdue
    ]
    days = followup_days(followups, since=datetime(2026, 10, 1, tzinfo=UTC), until=now, now=now)
    assert followups_by_month(days) == [
        FollowUpMonth("2026-10", created=2, done=1, open=1, overdue=1),
        FollowUpMonth("2026-11", created=3, done=1, open=2, overdue=0),
    ]


def test_followup_days_count_creations_by_day_made_and_completions_by_day_done() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    since, until = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)

    def followup(created: datetime, done: datetime | None = None) -> FollowUp:
        return FollowUp("T1", 1, "fix it", "U1", created, done_at=done)

    days = followup_days([
        followup(datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 3, 9, tzinfo=UTC)),  # made before; done Nov 3
        followup(datetime(2026, 11, 3, 1, tzinfo=UTC)),  # open 28 days: not overdue
        followup(datetime(2026, 11, 3, 23, 59, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),  # done after `until`
        followup(datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),  # made the day before the period: not counted
        followup(datetime(2026, 11, 30, tzinfo=UTC)),  # made at `until`: outside
    ], since=since, until=until, now=now, overdue_after=timedelta(days=27))
    assert days == [FollowUpDay(date(2026, 11, 3), created=2, still_open=1, overdue=1, done=1)]
