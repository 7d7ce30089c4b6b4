"""Property, end to end: for any title, summary, note, update and resolution people type, nothing the real app
sends Slack (every Web API call and response_url reply: message text, mrkdwn in blocks and views, topics) holds
a live `<!channel>`, `<!here>`, `<!everyone>` or a link whose label was user text.

The app and the Slack stand-in run on their own loop in a thread (as in test_http_fuzz.py); each example
declares through the form, adds a note by command (escaped as Slack escapes it), posts an update, lists,
pages the timeline and resolves (a duplicate prompt on the way is checked too, then declared anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from bot.standin import FakeSlack
from handlers.ids import Block, Callback, Field
from tests.e2e.harness import running_bot
from tests.markup import live_markup, mrkdwn_texts, outgoing_texts, slack_escaped
from tests.property.test_http_fuzz import Background
from tests.property.test_markup_is_data import hostile

FAST = {"WARROOM_CHANNEL_RATE": "50", "WARROOM_CHANNEL_BURST": "20"}
END_TO_END_RUNS = settings(max_examples=40, deadline=None, database=None, derandomize=True)
titles = hostile.map(lambda t: " ".join(t.split())[:120]).filter(bool)


class Busy(Background):
    """The background bot with the per-channel rate raised: an example posts a dozen messages at once."""

    async def _main(self, tmp_path: Path) -> None:
        async with FakeSlack() as fake, running_bot(fake, f"sqlite+aiosqlite:///{tmp_path / 'markup.db'}", tmp_path,
                                                    env=FAST) as bot:
            self.bot = bot
            self.ready.set()
            await self.stop.wait()


@pytest.fixture(scope="module")
def background(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    running = Busy(tmp_path_factory.mktemp("markup"))
    yield running
    running.close()


def _text_input(value: str) -> dict[str, Any]:
    return {Field.VALUE: {"type": "plain_text_input", "value": value or None}}


def outgoing_texts_of(body: dict[str, Any]) -> list[str]:
    """The mrkdwn of a view sent back in an ack (`response_action: update`)."""
    return list(mrkdwn_texts(body.get("view")))


async def _example(background: Background, title: str, summary: str, note: str, update: str) -> list[str]:
    """One incident from declare to resolve; returns the ack bodies' texts (replies in the HTTP response)."""
    bot, fake = background.bot, background.bot.fake
    acks: list[str] = []
    opened = len(fake.calls_to("views.open"))
    await bot.command("", user_id="U1")
    [*_, form] = await fake.wait_for("views.open", count=opened + 1)
    values = {Block.TITLE: _text_input(title), Block.SUMMARY: _text_input(summary), Block.SERVICE: _text_input(""),
              Block.SEVERITY: {Field.VALUE: {"type": "static_select", "selected_option": {
                  "value": "sev1", "text": {"type": "plain_text", "text": "sev1"}}}}}
    created = len(fake.calls_to("conversations.create"))
    status, body, _ = await bot.interaction(fake.view_submission_payload("U1", form.params["view"], values))
    assert status == 200
    if body:  # it looks like an open incident: the confirmation, then declare anyway
        assert body["response_action"] == "update", body
        acks += outgoing_texts_of(body)
        status, body, _ = await bot.interaction(fake.view_submission_payload("U1", body["view"], {}))
        assert status == 200 and not body, body
    [*_, create] = await fake.wait_for("conversations.create", count=created + 1)
    channel = str(create.response["channel"]["id"])
    await bot.settled()
    for command in (f"note {slack_escaped(note)}", "list", "timeline"):
        status, body, _ = await bot.command(command, user_id="U1", channel_id=channel)
        acks.append(str(body.get("text", "")) if isinstance(body, dict) else str(body))
        await bot.settled()
    updates = len(fake.calls_to("views.update"))
    await bot.command("update", user_id="U1", channel_id=channel)
    [*_, draft] = await fake.wait_for("views.update", count=updates + 1)
    payload = fake.view_submission_payload("U1", draft.params["view"], {Block.UPDATE_TEXT: _text_input(update)})
    assert (await bot.interaction(payload))[1] in ("", None, {})
    await bot.settled()
    resolves = len(fake.calls_to("views.open"))
    await bot.command("resolve", user_id="U1", channel_id=channel)
    [*_, resolve] = await fake.wait_for("views.open", lambda c: c.params["view"]["callback_id"] == Callback.RESOLVE,
                                        count=1 + sum(1 for c in fake.calls_to("views.open")[:resolves]
                                                      if c.params["view"]["callback_id"] == Callback.RESOLVE))
    values = {Block.RESOLUTION: _text_input(summary if summary.strip() else "Rolled back"), Block.IMPACT: _text_input(note),
              Block.ROOT_CAUSE: _text_input(title)}
    assert (await bot.interaction(fake.view_submission_payload("U1", resolve.params["view"], values)))[1] in ("", None, {})
    await bot.settled()
    return acks


@END_TO_END_RUNS
@given(title=titles, summary=hostile, note=hostile.filter(lambda t: t.strip()), update=hostile.filter(lambda t: t.strip()))
def test_nothing_sent_to_slack_holds_live_markup_from_user_text(background: Background, title: str, summary: str,
                                                                note: str, update: str) -> None:
    fake = background.bot.fake
    marks = len(fake.calls), len(fake.responses)
    acks = background.run(_example(background, title, summary, note, update))
    texts = outgoing_texts(fake, *marks) + acks
    assert len(texts) > 10, "every step of the example reached Slack"
    assert [(t[:200], live_markup(t)) for t in texts if live_markup(t)] == []
