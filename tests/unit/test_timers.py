"""Timers as a function of (incident, policy, now): cadence, response target, escalation matrix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import load_policy
from bot.domain.incident import Incident
from bot.domain.timers import Timer, TimerKind, is_late, plan, still_applies

POLICY = load_policy(None)
T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe switches to summer time


def _incident(**kw: object) -> Incident:
    base = dict(team_id="T1", number=1, title="Imports failing", severity="SEV1", status="investigating",
                declared_by="U1", declared_at=T0, id=7)
    return Incident(**{**base, **kw})  # type: ignore[arg-type]


def _due(timers: list[Timer]) -> dict[tuple[str, int], timedelta]:
    return {(t.kind.value, t.level): t.due_at - T0 for t in timers}


def test_a_sev1_without_a_commander_gets_update_response_and_escalation_timers() -> None:
    assert _due(plan(_incident(), POLICY)) == {
        ("update_due", 0): timedelta(minutes=15),
        ("update_overdue", 0): timedelta(minutes=22, seconds=30),
        ("response_target", 0): timedelta(minutes=15),
        ("escalation", 2): timedelta(minutes=30),
        ("escalation", 3): timedelta(hours=1),
    }


def test_a_status_update_restarts_the_update_clock() -> None:
    updated = _incident(last_update_at=T0 + timedelta(minutes=12), roles={"commander": "U1"})
    due = _due(plan(updated, POLICY))
    assert due[("update_due", 0)] == timedelta(minutes=27) and ("response_target", 0) not in due


def test_the_timers_are_in_utc_whatever_the_wall_clock_does() -> None:
    # 00:30 UTC + 1 h is 01:30 UTC although Berlin's clocks jump from 02:00 to 03:00 in between.
    [level3] = [t for t in plan(_incident(), POLICY) if t.level == 3]
    assert level3.due_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_sev3_has_one_update_cadence_and_no_escalation() -> None:
    due = _due(plan(_incident(severity="SEV3"), POLICY))
    assert due[("update_due", 0)] == timedelta(hours=1) and not any(k == "escalation" for k, _ in due)


def test_nothing_is_planned_for_a_resolved_incident() -> None:
    assert plan(_incident(status="resolved"), POLICY) == []


def test_a_timer_is_not_sent_once_the_incident_was_resolved() -> None:
    [level2] = [t for t in plan(_incident(), POLICY) if t.level == 2]
    assert still_applies(level2, _incident(), POLICY)
    assert not still_applies(level2, _incident(status="resolved"), POLICY)
    assert not still_applies(level2, None, POLICY)


def test_a_downgrade_cancels_escalation_levels_the_new_severity_does_not_have() -> None:
    [level3] = [t for t in plan(_incident(), POLICY) if t.level == 3]
    assert not still_applies(level3, _incident(severity="SEV2"), POLICY)


def test_a_response_target_timer_is_dropped_once_a_commander_is_assigned() -> None:
    [response] = [t for t in plan(_incident(), POLICY) if t.kind is TimerKind.RESPONSE_TARGET]
    assert not still_applies(response, _incident(roles={"commander": "U1"}), POLICY)


def test_an_update_reminder_is_dropped_when_an_update_was_posted_meanwhile() -> None:
    [due] = [t for t in plan(_incident(), POLICY) if t.kind is TimerKind.UPDATE_DUE]
    assert not still_applies(due, _incident(last_update_at=T0 + timedelta(minutes=14)), POLICY)


def test_a_timer_sent_more_than_a_minute_after_it_fell_due_is_late() -> None:
    [due] = [t for t in plan(_incident(), POLICY) if t.kind is TimerKind.UPDATE_DUE]
    assert not is_late(due, due.due_at + timedelta(seconds=59))
    assert is_late(due, due.due_at + timedelta(minutes=5))


def test_business_days_skip_the_weekend_and_keep_the_local_time_across_a_clock_change() -> None:
    from bot.domain.timers import add_business_days

    friday = datetime(2026, 10, 23, 14, 0, tzinfo=UTC)  # 16:00 in Berlin (summer time)
    due = add_business_days(friday, 3, "Europe/Berlin")
    # Wednesday 28 October, 16:00 in Berlin, which is now winter time: 15:00 UTC.
    assert due == datetime(2026, 10, 28, 15, 0, tzinfo=UTC)
    assert add_business_days(friday, 1, "UTC") == datetime(2026, 10, 26, 14, 0, tzinfo=UTC)


def test_a_resolved_sev1_gets_review_reminders_before_at_and_after_its_due_date() -> None:
    from dataclasses import replace

    policy = replace(POLICY, timezone="Europe/Berlin")
    resolved = _incident(status="resolved", resolved_at=datetime(2026, 10, 23, 14, 0, tzinfo=UTC))
    timers = plan(resolved, policy)
    assert [t.kind for t in timers] == [TimerKind.REVIEW] * 5
    assert [t.due_at for t in timers][:2] == [datetime(2026, 10, 27, 15, 0, tzinfo=UTC),
                                              datetime(2026, 10, 28, 15, 0, tzinfo=UTC)]
    assert not still_applies(timers[1], resolved.with_changes(status="closed"), policy)


def test_a_sev0_review_is_due_48_hours_after_resolution() -> None:
    resolved = _incident(severity="SEV0", status="resolved", resolved_at=T0)
    at = next(t for t in plan(resolved, POLICY) if t.level == 1)
    assert at.due_at == T0 + timedelta(hours=48)


def _rotation():  # type: ignore[no-untyped-def]
    from datetime import date, time

    from bot.domain.oncall import Rotation

    return Rotation(id="app", name="Application on-call", members=("U1", "U2", "U3"), start=date(2026, 10, 19),
                    handoff_time=time(9, 0), length_days=7, timezone="Europe/Berlin", channel="#oncall")


def test_weekly_rotation_hands_off_on_monday_at_nine_local_time_across_the_clock_change() -> None:
    from bot.domain.oncall import on_call

    rotation = _rotation()
    before = on_call(rotation, datetime(2026, 10, 26, 7, 59, tzinfo=UTC))  # Monday 08:59 Berlin, winter time now
    after = on_call(rotation, datetime(2026, 10, 26, 8, 0, tzinfo=UTC))  # Monday 09:00 Berlin
    assert (before.current, before.next) == ("U1", "U2")
    assert (after.current, after.next) == ("U2", "U3")
    assert after.since == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert after.until == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_the_rotation_wraps_around_its_members() -> None:
    from bot.domain.oncall import on_call

    assert on_call(_rotation(), datetime(2026, 11, 10, 12, 0, tzinfo=UTC)).current == "U1"


def test_a_snooze_moves_the_update_reminders_but_not_the_escalations() -> None:
    snoozed = _incident(snoozed_until=T0 + timedelta(minutes=40))
    due = _due(plan(snoozed, POLICY))
    assert due[("update_due", 0)] == timedelta(minutes=40)
    assert due[("update_overdue", 0)] == timedelta(minutes=47, seconds=30)
    assert due[("escalation", 2)] == timedelta(minutes=30)
    [old] = [t for t in plan(_incident(), POLICY) if t.kind is TimerKind.UPDATE_DUE]
    assert not still_applies(old, snoozed, POLICY)  # the reminder that was due is not sent after a snooze
