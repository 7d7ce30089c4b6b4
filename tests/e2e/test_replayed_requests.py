"""A captured signed request sent again inside Slack's five minutes is a replay: refused, explained, logged.

Slack never resends a slash command or a view submission, so the same signed body twice is someone else's doing.
The record is in the database, like events and clicks: a restart does not forget it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from structlog.testing import capture_logs

from bot.standin import FakeSlack
from bot.standin.signing import signed_headers
from handlers.ids import Block, Field
from tests.e2e.harness import SIGNING_SECRET, Bot, running_bot

REPLAY = "already received"


async def _post(bot: Bot, body: str, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(bot.events_url, data=body.encode(),
                                                                 headers=headers) as resp:
        return resp.status, await resp.text()


async def _declared(bot: Bot) -> str:
    await bot.command("declare sev2 Imports failing", user_id="U1")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await bot.settled()
    return str(bot.fake.calls_to("conversations.create")[0].response["channel"]["id"])


async def _notes(bot: Bot, channel: str) -> list[str]:
    team = bot.fake.state.team_id
    incident = await bot.warroom.incidents.for_channel(team, channel)
    return [e.text for e in await bot.warroom.incidents.timeline(team, incident.id)  # type: ignore[arg-type]
            if e.source == "command"]


def _captured_note(fake: FakeSlack, channel: str, text: str) -> tuple[str, dict[str, str]]:
    """A signed `/incident note` as someone on the path would have captured it: body and headers."""
    body = urlencode(fake.command_payload(text=f"note {text}", user_id="U3", channel_id=channel))
    return body, signed_headers(SIGNING_SECRET, body)


async def test_a_replayed_slash_command_is_refused_does_nothing_and_is_logged_also_after_a_restart(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    async with running_bot(fake_slack, url, tmp_path) as bot:
        channel = await _declared(bot)
        body, headers = _captured_note(fake_slack, channel, "Rolled back the importer")
        assert (await _post(bot, body, headers))[0] == 200
        await bot.settled()
        with capture_logs() as logs:
            replies = [await _post(bot, body, headers) for _ in range(2)]
            await bot.settled()
        assert [status for status, _ in replies] == [200, 200]
        for _, text in replies:
            answer = json.loads(text)
            assert answer["response_type"] == "ephemeral" and REPLAY in answer["text"]
        assert await _notes(bot, channel) == ["Rolled back the importer"]
        refused = [e for e in logs if e["event"] == "replay_refused"]
        assert len(refused) == 2 and all(e["kind"] == "command" and "exc_info" not in e for e in refused)
        # The same words sent again by the person (a new delivery) are a new note, not a replay.
        await bot.command("note Rolled back the importer", user_id="U3", channel_id=channel)
        await bot.settled()
        assert await _notes(bot, channel) == ["Rolled back the importer"] * 2

    async with running_bot(fake_slack, url, tmp_path) as restarted:
        status, text = await _post(restarted, body, headers)
        await restarted.settled()
        assert status == 200 and REPLAY in json.loads(text)["text"]
        assert await _notes(restarted, channel) == ["Rolled back the importer"] * 2


async def _update_form(bot: Bot, channel: str) -> dict[str, Any]:
    """Open the status update form; the view as Slack holds it."""
    await bot.command("update", user_id="U2", channel_id=channel)
    [opened] = await bot.fake.wait_for("views.open")
    [filled] = await bot.fake.wait_for("views.update")
    return {**filled.params["view"], "id": opened.response["view"]["id"]}


def _status_updates(bot: Bot) -> int:
    return len([c for c in bot.fake.calls_to("chat.postMessage") if "Status update" in str(c.params.get("text"))])


async def test_a_replayed_view_submission_is_refused_and_posts_nothing_more(bot: Bot) -> None:
    channel = await _declared(bot)
    view = await _update_form(bot, channel)
    values = {Block.UPDATE_TEXT: {Field.VALUE: {"type": "plain_text_input", "value": "Imports paused."}}}
    body = urlencode({"payload": json.dumps(bot.fake.view_submission_payload("U2", view, values))})
    headers = signed_headers(SIGNING_SECRET, body)
    assert (await _post(bot, body, headers)) == (200, "")
    await bot.settled()
    posted = _status_updates(bot)
    assert posted >= 1
    with capture_logs() as logs:
        status, text = await _post(bot, body, headers)
        await bot.settled()
    assert status == 409 and REPLAY in text
    assert [e["kind"] for e in logs if e["event"] == "replay_refused"] == ["view_submission"]
    assert _status_updates(bot) == posted
