"""The status page in Slack: the page's form from the update command and the reminder's button, a preview that
only the comms lead or commander publishes, Discard, and `/incident statuspage private`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.standin import FakeSlack
from handlers.ids import Action, Block, Callback, Field
from tests.e2e.harness import Bot, declared_incident
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.fixture
async def sev1(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[tuple[Bot, FakeClock, str]]:
    (tmp_path / "warroom.yaml").write_text(yaml.safe_dump({
        "services": [{"id": "imports", "status_component": "Imports"}],
        "status_page": {"dir": str(tmp_path / "site"), "name": "DepositMatch"}}))
    clock = FakeClock(T0)
    async with declared_incident(fake_slack, tmp_path, clock, "declare sev1 Imports failing --service imports") as (
            bot, channel):
        yield bot, clock, channel


async def _page_form(bot: Bot, channel: str, user: str = "U2") -> tuple[Any, Any]:
    await bot.command("update status_page", user_id=user, channel_id=channel)
    opened = (await bot.fake.wait_for("views.open"))[-1]
    filled = (await bot.fake.wait_for("views.update"))[-1]
    return opened, filled


def _values(text: str, title: str) -> dict[str, Any]:
    return {Block.UPDATE_TEXT: {Field.VALUE: {"type": "plain_text_input", "value": text}},
            Block.PUBLIC_TITLE: {Field.VALUE: {"type": "plain_text_input", "value": title}},
            Block.PAGE_STATUS: {Field.VALUE: {"type": "static_select", "selected_option": {
                "text": {"type": "plain_text", "text": "Identified"}, "value": "identified"}}}}


async def _preview(bot: Bot, channel: str) -> Any:
    opened, filled = await _page_form(bot, channel)
    view = {**filled.params["view"], "id": opened.response["view"]["id"]}
    status, body, _ = await bot.interaction(bot.fake.view_submission_payload("U2", view, _values("Fixing.", "Delays")))
    assert status == 200 and not body
    [preview] = await bot.fake.wait_for("chat.postMessage", lambda c: "waiting for confirmation" in
                                        str(c.params.get("text")))
    return preview


async def test_the_reminders_button_opens_the_page_form_when_the_severity_requires_it(
        sev1: tuple[Bot, FakeClock, str]) -> None:
    bot, clock, channel = sev1
    clock.advance(minutes=16)
    await bot.warroom.services.timers.dispatch_due()
    [reminder] = await bot.fake.wait_for("chat.postMessage", lambda c: "is due" in str(c.params.get("text")))
    button = reminder.params["blocks"][1]["elements"][0]
    await bot.interaction(bot.fake.block_action_payload("U2", channel, reminder.response["ts"], button))
    [filled] = await bot.fake.wait_for("views.update")
    assert filled.params["view"]["callback_id"] == Callback.PAGE_UPDATE
    assert "Imports failing" not in str(filled.params["view"])  # the internal title is not offered


async def test_the_public_title_is_asked_inline_and_a_bystander_cannot_publish(sev1: tuple[Bot, FakeClock, str]) -> None:
    bot, _, channel = sev1
    opened, filled = await _page_form(bot, channel)
    view = {**filled.params["view"], "id": opened.response["view"]["id"]}
    _, body, _ = await bot.interaction(bot.fake.view_submission_payload("U2", view, _values("Fixing.", " ")))
    assert body["response_action"] == "errors" and Block.PUBLIC_TITLE in body["errors"]

    preview = await _preview(bot, channel)
    assert "*Delays*" in str(preview.params["blocks"]) and "<@U1>" in str(preview.params["blocks"])
    publish, discard = preview.params["blocks"][-1]["elements"]
    assert (publish["action_id"], discard["action_id"]) == (Action.PAGE_PUBLISH, Action.PAGE_DISCARD)
    await bot.interaction(bot.fake.block_action_payload("U3", channel, preview.response["ts"], publish))
    refusal = await bot.fake.wait_for_response(lambda r: "may publish to the status page" in r["body"].get("text", ""))
    assert "communications lead, the incident commander" in refusal["body"]["text"]
    await bot.interaction(bot.fake.block_action_payload("U1", channel, preview.response["ts"], discard))
    await bot.fake.wait_for_response(lambda r: "Discarded" in str(r["body"].get("blocks")))
    await bot.settled()
    assert bot.warroom.services.status_page.site.publishing
    assert (await bot.warroom.services.status_page.site.page()).incidents == ()


async def test_a_private_incident_gets_the_slack_form_and_never_the_page(sev1: tuple[Bot, FakeClock, str]) -> None:
    bot, _, channel = sev1
    await bot.command("statuspage private", user_id="U1", channel_id=channel)
    await bot.fake.wait_for_response(lambda r: "never appears on the status page" in r["body"].get("text", ""))
    _, filled = await _page_form(bot, channel)
    assert filled.params["view"]["callback_id"] == Callback.STATUS_UPDATE  # posted in Slack only
    await bot.command("statuspage private", user_id="U3", channel_id=channel)
    await bot.fake.wait_for_response(lambda r: "may publish to the status page" in r["body"].get("text", ""))


async def test_statuspage_says_where_the_incident_stands_with_the_page(sev1: tuple[Bot, FakeClock, str]) -> None:
    bot, clock, channel = sev1
    _, ack, _ = await bot.command("statuspage", user_id="U2", channel_id=channel)
    assert "not on the status page" in ack["text"] and "required" in ack["text"]
    preview = await _preview(bot, channel)
    publish = preview.params["blocks"][-1]["elements"][0]
    clock.advance(minutes=2)
    await bot.interaction(bot.fake.block_action_payload("U1", channel, preview.response["ts"], publish))
    await bot.fake.wait_for_response(lambda r: "Published on the status page" in str(r["body"].get("blocks")))
    _, ack, _ = await bot.command("statuspage", user_id="U2", channel_id=channel)
    assert ack["text"] == ("INC-1 is on the status page as *Delays*: last update identified at 2026-11-22 14:02 UTC; "
                           "the next one is expected by 2026-11-22 14:17 UTC.")
