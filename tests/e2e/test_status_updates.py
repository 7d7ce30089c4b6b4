"""Status updates: drafted from the audience's template, edited, posted twice over, clock restarted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.standin import FakeSlack
from handlers.ids import Block, Field
from tests.e2e.harness import Bot, declared_incident
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.fixture
async def declared(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[tuple[Bot, FakeClock, str]]:
    clock = FakeClock(T0)
    async with declared_incident(fake_slack, tmp_path, clock, "declare sev1 Imports failing --service imports") as (bot, channel):
        yield bot, clock, channel


async def test_a_customer_update_is_drafted_posted_recorded_and_restarts_the_clock(declared: tuple[Bot, FakeClock, str]) -> None:
    bot, clock, channel = declared
    fake = bot.fake
    clock.advance(minutes=10)
    await bot.command("update customer", user_id="U2", channel_id=channel)
    [opened] = await fake.wait_for("views.open")
    assert opened.params["view"]["blocks"][0]["text"]["text"] == "Preparing the draft…"
    [filled] = await fake.wait_for("views.update")
    draft = filled.params["view"]["blocks"][1]["element"]["initial_value"]
    assert draft.startswith("We are currently experiencing issues with imports.")
    assert "We will provide updates every 15 min." in draft

    view = {**filled.params["view"], "id": opened.response["view"]["id"]}
    values = {Block.UPDATE_TEXT: {Field.VALUE: {"type": "plain_text_input", "value": draft + "\nImports paused."}}}
    status, body, _ = await bot.interaction(fake.view_submission_payload("U2", view, values))
    assert status == 200 and not body
    posts = await fake.wait_for("chat.postMessage", lambda c: "Status update" in str(c.params.get("text")), count=2)
    await bot.settled()
    assert {p.params["channel"] for p in posts} == {channel, "CANNOUNCE"}  # #incidents, by its id
    assert "Imports paused." in posts[0].params["text"]

    team = fake.state.team_id
    incident = await bot.warroom.incidents.for_channel(team, channel)
    assert incident.last_update_at == T0 + timedelta(minutes=10)
    timeline = await bot.warroom.incidents.timeline(team, incident.id)  # type: ignore[arg-type]
    assert timeline[-1].kind.value == "update" and timeline[-1].author == "U2"
    async with bot.warroom.services.incidents._uow() as uow:  # noqa: SLF001 - the stored timers
        timers = await uow.timers.for_incident(team, incident.id)  # type: ignore[arg-type]
    pending_due = [t.due_at for t in timers if t.kind.value == "update_due" and t.state == "pending"]
    assert pending_due == [T0 + timedelta(minutes=25)]


async def test_an_empty_update_is_refused_inline(declared: tuple[Bot, FakeClock, str]) -> None:
    bot, _, channel = declared
    await bot.command("update", user_id="U2", channel_id=channel)
    [filled] = await bot.fake.wait_for("views.update")
    values = {Block.UPDATE_TEXT: {Field.VALUE: {"type": "plain_text_input", "value": "  "}}}
    status, body, _ = await bot.interaction(bot.fake.view_submission_payload("U2", filled.params["view"], values))
    assert body["response_action"] == "errors" and Block.UPDATE_TEXT in body["errors"]


async def test_a_due_reminder_offers_a_post_update_button(declared: tuple[Bot, FakeClock, str]) -> None:
    bot, clock, channel = declared
    clock.advance(minutes=16)
    await bot.warroom.services.timers.dispatch_due()
    [reminder] = await bot.fake.wait_for("chat.postMessage", lambda c: "is due" in str(c.params.get("text")))
    assert reminder.params["channel"] == channel
    assert reminder.params["blocks"][1]["elements"][0]["action_id"] == "post_update"


async def test_snoozing_a_due_reminder_holds_it_and_is_recorded(declared: tuple[Bot, FakeClock, str]) -> None:
    bot, clock, channel = declared
    clock.advance(minutes=16)
    await bot.warroom.services.timers.dispatch_due()
    [reminder] = await bot.fake.wait_for("chat.postMessage", lambda c: "is due" in str(c.params.get("text")))
    snooze = reminder.params["blocks"][1]["elements"][1]
    await bot.interaction(bot.fake.block_action_payload("U2", channel, reminder.response["ts"], snooze))
    await bot.fake.wait_for_response(lambda r: "snoozed for 15 min" in r["body"].get("text", ""))
    await bot.settled()
    team = bot.fake.state.team_id
    incident = await bot.warroom.incidents.for_channel(team, channel)
    assert incident.snoozed_until == T0 + timedelta(minutes=31)
    async with bot.warroom.services.incidents._uow() as uow:  # noqa: SLF001 - the stored timers
        timers = await uow.timers.for_incident(team, incident.id)  # type: ignore[arg-type]
    assert [t.due_at for t in timers if t.kind.value == "update_due" and t.state == "pending"] == [
        T0 + timedelta(minutes=31)]
