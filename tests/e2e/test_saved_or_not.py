"""When the database fails partway through a request, people are told "not saved" only when nothing was.

The database fails for one kind of statement only (writing the incident's timers, queueing the
runbook suggestion or the review). Each is part of the change's one transaction, so nothing of the
change is saved, and people are told so.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.standin import FakeSlack
from store.engine import create_engine
from tests.e2e.harness import Bot, running_bot
from tests.e2e.scenario import People

NOT_SAVED = re.compile(r":warning: Not saved: the database is unreachable\. Try again in a minute\. \(ref [0-9a-f]{8}\)")
TIMERS = re.compile(r"\btimer\b")


class Fault:
    """Fails the statements `matches` picks, as a database that went away would, while armed."""

    def __init__(self, engine: AsyncEngine, matches: Callable[[str, Any], bool]) -> None:
        self.armed = False
        self.failed = 0

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _fail(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            if self.armed and matches(statement, parameters):
                self.failed += 1
                raise ConnectionResetError("the database went away")


async def _answer(bot: Bot, seconds: float = 10.0) -> str:
    """The one ephemeral answer to the request just sent (polled with a deadline)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not bot.fake.responses:
        assert asyncio.get_running_loop().time() < deadline, "no answer"
        await asyncio.sleep(0.02)
    [response] = bot.fake.responses
    return str(response["body"].get("text", ""))


async def _declared(bot: Bot) -> str:
    await bot.command("declare sev2 Imports failing", user_id="U1")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await bot.settled()
    bot.fake.responses.clear()
    return str(bot.fake.calls_to("conversations.create")[0].response["channel"]["id"])


async def test_a_status_change_whose_timers_cannot_be_written_is_not_saved_and_says_so(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    engine = create_engine(url)
    fault = Fault(engine, lambda statement, _: bool(TIMERS.search(statement)))
    async with running_bot(fake_slack, url, tmp_path, engine=engine) as bot:
        channel = await _declared(bot)
        fault.armed = True
        await bot.command("status identified", user_id="U1", channel_id=channel)
        answer = await _answer(bot)
        fault.armed = False
        await bot.settled()

        assert fault.failed and NOT_SAVED.fullmatch(answer), answer
        incident = await bot.warroom.incidents.for_channel(fake_slack.state.team_id, channel)
        assert incident.status == "investigating"  # told "not saved": nothing was
        assert not [m for m in fake_slack.messages(channel) if "changed the status" in m.get("text", "")]


async def test_a_handover_whose_timers_cannot_be_written_is_not_saved_and_posts_no_summary(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    engine = create_engine(url)
    fault = Fault(engine, lambda statement, _: bool(TIMERS.search(statement)))
    async with running_bot(fake_slack, url, tmp_path, engine=engine) as bot:
        channel = await _declared(bot)
        posted = len(fake_slack.messages(channel))
        fault.armed = True
        await bot.command("handover <@U2>", user_id="U1", channel_id=channel)
        answer = await _answer(bot)
        fault.armed = False
        await bot.settled()

        assert fault.failed and NOT_SAVED.fullmatch(answer), answer
        incident = await bot.warroom.incidents.for_channel(fake_slack.state.team_id, channel)
        assert incident.roles.get("commander") != "U2"
        assert len(fake_slack.messages(channel)) == posted  # no handover summary for a handover that did not happen


async def test_a_declare_whose_runbook_suggestion_cannot_be_queued_is_not_saved_and_says_so(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    engine = create_engine(url)
    fault = Fault(engine, lambda statement, parameters: "outbox" in statement
                  and "Runbooks that may help" in str(parameters))
    async with running_bot(fake_slack, url, tmp_path, engine=engine) as bot:
        fault.armed = True
        await bot.command("declare sev2 Imports failing --service imports", user_id="U1")
        answer = await _answer(bot)
        fault.armed = False
        await bot.settled()

        assert fault.failed and NOT_SAVED.fullmatch(answer), answer
        assert await bot.warroom.services.incidents.list_open(fake_slack.state.team_id) == []
        [channel] = [c.response["channel"]["id"] for c in fake_slack.calls_to("conversations.create")]
        assert fake_slack.messages(channel) == [], "no card for an incident that was not saved"


async def test_a_resolve_whose_review_cannot_be_queued_is_not_saved_and_says_so(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    engine = create_engine(url)
    fault = Fault(engine, lambda statement, parameters: "outbox" in statement
                  and "post-incident review" in str(parameters))
    async with running_bot(fake_slack, url, tmp_path, engine=engine) as bot:
        channel = await _declared(bot)
        await bot.command("resolve", user_id="U1", channel_id=channel)
        [opened] = await fake_slack.wait_for("views.open")
        fault.armed = True
        await People(bot).submit_resolution("U1", opened.params["view"], "Rolled back", "Imports failed", "A bug")
        [told] = await fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == "U1")
        fault.armed = False
        await bot.settled()

        assert fault.failed and NOT_SAVED.fullmatch(str(told.params["text"])), told.params["text"]
        incident = await bot.warroom.incidents.for_channel(fake_slack.state.team_id, channel)
        assert incident.status == "investigating"  # told "not saved": nothing was
        assert not [m for m in fake_slack.messages(channel) if "changed the status" in m.get("text", "")]
