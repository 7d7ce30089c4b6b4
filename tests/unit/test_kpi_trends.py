"""Weekly trends against the hand-worked fixture of test_kpis (weeks start on Monday; Nov 1 2026 is a Sunday)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.followup_kpis import followup_days
from bot.domain.incident import FollowUp
from bot.domain.runbook import StepRun, StepState
from bot.domain.trends import WeekKpi, week_of, weekly_trends
from tests.unit.test_kpis import I0, MIN, PERIOD, SINCE, UNTIL

RUNS = [StepRun("T1", 1, "rb", "s1", state=StepState.DONE), StepRun("T1", 2, "rb", "s1"),
        StepRun("T1", 3, "rb", "s1", state=StepState.FAILED),
        StepRun("T1", 4, "rb", "s1", state=StepState.AWAITING_APPROVAL)]


def followup(created: datetime, done: datetime | None = None) -> FollowUp:
    return FollowUp("T1", 1, "fix it", "U1", created, done_at=done)


FOLLOWUPS = [
    followup(datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC)),  # before the period: neither
    followup(datetime(2026, 11, 1, tzinfo=UTC)),  # Sunday: the week of Oct 26
    followup(datetime(2026, 11, 5, tzinfo=UTC)),  # week of Nov 2
    followup(datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)),  # week of Nov 23, both
    followup(datetime(2026, 10, 28, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC)),  # done in the week of Nov 16
]


def test_week_of_is_the_monday_that_starts_the_week() -> None:
    assert week_of(datetime(2026, 11, 1, 23, 59, tzinfo=UTC)) == date(2026, 10, 26)  # Sunday
    assert week_of(datetime(2026, 11, 2, 0, 0, tzinfo=UTC)) == date(2026, 11, 2)  # Monday


def test_weekly_trends_cover_every_week_of_the_period_with_its_kpis() -> None:
    weeks = weekly_trends([I0, *PERIOD], RUNS, followup_days(FOLLOWUPS, since=SINCE, until=UNTIL, now=UNTIL),
                          since=SINCE, until=UNTIL)
    assert weeks == [
        # I1 (Nov 1): ack 5, fix 60; first of its class; a step was run. One follow-up created (Nov 1).
        WeekKpi(date(2026, 10, 26), 1, 5 * MIN, 60 * MIN, recurring=0, with_step_run=1,
                followups_created=1, followups_done=0),
        # I4 (Nov 5, ack 20, open) and I5 (Nov 6, never acked, fix 90): I4 is 35 days after I0, I5 has no
        # class: no recurrence; I4's step awaits approval: not run. One follow-up created (Nov 5).
        WeekKpi(date(2026, 11, 2), 2, 20 * MIN, 90 * MIN, recurring=0, with_step_run=0,
                followups_created=1, followups_done=0),
        # I2 (Nov 10): ack 15, fix 120; 9 days after I1: recurs; its step is pending.
        WeekKpi(date(2026, 11, 9), 1, 15 * MIN, 120 * MIN, recurring=1, with_step_run=0,
                followups_created=0, followups_done=0),
        # I3 (Nov 20): ack 10, fix 30; 10 days after I2: recurs; its step failed (was run). One done (Nov 17).
        WeekKpi(date(2026, 11, 16), 1, 10 * MIN, 30 * MIN, recurring=1, with_step_run=1,
                followups_created=0, followups_done=1),
        WeekKpi(date(2026, 11, 23), 0, None, None, recurring=0, with_step_run=0,
                followups_created=1, followups_done=1),
        # Nov 30 starts before the period ends (Dec 1): a quiet week, still shown.
        WeekKpi(date(2026, 11, 30), 0, None, None, recurring=0, with_step_run=0,
                followups_created=0, followups_done=0),
    ]
    assert weeks[2].recurrence_rate == 1.0 and weeks[1].recurrence_rate == 0.0
    assert weeks[0].coverage == 1.0 and weeks[4].coverage == 0.0  # a quiet week is 0, not a division error
