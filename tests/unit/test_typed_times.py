"""Typed milestone times (`parse_when`): formats in the workspace zone, explicit zones, refusals, daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.errors import ConfigError, InvalidCommand
from bot.domain.milestones import parse_when

NOW = datetime(2026, 11, 22, 14, 10, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- parse_when: formats -------------------------------------------------------------------------


def test_a_bare_time_earlier_today_is_today_in_utc() -> None:
    assert parse_when("14:02", now=NOW, tz="UTC") == utc(2026, 11, 22, 14, 2)


def test_a_bare_time_with_seconds_keeps_the_seconds() -> None:
    assert parse_when("14:02:37", now=NOW, tz="UTC") == utc(2026, 11, 22, 14, 2, 37)


def test_a_single_digit_hour_is_accepted() -> None:
    assert parse_when("9:05", now=NOW, tz="UTC") == utc(2026, 11, 22, 9, 5)


def test_a_bare_time_later_than_now_means_yesterday() -> None:
    assert parse_when("15:00", now=NOW, tz="UTC") == utc(2026, 11, 21, 15, 0)


def test_a_bare_time_a_few_seconds_ahead_counts_as_today_because_of_clock_skew() -> None:
    assert parse_when("14:10:30", now=NOW, tz="UTC") == utc(2026, 11, 22, 14, 10, 30)


def test_23_50_typed_just_after_midnight_in_berlin_is_yesterday_evening() -> None:
    just_after_midnight = utc(2026, 11, 22, 23, 10)  # 00:10 CET on 23 November
    assert parse_when("23:50", now=just_after_midnight, tz="Europe/Berlin") == utc(2026, 11, 22, 22, 50)


def test_yesterday_in_los_angeles_is_the_previous_local_day() -> None:
    morning_in_la = utc(2026, 11, 22, 18, 0)  # 10:00 PST on 22 November
    typed = parse_when("yesterday 23:50", now=morning_in_la, tz="America/Los_Angeles")
    assert typed == utc(2026, 11, 22, 7, 50)  # 23:50 PST on 21 November


def test_yesterday_is_case_insensitive_and_takes_seconds() -> None:
    assert parse_when("Yesterday 08:00:05", now=NOW, tz="UTC") == utc(2026, 11, 21, 8, 0, 5)


def test_a_date_and_time_is_read_in_the_workspace_zone() -> None:
    assert parse_when("2026-11-20 09:15", now=NOW, tz="Europe/Berlin") == utc(2026, 11, 20, 8, 15)


@pytest.mark.parametrize("typed", ["2026-11-20T09:15:30", "2026-11-20t09:15:30", "2026-11-20  09:15:30"])
def test_an_iso_style_date_time_with_seconds_is_accepted(typed: str) -> None:
    assert parse_when(typed, now=NOW, tz="Europe/Berlin") == utc(2026, 11, 20, 8, 15, 30)


def test_a_time_in_kolkata_uses_the_half_hour_offset() -> None:
    afternoon_in_kolkata = utc(2026, 11, 22, 10, 0)  # 15:30 IST
    assert parse_when("14:02", now=afternoon_in_kolkata, tz="Asia/Kolkata") == utc(2026, 11, 22, 8, 32)


def test_a_time_on_chatham_in_summer_uses_plus_13_45() -> None:
    chatham_lunchtime = utc(2026, 11, 22, 0, 0)  # 13:45 CHADT on 22 November
    assert parse_when("12:00", now=chatham_lunchtime, tz="Pacific/Chatham") == utc(2026, 11, 21, 22, 15)


def test_a_time_on_chatham_in_winter_uses_plus_12_45() -> None:
    chatham_lunchtime = utc(2026, 6, 15, 0, 0)  # 12:45 CHAST on 15 June
    assert parse_when("12:00", now=chatham_lunchtime, tz="Pacific/Chatham") == utc(2026, 6, 14, 23, 15)


@pytest.mark.parametrize("typed", ["now", "NOW", " now "])
def test_now_is_the_current_time(typed: str) -> None:
    assert parse_when(typed, now=NOW, tz="Europe/Berlin") == NOW


def test_the_result_is_aware_utc() -> None:
    when = parse_when("14:02", now=NOW, tz="Asia/Kolkata")
    assert when.tzinfo is UTC


# --- parse_when: explicit zones -------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["14:02 UTC", "14:02 utc", "14:02Z", "14:02 GMT"])
def test_a_utc_suffix_overrides_the_workspace_zone(typed: str) -> None:
    assert parse_when(typed, now=NOW, tz="Europe/Berlin") == utc(2026, 11, 22, 14, 2)


@pytest.mark.parametrize("typed", ["14:02+02:00", "14:02 +02:00", "14:02+0200", "14:02+02"])
def test_an_offset_suffix_is_applied(typed: str) -> None:
    assert parse_when(typed, now=NOW, tz="America/Los_Angeles") == utc(2026, 11, 22, 12, 2)


def test_a_negative_offset_picks_the_day_in_that_offset() -> None:
    late_evening_utc = utc(2026, 11, 22, 23, 0)  # 16:00 at -07:00
    assert parse_when("14:02-07:00", now=late_evening_utc, tz="UTC") == utc(2026, 11, 22, 21, 2)


def test_a_zone_name_suffix_is_applied() -> None:
    assert parse_when("2026-11-22 14:02 Asia/Kolkata", now=NOW, tz="UTC") == utc(2026, 11, 22, 8, 32)


def test_an_unknown_zone_suffix_says_how_to_write_one() -> None:
    with pytest.raises(InvalidCommand, match=r"`Mars/Olympus` is not a time zone.*\+02:00"):
        parse_when("14:02 Mars/Olympus", now=NOW, tz="UTC")


def test_an_offset_beyond_a_day_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="not a UTC offset"):
        parse_when("14:02+25:00", now=NOW, tz="UTC")


# --- parse_when: refusals ---------------------------------------------------------------------------


def test_a_date_in_the_future_is_refused_with_both_times_shown() -> None:
    both = r"in the future \(2026-11-22 16:00 CET; it is now 2026-11-22 15:10 CET\)"
    with pytest.raises(InvalidCommand, match=both):
        parse_when("2026-11-22 16:00", now=NOW, tz="Europe/Berlin")


def test_a_time_within_a_minute_of_now_is_not_the_future() -> None:
    assert parse_when("2026-11-22 14:10:59", now=NOW, tz="UTC") == utc(2026, 11, 22, 14, 10, 59)


def test_a_time_just_beyond_a_minute_ahead_is_the_future() -> None:
    with pytest.raises(InvalidCommand, match="in the future"):
        parse_when("2026-11-22 14:11:01", now=NOW, tz="UTC")


@pytest.mark.parametrize(
    "typed", ["", "soon", "14", "1402", "25:00", "14:60", "14:02:61", "2026-02-30 10:00", "tomorrow 09:00",
              "14:02 CET", "yesterday"],
)
def test_anything_else_says_what_to_type_and_in_which_zone(typed: str) -> None:
    expected = (
        r"Give a time like `14:02`, `yesterday 23:50` or `2026-11-21 14:02` \(times are in Europe/Berlin\)"
    )
    with pytest.raises(InvalidCommand, match=expected):
        parse_when(typed, now=NOW, tz="Europe/Berlin")


def test_a_workspace_zone_that_does_not_exist_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'Europe/Atlantis' is not an IANA time zone"):
        parse_when("14:02", now=NOW, tz="Europe/Atlantis")


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("14:02", now=datetime(2026, 11, 22, 14, 10), tz="UTC")


# --- parse_when: daylight saving time --------------------------------------------------------------


def test_a_time_in_the_spring_forward_gap_is_refused_with_what_to_type_instead() -> None:
    later_that_day = utc(2026, 3, 29, 10, 0)  # Berlin skipped 02:00-03:00 that morning
    with pytest.raises(InvalidCommand) as refused:
        parse_when("02:30", now=later_that_day, tz="Europe/Berlin")
    message = str(refused.value)
    assert "did not happen in Europe/Berlin" in message
    assert "`2026-03-29 03:30`" in message
    assert "`2026-03-29 01:30 UTC`" in message


def test_a_dated_time_in_the_chatham_gap_is_refused() -> None:
    # Chatham moves from 02:45 to 03:45 on the last Sunday of September.
    with pytest.raises(InvalidCommand, match="did not happen in Pacific/Chatham"):
        parse_when("2026-09-27 03:00", now=utc(2026, 10, 1), tz="Pacific/Chatham")


def test_a_bare_gap_time_typed_before_the_gap_means_yesterday() -> None:
    before_the_jump = utc(2026, 3, 29, 0, 10)  # 01:10 CET, the gap is still ahead
    assert parse_when("02:30", now=before_the_jump, tz="Europe/Berlin") == utc(2026, 3, 28, 1, 30)


def test_the_gap_can_be_named_exactly_with_an_offset() -> None:
    typed = parse_when("2026-03-29 02:30+01:00", now=utc(2026, 3, 30), tz="Europe/Berlin")
    assert typed == utc(2026, 3, 29, 1, 30)


def test_a_fold_time_typed_after_both_occurrences_is_the_later_one() -> None:
    second_pass = utc(2026, 10, 25, 1, 45)  # 02:45 CET, after clocks went back from 03:00 CEST
    assert parse_when("02:30", now=second_pass, tz="Europe/Berlin") == utc(2026, 10, 25, 1, 30)


def test_a_fold_time_typed_between_the_occurrences_is_the_earlier_one() -> None:
    between = utc(2026, 10, 25, 1, 15)  # 02:15 CET: the CET 02:30 has not happened yet
    assert parse_when("02:30", now=between, tz="Europe/Berlin") == utc(2026, 10, 25, 0, 30)


def test_a_dated_fold_time_is_the_later_occurrence() -> None:
    days_later = utc(2026, 10, 28)
    assert parse_when("2026-10-25 02:30", now=days_later, tz="Europe/Berlin") == utc(2026, 10, 25, 1, 30)


def test_an_offset_picks_the_first_occurrence_of_a_fold_time() -> None:
    days_later = utc(2026, 10, 28)
    typed = parse_when("2026-10-25 02:30+02:00", now=days_later, tz="Europe/Berlin")
    assert typed == utc(2026, 10, 25, 0, 30)


def test_a_fold_in_los_angeles_follows_the_same_rule() -> None:
    # 1 November 2026: 01:30 happens at 08:30 UTC (PDT) and again at 09:30 UTC (PST).
    typed = parse_when("2026-11-01 01:30", now=utc(2026, 11, 2), tz="America/Los_Angeles")
    assert typed == utc(2026, 11, 1, 9, 30)
