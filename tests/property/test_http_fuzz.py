"""Property: any signed command text or interaction payload sent to the real app over HTTP gets a clean answer.

Never a 5xx, never Bolt's unhandled-request error, never the ":boom: Something went wrong" reply that marks an
unexpected exception. The bot and the fake Slack run on their own event loop in a thread, so Hypothesis drives them
from an ordinary test function (a few hundred examples: each is a real HTTP round trip).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.standin import FakeSlack
from handlers.ids import Action, Block, Callback
from tests.e2e.harness import Bot, running_bot
from tests.property.strategies import digits, json_values, mutated
from tests.property.test_command_parser import command_texts

HTTP_RUNS = settings(max_examples=300, deadline=None, database=None, derandomize=True)
UNHANDLED = "Something went wrong"


class Background:
    """A bot and its fake Slack on an event loop of their own."""

    def __init__(self, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready, self.stop = threading.Event(), asyncio.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(tmp_path),), daemon=True)
        self.thread.start()
        assert self.ready.wait(30), "the bot did not start"

    async def _main(self, tmp_path: Path) -> None:
        async with FakeSlack() as fake, running_bot(fake, f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}",
                                                    tmp_path) as bot:
            self.bot = bot
            await bot.command("declare sev2 Fuzzing target", user_id="U1")
            await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
            self.channel = str(fake.calls_to("conversations.create")[0].response["channel"]["id"])
            self.ready.set()
            await self.stop.wait()

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)
        self.loop.close()


@pytest.fixture(scope="module")
def background(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    running = Background(tmp_path_factory.mktemp("fuzz"))
    yield running
    running.close()


def _answered_cleanly(background: Background, send: Coroutine[Any, Any, tuple[int, Any, float]]) -> None:
    fake = background.bot.fake
    seen = len(fake.responses), len(fake.calls)
    status, body, _ = background.run(send)
    assert status < 500, (status, body)
    background.run(background.bot.settled(20))
    replies = [json.dumps(r["body"]) for r in fake.responses[seen[0]:]] + [str(c.params) for c in fake.calls[seen[1]:]]
    assert not [r for r in replies if UNHANDLED in r], "an unexpected error was reported"


action_ids = st.sampled_from([*Action, Action.ROLE_SELECT + "commander", Action.TAKE_ROLE + "scribe", "unknown"])
actions = st.fixed_dictionaries({"action_id": action_ids, "block_id": st.sampled_from([*Block, "x"])},
                                optional={"value": st.one_of(st.text(max_size=30), digits, json_values.map(json.dumps)),
                                          "selected_option": st.fixed_dictionaries({"value": st.text(max_size=20)}),
                                          "selected_user": st.text(max_size=12)})
views = st.fixed_dictionaries({"callback_id": st.sampled_from([*Callback, "unknown"]),
                               "private_metadata": st.one_of(st.text(max_size=40), json_values.map(json.dumps))})


@HTTP_RUNS
@given(text=command_texts)
def test_any_command_text_over_http_gets_a_clean_answer(background: Background, text: str) -> None:
    bot: Bot = background.bot
    _answered_cleanly(background, bot.command(text, user_id="U1", channel_id=background.channel))


@HTTP_RUNS
@given(kind=st.sampled_from(["action", "view"]), action=actions, view=views, data=st.data())
def test_any_interaction_payload_over_http_gets_a_clean_answer(background: Background, kind: str,
                                                              action: dict[str, Any], view: dict[str, Any],
                                                              data: st.DataObject) -> None:
    fake = background.bot.fake
    if kind == "action":
        payload = fake.block_action_payload("U1", background.channel, "1700000000.000100", action)
    else:
        values = {b: {"value": {"type": "plain_text_input", "value": "x"}} for b in Block}
        payload = fake.view_submission_payload("U1", view, values)
    payload = data.draw(st.one_of(st.just(payload), mutated({k: v for k, v in payload.items() if k != "message"})))
    _answered_cleanly(background, background.bot.interaction(payload))
