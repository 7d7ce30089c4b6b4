"""Incident statistics: periods as typed, counts and mean times computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_policy
from bot.domain.errors import InvalidCommand
from bot.domain.incident import Incident
from bot.domain.kpis import Insights, TimeKpi, insights
from bot.domain.stats import parse_period

POLICY = load_policy(None)
NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def incident(number: int, severity: str, declared_at: datetime, service: str = "", **kw: object) -> Incident:
    return Incident(team_id="T1", number=number, title=f"Incident {number}", severity=severity,
                    status=str(kw.pop("status", "resolved")), declared_by="U1", declared_at=declared_at,
                    service=service, id=number, **kw)  # type: ignore[arg-type]


# --- parse_period ---------------------------------------------------------------------------------------


def test_no_period_means_the_last_30_days() -> None:
    assert parse_period("", now=NOW) == (NOW - timedelta(days=30), NOW, "last 30 days")


@pytest.mark.parametrize(
    ("typed", "length", "label"),
    [
        ("24h", timedelta(hours=24), "last 24 hours"),
        ("7d", timedelta(days=7), "last 7 days"),
        ("2w", timedelta(days=14), "last 2 weeks"),
        ("30d", timedelta(days=30), "last 30 days"),
        ("90d", timedelta(days=90), "last 90 days"),
        ("1d", timedelta(days=1), "last 1 day"),
        (" 7D ", timedelta(days=7), "last 7 days"),
    ],
)
def test_a_relative_period_ends_now(typed: str, length: timedelta, label: str) -> None:
    assert parse_period(typed, now=NOW) == (NOW - length, NOW, label)


def test_a_date_range_includes_both_dates_in_utc() -> None:
    since, until, label = parse_period("2026-11-01..2026-11-30", now=NOW)
    assert (since, until) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert label == "2026-11-01 to 2026-11-30"


def test_a_one_day_range_covers_that_whole_day() -> None:
    since, until, _ = parse_period("2026-11-22 .. 2026-11-22", now=NOW)
    assert until - since == timedelta(days=1)
    assert since == datetime(2026, 11, 22, tzinfo=UTC)


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="ends before it starts"):
        parse_period("2026-11-30..2026-11-01", now=NOW)


def test_a_range_with_an_impossible_date_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="a date that does not exist"):
        parse_period("2026-02-30..2026-03-01", now=NOW)


@pytest.mark.parametrize(
    "typed", ["last week", "7", "7y", "0d", "99999d", "2026-11-01", "2026-11-01..", "1990-01-01..2026-01-01"]
)
def test_anything_else_shows_examples(typed: str) -> None:
    with pytest.raises(InvalidCommand, match=r"`24h`, `7d`, `2w`, `90d` or `2026-11-01\.\.2026-11-30`"):
        parse_period(typed, now=NOW)


# --- the times of /incident stats (kpis.insights) -------------------------------------------------------------------------------------

SINCE, UNTIL = at(1, 0), at(21, 0)
INCIDENTS = [
    # TTA 4 min, TTR 60 min: the resolved milestone wins over resolved_at.
    incident(1, "SEV1", at(10, 10), "imports",
             milestones={"detected": at(10, 10), "acknowledged": at(10, 10, 4), "resolved": at(10, 11)},
             resolved_at=at(10, 11, 5)),
    # No detected milestone: measured from declared_at. TTA 10 min, TTR 30 min from resolved_at.
    incident(2, "SEV1", at(12, 9), "imports", milestones={"acknowledged": at(12, 9, 10)},
             resolved_at=at(12, 9, 30)),
    # Detection back-filled before declaring: TTA 15 min; still open, so no TTR.
    incident(3, "SEV2", at(15, 12), "  ", status="investigating",
             milestones={"detected": at(15, 11, 50), "acknowledged": at(15, 12, 5)}),
    # Never acknowledged: no TTA; TTR 120 min.
    incident(4, "SEV0", at(20, 8), "billing", milestones={"detected": at(20, 8), "resolved": at(20, 10)}),
    # Declared exactly at `since`: counted. Open, nothing measured.
    incident(5, "SEV3", SINCE, "billing", status="investigating"),
    # Outside the period on either side, `until` itself excluded.
    incident(6, "SEV1", at(1, 0) - timedelta(seconds=1), "imports"),
    incident(7, "SEV1", UNTIL, "imports"),
]


def _times(incidents: list[Incident]) -> Insights:
    return insights(incidents, [], since=SINCE, until=UNTIL, severities=POLICY.severities.ids())


def test_only_incidents_declared_in_the_half_open_period_count() -> None:
    found = _times(INCIDENTS).times
    assert found.count == 5


def test_the_samples_follow_the_milestones_and_the_times_are_their_median_and_p90() -> None:
    # TTA 4, 10, 15 min: median 10, p90 15; TTR 60, 30, 120 min: median 60, p90 120.
    assert _times(INCIDENTS).times == TimeKpi("all", 5, 10 * MIN, 15 * MIN, 60 * MIN, 120 * MIN)


def test_severities_follow_the_policy_rank_and_only_those_that_occur() -> None:
    assert _times(INCIDENTS).by_severity == [
        TimeKpi("SEV0", 1, None, None, 120 * MIN, 120 * MIN),
        TimeKpi("SEV1", 2, 7 * MIN, 10 * MIN, 45 * MIN, 60 * MIN),  # TTA 4, 10; TTR 60, 30
        TimeKpi("SEV2", 1, 15 * MIN, 15 * MIN, None, None),
        TimeKpi("SEV3", 1, None, None, None, None),
    ]


def test_services_are_sorted_by_count_then_name_with_blank_as_no_service() -> None:
    assert [(k.key, k.count) for k in _times(INCIDENTS).by_service] == [
        ("billing", 2), ("imports", 2), ("(no service)", 1)]


def test_a_severity_no_longer_in_the_policy_is_listed_after_the_known_ones() -> None:
    retired = incident(8, "SEV9", at(5, 9), "imports")
    assert [k.key for k in _times([retired, INCIDENTS[0]]).by_severity] == ["SEV1", "SEV9"]
