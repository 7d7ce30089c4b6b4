"""Milestones: their names, status rules, order checks and durations (typed times: test_typed_times.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import InvalidCommand, InvalidInput
from bot.domain.incident import Milestone
from bot.domain.milestones import (
    Durations,
    durations,
    format_duration,
    on_acknowledged,
    on_declared,
    on_status_change,
    parse_milestone,
    set_milestone,
)

NOW = datetime(2026, 11, 22, 14, 10, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- parse_milestone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("started", Milestone.STARTED), ("start", Milestone.STARTED), ("Impact", Milestone.STARTED),
        ("DETECTED", Milestone.DETECTED), ("detect", Milestone.DETECTED),
        ("acknowledged", Milestone.ACKNOWLEDGED), ("ack", Milestone.ACKNOWLEDGED),
        ("Acked", Milestone.ACKNOWLEDGED), ("mitigated", Milestone.MITIGATED),
        ("mitigate", Milestone.MITIGATED), ("resolved", Milestone.RESOLVED),
        (" resolve ", Milestone.RESOLVED),
    ],
)
def test_milestone_names_and_aliases_resolve(typed: str, expected: Milestone) -> None:
    assert parse_milestone(typed) is expected


def test_an_unknown_milestone_lists_the_valid_names() -> None:
    with pytest.raises(InvalidCommand, match="`fixed` is not a milestone. Use one of: started, detected, "
                                             "acknowledged, mitigated, resolved"):
        parse_milestone("fixed")


# --- lifecycle rules ----------------------------------------------------------------------------------

DECLARED = utc(2026, 11, 22, 13, 0)


def test_declaring_records_detection_at_the_declare_time() -> None:
    assert on_declared(DECLARED) == {"detected": DECLARED}


def test_the_first_commander_acknowledges_the_incident() -> None:
    assert on_acknowledged({"detected": DECLARED}, NOW) == {"detected": DECLARED, "acknowledged": NOW}


def test_a_later_commander_does_not_move_acknowledged() -> None:
    first = DECLARED + timedelta(minutes=3)
    assert on_acknowledged({"detected": DECLARED, "acknowledged": first}, NOW)["acknowledged"] == first


def test_moving_to_monitoring_sets_mitigated() -> None:
    after = on_status_change({"detected": DECLARED}, old_status="identified", new_status="monitoring",
                             now=NOW)
    assert after == {"detected": DECLARED, "mitigated": NOW}


def test_moving_to_monitoring_again_keeps_the_first_mitigation() -> None:
    first = DECLARED + timedelta(minutes=20)
    after = on_status_change({"mitigated": first}, old_status="investigating", new_status="monitoring",
                             now=NOW)
    assert after["mitigated"] == first


def test_resolving_straight_away_sets_mitigated_and_resolved_to_now() -> None:
    after = on_status_change({"detected": DECLARED}, old_status="investigating", new_status="resolved",
                             now=NOW)
    assert after == {"detected": DECLARED, "mitigated": NOW, "resolved": NOW}


def test_resolving_after_monitoring_keeps_the_mitigation_time() -> None:
    mitigated = DECLARED + timedelta(minutes=40)
    after = on_status_change({"mitigated": mitigated}, old_status="monitoring", new_status="resolved",
                             now=NOW)
    assert after == {"mitigated": mitigated, "resolved": NOW}


def test_reopening_removes_resolved_but_keeps_mitigated() -> None:
    mitigated = DECLARED + timedelta(minutes=40)
    before = {"detected": DECLARED, "mitigated": mitigated, "resolved": DECLARED + timedelta(hours=1)}
    after = on_status_change(before, old_status="resolved", new_status="investigating", now=NOW)
    assert after == {"detected": DECLARED, "mitigated": mitigated}


@pytest.mark.parametrize(("old", "new"), [("investigating", "identified"), ("identified", "investigating"),
                                          ("resolved", "closed")])
def test_other_status_changes_leave_milestones_alone(old: str, new: str) -> None:
    before = {"detected": DECLARED, "resolved": DECLARED + timedelta(hours=1)}
    assert on_status_change(before, old_status=old, new_status=new, now=NOW) == before


def test_status_changes_return_a_new_dict_and_leave_the_old_one_untouched() -> None:
    before = {"detected": DECLARED}
    after = on_status_change(before, old_status="investigating", new_status="resolved", now=NOW)
    assert before == {"detected": DECLARED}
    assert after is not before


# --- set_milestone ------------------------------------------------------------------------------------

RECORDED = {"detected": DECLARED, "mitigated": DECLARED + timedelta(minutes=40)}


def test_back_filling_when_impact_started_before_detection_is_accepted() -> None:
    started = DECLARED - timedelta(minutes=12)
    assert set_milestone(RECORDED, Milestone.STARTED, started) == {**RECORDED, "started": started}
    assert "started" not in RECORDED


def test_a_milestone_may_equal_its_neighbour() -> None:
    assert set_milestone(RECORDED, Milestone.STARTED, DECLARED)["started"] == DECLARED


def test_impact_starting_after_detection_is_refused_naming_detected_and_its_time() -> None:
    with pytest.raises(InvalidInput) as refused:
        set_milestone(RECORDED, Milestone.STARTED, DECLARED + timedelta(minutes=5), tz="Europe/Berlin")
    message = refused.value.errors["milestone"]
    assert "Started at 2026-11-22 14:05 CET would be after detected at 2026-11-22 14:00 CET" in message
    assert "started must be at or before detected" in message


def test_mitigating_before_detection_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Mitigated at .* would be before detected"):
        set_milestone(RECORDED, Milestone.MITIGATED, DECLARED - timedelta(minutes=1))


def test_resolving_before_mitigation_is_refused_naming_mitigated() -> None:
    conflict = "Resolved at 2026-11-22 13:30 UTC would be before mitigated at 2026-11-22 13:40 UTC"
    with pytest.raises(InvalidInput, match=conflict):
        set_milestone(RECORDED, Milestone.RESOLVED, DECLARED + timedelta(minutes=30))


def test_acknowledging_before_detection_is_refused() -> None:
    with pytest.raises(InvalidInput, match="before detected"):
        set_milestone(RECORDED, Milestone.ACKNOWLEDGED, DECLARED - timedelta(seconds=1))


def test_acknowledged_and_mitigated_may_come_in_either_order() -> None:
    after = set_milestone(RECORDED, Milestone.ACKNOWLEDGED, DECLARED + timedelta(hours=2))
    assert after["acknowledged"] == DECLARED + timedelta(hours=2)


def test_unset_milestones_do_not_constrain_but_the_order_still_holds_across_them() -> None:
    only_resolved = {"resolved": DECLARED}
    mitigated = DECLARED - timedelta(minutes=1)
    after = set_milestone(only_resolved, Milestone.MITIGATED, mitigated)
    assert after == {**only_resolved, "mitigated": mitigated}
    with pytest.raises(InvalidInput, match="after resolved"):
        set_milestone(only_resolved, Milestone.STARTED, DECLARED + timedelta(minutes=1))


def test_set_milestone_stores_utc() -> None:
    berlin_time = datetime.fromisoformat("2026-11-22T13:48:00+01:00")
    assert set_milestone(RECORDED, Milestone.STARTED, berlin_time)["started"] == utc(2026, 11, 22, 12, 48)


# --- durations ----------------------------------------------------------------------------------------


def test_durations_measure_each_phase_from_detection() -> None:
    measured = durations({
        "started": DECLARED - timedelta(minutes=10), "detected": DECLARED,
        "acknowledged": DECLARED + timedelta(minutes=3), "mitigated": DECLARED + timedelta(minutes=40),
        "resolved": DECLARED + timedelta(hours=1, minutes=5),
    })
    assert measured == Durations(
        time_to_detect=timedelta(minutes=10), time_to_acknowledge=timedelta(minutes=3),
        time_to_mitigate=timedelta(minutes=40), time_to_resolve=timedelta(hours=1, minutes=5),
    )


def test_a_duration_with_a_missing_end_is_none() -> None:
    measured = durations({"detected": DECLARED, "mitigated": DECLARED + timedelta(minutes=40)})
    assert measured == Durations(None, None, timedelta(minutes=40), None)


@pytest.mark.parametrize(
    ("td", "shown"),
    [
        (None, "—"),
        (timedelta(0), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(minutes=12, seconds=30), "12 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1, minutes=5), "1 h 05 min"),
        (timedelta(hours=23, minutes=59), "23 h 59 min"),
        (timedelta(days=2, hours=3, minutes=10), "2 d 3 h 10 min"),
        (timedelta(days=1, minutes=4), "1 d 0 h 04 min"),
        (timedelta(minutes=-5), "-5 min"),
    ],
)
def test_durations_are_formatted_for_people(td: timedelta | None, shown: str) -> None:
    assert format_duration(td) == shown
