"""The page's domain: component statuses follow open public incidents or a hand, history and uptime bars."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.status_page import ComponentStatus, PageStatus, build_page
from tests.statuspage.pages import NOW, SPECS, record, sample_page


def test_a_component_follows_its_open_incident_and_recovers_when_it_resolves() -> None:
    page = sample_page()
    status = {c.name: c.status for c in page.components}
    assert status == {"Imports": ComponentStatus.MAJOR, "Bank sync": ComponentStatus.OPERATIONAL,
                      "Web app": ComponentStatus.OPERATIONAL}
    assert (page.indicator, page.description) == ("critical", "Major System Outage")


def test_a_status_set_by_hand_wins_over_the_incidents() -> None:
    page = sample_page(manual={"Web app": ComponentStatus.MAINTENANCE, "Imports": ComponentStatus.DEGRADED})
    status = {c.name: c.status for c in page.components}
    assert status["Web app"] is ComponentStatus.MAINTENANCE
    assert status["Imports"] is ComponentStatus.DEGRADED
    assert page.indicator == "minor"


def test_updates_are_listed_newest_first_and_the_next_update_is_shown_until_resolved() -> None:
    page = sample_page()
    open_one, past = page.incidents
    assert [u.status for u in open_one.updates] == [PageStatus.IDENTIFIED, PageStatus.INVESTIGATING]
    assert open_one.next_update_at == NOW + timedelta(minutes=10)
    assert past.resolved and past.next_update_at is None and past.resolved_at == NOW - timedelta(days=3)


def test_a_private_incident_never_reaches_the_page() -> None:
    secret = record(3, "Secret", ("Web app",), [(PageStatus.INVESTIGATING, "x", NOW)], private=True)
    page = build_page(sample_page().settings, SPECS, [secret], {}, NOW)
    assert page.incidents == () and all(c.status is ComponentStatus.OPERATIONAL for c in page.components)


def test_ninety_days_of_history_with_a_daily_uptime_bar_per_component() -> None:
    old = record(4, "Long ago", ("Web app",), [(PageStatus.INVESTIGATING, "a", NOW - timedelta(days=120)),
                                                (PageStatus.RESOLVED, "b", NOW - timedelta(days=119))])
    page = sample_page()
    assert all(len(c.days) == 90 for c in page.components)
    assert page.components[0].days[-1].day == NOW.date()
    bank_sync = {c.name: c for c in page.components}["Bank sync"]
    three_days_ago = bank_sync.days[-4]
    assert three_days_ago.worst == "partial_outage"
    assert 0.97 < three_days_ago.uptime < 1.0  # two hours of a partial outage count 30%
    assert build_page(page.settings, SPECS, [old], {}, NOW).incidents == ()
