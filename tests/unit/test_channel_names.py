"""Channel names resolved to ids with conversations.list against the Slack stand-in: paged, cached, refreshed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.outbox import OutboundCall, channel_key, in_channel, is_channel_name
from bot.standin import FakeSlack
from handlers.slack_channels import SlackChannelNames, distinct_channels

TEAM = "T0001"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    # More channels than one page holds, and a private one the bot is in.
    channels = {f"team-{n:04d}": f"CT{n:04d}" for n in range(1500)} | {"incidents": "CANNOUNCE"}
    async with FakeSlack(channels=channels) as running:
        running.state.add_channel("secret-ops", "GSECRET", is_private=True)
        yield running


def _names(fake: FakeSlack, **kw: float) -> SlackChannelNames:
    return SlackChannelNames(AsyncWebClient(token=fake.bot_token, base_url=fake.api_url), **kw)


def test_names_and_ids_are_told_apart_and_compared_in_one_spelling() -> None:
    assert [is_channel_name(c) for c in ("#incidents", "oncall-sre", "CANNOUNCE", "G0PRIV", "U7", "role:commander")] \
        == [True, True, False, False, False, False]
    assert channel_key("#Incidents") == channel_key("incidents") == "#incidents" and channel_key("C1X") == "C1X"
    call = OutboundCall(team_id=TEAM, method="chat.postMessage", params={"channel": "#incidents", "text": "hi"})
    moved = in_channel(call, "CANNOUNCE")
    assert (moved.params, moved.lane, call.lane) == ({"channel": "CANNOUNCE", "text": "hi"}, "T0001/CANNOUNCE",
                                                     "T0001/#incidents")


async def test_one_paged_listing_resolves_every_name_and_is_cached(fake: FakeSlack) -> None:
    names = _names(fake)
    assert names.known(TEAM, "#incidents") == "#incidents", "nothing is asked before a resolve"
    assert await names.resolve(TEAM, "#incidents") == "CANNOUNCE"
    assert await names.resolve(TEAM, "team-1499") == "CT1499"  # on the second page
    assert await names.resolve(TEAM, "#secret-ops") == "GSECRET"
    assert await names.resolve(TEAM, "CANNOUNCE") == "CANNOUNCE"
    assert names.known(TEAM, "incidents") == "CANNOUNCE"
    pages = fake.calls_to("conversations.list")
    assert len(pages) == 2 and all(int(p.params["limit"]) == 1000 for p in pages), "one listing, two pages"


async def test_an_unknown_name_is_not_listed_again_until_the_gap_passes(fake: FakeSlack) -> None:
    names, eager = _names(fake, sweep_gap=3600), _names(fake, sweep_gap=0)
    assert await names.resolve(TEAM, "#nowhere") is None and await eager.resolve(TEAM, "#nowhere") is None
    fake.state.add_channel("nowhere", "CNOWHERE")
    assert await names.resolve(TEAM, "#nowhere") is None, "within the gap: not listed again"
    assert await eager.resolve(TEAM, "#nowhere") == "CNOWHERE", "after the gap: listed again"
    assert len(fake.calls_to("conversations.list")) == 3 * 2, "three listings of two pages"


async def test_a_forgotten_name_is_listed_again_and_gets_its_new_id(fake: FakeSlack) -> None:
    names = _names(fake, sweep_gap=3600)
    assert await names.resolve(TEAM, "#incidents") == "CANNOUNCE"
    del fake.state.channels["CANNOUNCE"]
    fake.state.add_channel("incidents", "CNEWONE")  # deleted and made again: Slack says channel_not_found
    assert names.forget(TEAM, "#incidents") and not names.forget(TEAM, "#incidents")
    assert await names.resolve(TEAM, "#incidents") == "CNEWONE"


async def test_a_channel_named_by_name_and_by_id_is_one_target(fake: FakeSlack) -> None:
    names = _names(fake)
    targets = ["#incidents", "CANNOUNCE", "incidents", "#team-0001", "C0INCIDENT"]
    assert await distinct_channels(names, TEAM, targets, besides=["C0INCIDENT"]) == ["CANNOUNCE", "CT0001"]
    assert await distinct_channels(None, TEAM, ["#incidents", "incidents", "#ops"]) == ["#incidents", "#ops"]
