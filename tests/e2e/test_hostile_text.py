"""Text people type is data: a NUL byte is refused before a channel exists, and Slack markup in a title,
summary, note or update reaches Slack escaped, never as a live mention or a disguised link.

Runs on SQLite and on PostgreSQL (which refuses NUL in text) against the Slack stand-in.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.standin import FakeSlack
from handlers.ids import Block, Callback, Field
from tests.e2e.harness import Bot, running_bot
from tests.e2e.scenario import People
from tests.markup import live_markup, outgoing_texts, slack_escaped

HOSTILE = "<!channel> <!here> <!everyone> <@U0BOSS> <https://evil.example|https://status.example.com> & co"


@pytest.fixture
async def bot(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_slack, database_url, tmp_path) as running:
        yield running


def _form(title: str, summary: str = "") -> dict[str, Any]:
    def text(value: str) -> dict[str, Any]:
        return {Field.VALUE: {"type": "plain_text_input", "value": value or None}}

    return {Block.TITLE: text(title), Block.SERVICE: text(""), Block.SUMMARY: text(summary),
            Block.SEVERITY: {Field.VALUE: {"type": "static_select", "selected_option": {
                "value": "sev1", "text": {"type": "plain_text", "text": "sev1"}}}}}


async def _open_form(bot: Bot, user: str = "U1") -> dict[str, Any]:
    status, _, _ = await bot.command("", user_id=user)
    assert status == 200
    [*_, opened] = await bot.fake.wait_for("views.open")
    return dict(opened.params["view"])


async def test_a_nul_byte_in_the_declare_form_is_a_field_error_and_creates_no_channel(bot: Bot) -> None:
    view = await _open_form(bot)
    status, body, _ = await bot.interaction(bot.fake.view_submission_payload("U1", view, _form("Imports\x00failing")))
    assert status == 200 and body["response_action"] == "errors"
    assert body["errors"] == {Block.TITLE: "The title contains a control character (U+0000); remove it and try again."}
    await bot.settled()
    assert bot.fake.calls_to("conversations.create") == []


async def test_a_nul_byte_in_a_declare_command_is_refused_in_the_ack_and_creates_no_channel(bot: Bot) -> None:
    status, body, _ = await bot.command("declare sev1 Imports\x00failing", user_id="U1")
    assert status == 200 and "control character (U+0000)" in body["text"]
    await bot.settled()
    assert bot.fake.calls_to("conversations.create") == []
    # The next incident is INC-1: no number was used up.
    await bot.command("declare sev1 Imports failing", user_id="U1")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))


async def test_a_nul_byte_in_the_resolve_form_is_a_field_error(bot: Bot) -> None:
    await bot.command("declare sev1 Imports failing", user_id="U1")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    channel = str(bot.fake.calls_to("conversations.create")[0].response["channel"]["id"])
    await bot.command("resolve", user_id="U1", channel_id=channel)
    [*_, opened] = await bot.fake.wait_for("views.open", lambda c: c.params["view"]["callback_id"] == Callback.RESOLVE)
    values = {b: {Field.VALUE: {"type": "plain_text_input", "value": v}}
              for b, v in ((Block.RESOLUTION, "Rolled back\x00"), (Block.IMPACT, "None"), (Block.ROOT_CAUSE, ""))}
    status, body, _ = await bot.interaction(bot.fake.view_submission_payload("U1", opened.params["view"], values))
    assert status == 200 and list(body["errors"]) == [Block.RESOLUTION]
    assert "control character (U+0000)" in body["errors"][Block.RESOLUTION]


async def test_slack_markup_in_a_title_summary_note_and_update_goes_out_as_data(bot: Bot) -> None:
    fake, people = bot.fake, People(bot)
    view = await _open_form(bot)
    status, body, _ = await bot.interaction(fake.view_submission_payload("U1", view, _form(HOSTILE[:120], HOSTILE)))
    assert status == 200 and not body
    [create] = await fake.wait_for("conversations.create")
    channel = str(create.response["channel"]["id"])
    await bot.settled()
    for text in (f"note {slack_escaped(HOSTILE)}", "severity sev2", "timeline", "list"):
        status, _, _ = await bot.command(text, user_id="U1", channel_id=channel)
        assert status == 200
        await bot.settled()
    await bot.command("update", user_id="U1", channel_id=channel)
    [*_, form] = await fake.wait_for("views.update")
    update = {Block.UPDATE_TEXT: {Field.VALUE: {"type": "plain_text_input", "value": HOSTILE}}}
    status, body, _ = await bot.interaction(fake.view_submission_payload("U1", form.params["view"], update))
    assert status == 200 and not body
    await bot.settled()
    await people.submit_resolution("U1", (await _resolve_form(bot, channel)), HOSTILE, HOSTILE, HOSTILE)
    await bot.settled()

    texts = outgoing_texts(fake)
    assert [t for t in texts if live_markup(t)] == []
    shown = "&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;@U0BOSS&gt;"
    assert any(shown in t for t in texts), "the title is shown as typed"
    card = fake.calls_to("chat.postMessage")[0].params
    assert "&lt;https://evil.example|https://status.example.com&gt; &amp; co" in json.dumps(card["blocks"])
    assert "&amp;amp;" not in json.dumps(texts) and "&amp;lt;" not in json.dumps(texts), "escaped exactly once"
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
    assert incident.title == HOSTILE[:120] and incident.summary == HOSTILE


async def _resolve_form(bot: Bot, channel: str) -> dict[str, Any]:
    await bot.command("resolve", user_id="U1", channel_id=channel)
    [*_, opened] = await bot.fake.wait_for("views.open", lambda c: c.params["view"]["callback_id"] == Callback.RESOLVE)
    return dict(opened.params["view"])
