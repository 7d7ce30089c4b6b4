"""Incident statistics: periods as typed, counts and mean times computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_policy
from bot.domain.errors import InvalidCommand
from bot.domain.incident import Incident
from bot.domain.stats import Bucket, incident_stats, parse_period

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


# --- incident_stats -------------------------------------------------------------------------------------

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


def test_only_incidents_declared_in_the_half_open_period_count() -> None:
    assert incident_stats(INCIDENTS, since=SINCE, until=UNTIL, policy=POLICY).total.count == 5


def test_the_total_averages_acknowledgement_and_resolution_over_incidents_that_have_them() -> None:
    result = incident_stats(INCIDENTS, since=SINCE, until=UNTIL, policy=POLICY)
    # MTTA (4 + 10 + 15) / 3 = 9 min 40 s; MTTR (60 + 30 + 120) / 3 = 70 min.
    assert result.total == Bucket("all", 5, mtta=9 * MIN + timedelta(seconds=40), mttr=70 * MIN)


def test_severities_follow_the_policy_rank_and_only_those_that_occur() -> None:
    result = incident_stats(INCIDENTS, since=SINCE, until=UNTIL, policy=POLICY)
    assert result.by_severity == [
        Bucket("SEV0", 1, mtta=None, mttr=120 * MIN),
        Bucket("SEV1", 2, mtta=7 * MIN, mttr=45 * MIN),
        Bucket("SEV2", 1, mtta=15 * MIN, mttr=None),
        Bucket("SEV3", 1, mtta=None, mttr=None),
    ]


def test_services_are_sorted_by_count_then_name_with_blank_as_no_service() -> None:
    result = incident_stats(INCIDENTS, since=SINCE, until=UNTIL, policy=POLICY)
    assert result.by_service == [
        Bucket("billing", 2, mtta=None, mttr=120 * MIN),
        Bucket("imports", 2, mtta=7 * MIN, mttr=45 * MIN),
        Bucket("(no service)", 1, mtta=15 * MIN, mttr=None),
    ]


def test_a_severity_no_longer_in_the_policy_is_listed_after_the_known_ones() -> None:
    retired = incident(8, "SEV9", at(5, 9), "imports")
    result = incident_stats([retired, INCIDENTS[0]], since=SINCE, until=UNTIL, policy=POLICY)
    assert [b.key for b in result.by_severity] == ["SEV1", "SEV9"]


def test_the_period_and_label_are_carried_through() -> None:
    result = incident_stats(INCIDENTS, since=SINCE, until=UNTIL, policy=POLICY, label="November so far")
    assert (result.since, result.until, result.label) == (SINCE, UNTIL, "November so far")


def test_without_a_label_the_period_describes_itself_in_utc() -> None:
    result = incident_stats([], since=SINCE, until=UNTIL, policy=POLICY)
    assert result.label == "2026-11-01 00:00 to 2026-11-21 00:00 UTC"


def test_a_quiet_period_has_no_means_and_no_groups() -> None:
    result = incident_stats(INCIDENTS, since=at(21, 1), until=at(22, 0), policy=POLICY)
    assert result.total == Bucket("all", 0, mtta=None, mttr=None)
    assert (result.by_severity, result.by_service) == ([], [])


def test_a_parsed_period_feeds_straight_into_the_stats() -> None:
    since, until, label = parse_period("2026-11-10..2026-11-12", now=NOW)
    result = incident_stats(INCIDENTS, since=since, until=until, policy=POLICY, label=label)
    assert (result.total.count, result.label) == (2, "2026-11-10 to 2026-11-12")
