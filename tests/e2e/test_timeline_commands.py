"""Timeline paging, follow-ups with their button, milestones and stats, through Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.standin import FakeSlack
from handlers.ids import Action, Block
from tests.e2e.harness import Bot, declared_incident
from tests.e2e.scenario import People
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.fixture
async def incident(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[tuple[Bot, FakeClock, str]]:
    clock = FakeClock(T0)
    async with declared_incident(fake_slack, tmp_path, clock, "declare sev2 Bank sync failing --service banking") as (bot, channel):
        yield bot, clock, channel


async def test_the_timeline_pages_within_block_limits_and_the_buttons_turn_pages(incident: tuple[Bot, FakeClock, str]) -> None:
    bot, clock, channel = incident
    for n in range(44):
        clock.advance(minutes=1)
        await bot.command(f"note step {n}", user_id="U3", channel_id=channel)
        await bot.settled()  # the note is written after the ack, at the clock's time then
    await bot.command("timeline", user_id="U3", channel_id=channel)
    page = await bot.fake.wait_for_response(lambda r: "page 1 of 3" in r["body"].get("text", ""))
    blocks = page["body"]["blocks"]
    # Newest first, as the page says: step 43 opens the page, and each entry is older than the one above.
    entries = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert "step 43" in entries[0] and "step 42" in entries[1] and len(blocks) <= 50
    assert blocks[-2]["elements"][0]["text"] == "Page 1 of 3 (newest first)"
    stamps = [int(text.split("^", 2)[1]) for text in entries]
    assert stamps == sorted(stamps, reverse=True)
    older = blocks[-1]["elements"][0]
    assert older["action_id"] == Action.TIMELINE_OLDER
    await People(bot).click("U3", channel, "", {**older, "block_id": Block.TIMELINE_NAV})
    second = await bot.fake.wait_for_response(lambda r: "page 2 of 3" in r["body"].get("text", ""))
    assert second["body"]["replace_original"] is True


async def test_a_followup_is_posted_with_a_button_that_closes_it(incident: tuple[Bot, FakeClock, str]) -> None:
    bot, _, channel = incident
    await bot.command("followup Alert on bank sync lag <@U4|bo>", user_id="U1", channel_id=channel)
    [posted] = await bot.fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text", "")).startswith("Follow-up"))
    button = posted.params["blocks"][1]["elements"][0]
    await People(bot).click("U4", channel, posted.response["ts"], {**button, "block_id": Block.FOLLOWUP_ACTIONS})
    done = await bot.fake.wait_for_response(lambda r: "Follow-up done" in r["body"].get("text", ""))
    assert "done by <@U4>" in done["body"]["blocks"][0]["text"]["text"]
    await bot.settled()
    incident_ = await bot.warroom.services.reviews.find(bot.fake.state.team_id, "INC-1")
    data = await bot.warroom.services.reviews.review_data(bot.fake.state.team_id, incident_.id)  # type: ignore[arg-type]
    [item] = data.followups
    assert (item.text, item.owner, item.done_by) == ("Alert on bank sync lag", "U4", "U4")


async def test_milestones_are_back_filled_and_stats_report_them(incident: tuple[Bot, FakeClock, str]) -> None:
    bot, clock, channel = incident
    await bot.command("milestone started 13:40", user_id="U1", channel_id=channel)
    await bot.fake.wait_for_response(lambda r: "Milestone started set" in r["body"].get("text", ""))
    await bot.command("milestone detected 25:99", user_id="U1", channel_id=channel)
    refused = await bot.fake.wait_for_response(lambda r: "Give a time like" in r["body"].get("text", ""))
    assert refused["body"]["response_type"] == "ephemeral"
    team = bot.fake.state.team_id
    found = await bot.warroom.services.reviews.find(team, "INC-1")
    assert found.milestones["started"] == T0 - timedelta(minutes=20)

    clock.advance(minutes=3)
    await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=channel)
    await bot.settled()
    clock.advance(minutes=1)
    status, body, _ = await bot.command("stats 7d", user_id="U1")
    assert status == 200 and body["text"] == "Incident stats, last 7 days"
    overall = body["blocks"][1]["text"]["text"]
    assert "*all*: 1 · MTTA median 3 min, p90 3 min · MTTR median —, p90 —" in overall
    assert "*banking*: 1" in body["blocks"][3]["text"]["text"]
