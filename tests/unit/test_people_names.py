"""People's names: looked up once in Slack, then read from the cache; Slack being down costs one try."""

from __future__ import annotations

from bot.domain.errors import ChatUnavailable
from bot.services.people import PeopleNames
from tests.fakes.clock import FakeClock
from tests.fakes.names import FakeNameCache, FakeProfiles


def _names(profiles: FakeProfiles, cache: FakeNameCache | None = None) -> tuple[PeopleNames, FakeClock, FakeNameCache]:
    clock, cache = FakeClock(), cache or FakeNameCache()
    return PeopleNames(cache=cache, lookup=profiles, clock=clock), clock, cache


async def test_a_name_is_looked_up_once_and_then_read_from_the_cache() -> None:
    profiles = FakeProfiles({"U1": "Ana Lopez", "U2": "Bo Chen"})
    names, _, cache = _names(profiles)
    assert await names.names("T1", ["U1", "U2", "U1"]) == {"U1": "Ana Lopez", "U2": "Bo Chen"}
    assert await names.names("T1", ["U1", "U2"]) == {"U1": "Ana Lopez", "U2": "Bo Chen"}
    assert sorted(profiles.asked) == ["U1", "U2"]
    assert cache.rows[("T1", "U1")].name == "Ana Lopez"


async def test_a_week_old_name_is_looked_up_again() -> None:
    profiles = FakeProfiles({"U1": "Ana Lopez"})
    names, clock, _ = _names(profiles)
    await names.names("T1", ["U1"])
    profiles.names["U1"] = "Ana Lopez-Diaz"
    clock.advance(days=8)
    assert await names.names("T1", ["U1"]) == {"U1": "Ana Lopez-Diaz"}
    assert profiles.asked == ["U1", "U1"]


async def test_with_slack_down_cached_names_serve_and_not_everyone_is_tried() -> None:
    profiles = FakeProfiles({"U1": "Ana Lopez"})
    names, clock, _cache = _names(profiles)
    await names.names("T1", ["U1"])
    clock.advance(days=8)
    profiles.fail = ChatUnavailable("Slack refused users.info: invalid_auth")
    profiles.asked.clear()
    found = await names.names("T1", ["U1", *[f"U{n}" for n in range(2, 40)]])
    assert found == {"U1": "Ana Lopez"}, "the stale name beats a bare id"
    assert len(profiles.asked) <= 8, "once Slack cannot be asked, the rest are not tried"


async def test_someone_slack_does_not_know_keeps_no_name() -> None:
    names, _, cache = _names(FakeProfiles())
    assert await names.names("T1", ["U404"]) == {}
    assert cache.rows == {}
