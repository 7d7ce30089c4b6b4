"""The database goes away mid-run: people are told "not saved" with a ref, /health says degraded,
and once it is back Warroom carries on by itself, with exactly what people were told was saved."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool
from structlog.testing import capture_logs

from bot.standin import FakeSlack
from handlers.ids import Action, Block
from store.engine import create_engine, session_factory
from store.uow import SqlUnitOfWork
from tests.e2e.harness import Bot, running_bot
from tests.e2e.scenario import People
from tests.pgcluster import PgCluster, throwaway_cluster

NOT_SAVED = re.compile(r":warning: Not saved: the database is unreachable\. Try again in a minute\. \(ref ([0-9a-f]{8})\)")
SAVED = "Added to the timeline"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    with throwaway_cluster() as running:
        yield running


async def _declare(bot: Bot) -> tuple[str, str]:
    await bot.command("declare sev2 Imports failing", user_id="U1")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    channel = str(bot.fake.calls_to("conversations.create")[0].response["channel"]["id"])
    [card] = await bot.fake.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)
    return channel, str(card.response["ts"])


async def _note(bot: Bot, channel: str, text: str, *, settle: bool = True) -> None:
    status, _, _ = await bot.command(f"note {text}", user_id="U3", channel_id=channel)
    assert status == 200
    if settle:  # settling asks the database too: not while it is away
        await bot.settled()


def _answers(bot: Bot, pattern: str | re.Pattern[str]) -> list[dict[str, object]]:
    return [r["body"] for r in bot.fake.responses if re.search(pattern, str(r["body"].get("text", "")))]


async def _refusals(bot: Bot, count: int, seconds: float = 10.0) -> list[dict[str, object]]:
    """The "not saved" answers, once `count` of them arrived (polled with a deadline)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while len(_answers(bot, NOT_SAVED)) < count and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    return _answers(bot, NOT_SAVED)


async def _notes_on_the_timeline(bot: Bot, channel: str) -> list[str]:
    team = bot.fake.state.team_id
    async with SqlUnitOfWork(session_factory(bot.warroom.engine)) as uow:
        incident = await uow.incidents.get_by_channel(team, channel)
        assert incident is not None and incident.id is not None
        return [e.text for e in await uow.timeline.list_for(team, incident.id) if e.source == "command"]


async def _health(bot: Bot) -> tuple[int, dict[str, object]]:
    status, text = await bot.get("/health")
    return status, json.loads(text)


async def _healthy_within(bot: Bot, seconds: float) -> dict[str, object]:
    """/health once it says ok (polled; the pool reconnects on its own)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        status, body = await _health(bot)
        if status == 200 or asyncio.get_running_loop().time() > deadline:
            assert status == 200, body
            return body
        await asyncio.sleep(0.1)


async def test_postgresql_stopped_and_restarted_mid_run(cluster: PgCluster, fake_slack: FakeSlack,
                                                       tmp_path: Path) -> None:
    async with running_bot(fake_slack, await cluster.create_database(), tmp_path) as bot:
        channel, card = await _declare(bot)
        await _note(bot, channel, "before the outage")

        await cluster.stop()
        try:
            status, health = await _health(bot)
            assert status == 503 and health["status"] == "degraded"
            database = health["checks"]["database"]  # type: ignore[index]
            assert database["status"] == "fail" and database["detail"].startswith("unreachable")
            with capture_logs() as logs:
                await _note(bot, channel, "during the outage", settle=False)
                await People(bot).click("U1", channel, card, {
                    "type": "static_select", "action_id": Action.CARD_STATUS, "block_id": Block.CARD_ACTIONS,
                    "selected_option": {"value": "identified"}})
                refusals = await _refusals(bot, 2)
        finally:
            await cluster.start()

        assert len(refusals) == 2 and all(r["response_type"] == "ephemeral" for r in refusals)
        refs = {NOT_SAVED.search(str(r["text"])).group(1) for r in refusals}  # type: ignore[union-attr]
        assert refs <= {e.get("ref") for e in logs if e["event"] == "infrastructure_error"} and len(refs) == 2

        assert (await _healthy_within(bot, 10.0))["status"] == "ok"
        await _note(bot, channel, "after the outage")
        assert len(_answers(bot, SAVED)) == 2
        assert await _notes_on_the_timeline(bot, channel) == ["before the outage", "after the outage"]
        incident = await bot.warroom.incidents.for_channel(bot.fake.state.team_id, channel)
        assert incident.status == "investigating"


async def test_a_sqlite_file_that_cannot_be_opened_gets_not_saved_until_it_can(fake_slack: FakeSlack,
                                                                                tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    url = f"sqlite+aiosqlite:///{folder / 'warroom.db'}"
    # No pool: every transaction opens the file, as the next one does after a connection is lost
    # (an open SQLite connection keeps working on the file it has, wherever it moved).
    async with running_bot(fake_slack, url, tmp_path, engine=create_engine(url, poolclass=NullPool)) as bot:
        channel, _ = await _declare(bot)
        await _note(bot, channel, "before")
        folder.rename(tmp_path / "moved")
        folder.write_text("in the way")  # a file where the folder was stops even root, unlike chmod
        try:
            await _note(bot, channel, "while unusable", settle=False)
            refusals = await _refusals(bot, 1)
            assert (await _health(bot))[0] == 503
        finally:
            folder.unlink()
            (tmp_path / "moved").rename(folder)

        [refusal] = refusals
        assert refusal["response_type"] == "ephemeral"
        await _note(bot, channel, "after")
        assert await _notes_on_the_timeline(bot, channel) == ["before", "after"]
