"""Run real `warroom serve` processes against the fake Slack and one PostgreSQL database, for timer tests."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.app import build_services
from bot.config import load_policy
from bot.services.declaration import DeclareRequest
from bot.standin import FakeSlack
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.uow import SqlUnitOfWork
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner

_KEY = re.compile(r"(INC-\d+)")


def reminder(call: Any) -> bool:
    """A reminder as posted in its incident's channel (copies go to #incidents, by name)."""
    body, channel = str(call.params.get("text", "")), str(call.params.get("channel", ""))
    return channel.startswith("CINC") and "INC-" in body


def key(call: Any) -> tuple[str, str]:
    """(incident, kind) of a reminder: the same pair twice would be a duplicate, whatever its wording."""
    body = str(call.params["text"])
    match = _KEY.search(body)
    assert match, body
    return match.group(1), "update" if "status update" in body else "response"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(url: str, count: int, fake: FakeSlack, *, due_in: timedelta = timedelta(0), first: int = 0) -> None:
    """`count` SEV1 incidents, each with a channel of its own in the fake (Slack paces messages per
    channel), whose update reminder and response-target alert fall due `due_in` from now."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        clock = FakeClock(datetime.now(UTC) - timedelta(minutes=15) + due_in)
        services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=FakeChat(), clock=clock,
                                  policy=load_policy(None), directory=FakeDirectory(),
                                  runbook_chat=FakeRunbookChat(), runner=FakeStepRunner(), catalog={})
        for n in range(first, first + count):
            await services.incidents.declare(DeclareRequest(team_id="T0001", user_id="U1", severity="sev1",
                                                            title=f"Reminder load {n:03d}"), force=True)
        async with engine.begin() as conn:
            for n in range(first + 1, first + count + 1):
                channel = fake.state.add_channel(f"inc-{n}-reminder-load", f"CINC{n:05d}")["id"]
                await conn.execute(text("UPDATE incident SET channel_id = :c WHERE number = :n"), {"c": channel, "n": n})
    finally:
        await engine.dispose()


async def sent_count(url: str) -> int:
    """Timers marked sent (each one's message queued in the outbox in the same transaction)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM timer WHERE state = 'sent'"))).scalar_one())
    finally:
        await engine.dispose()


async def settled_states(url: str, deadline_seconds: float = 15.0) -> dict[str, int]:
    """Timer states once no timer is mid-send (the last post lands just before its row is marked sent)."""
    engine = create_engine(url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_seconds
    try:
        while True:
            async with engine.connect() as conn:
                rows = (await conn.execute(text(
                    "SELECT state, count(*) FROM timer WHERE due_at <= now() GROUP BY state"))).all()
            states: dict[str, int] = {state: count for state, count in rows}
            if "sending" not in states or loop.time() > deadline:
                return states
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()




def bot_env(fake: FakeSlack, url: str) -> dict[str, str]:
    """Only what `warroom serve` needs: the fake Slack, the database, info logs."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(SLACK_BOT_TOKEN=fake.bot_token, SLACK_SIGNING_SECRET="s3cret-signing", SLACK_API_URL=fake.api_url,
               DATABASE_URL=url, LOG_LEVEL="info", PORT=str(free_port()))
    return env


async def start_bot(fake: FakeSlack, url: str, cwd: Path) -> asyncio.subprocess.Process:
    """A `warroom serve` process."""
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", cwd=cwd, env=bot_env(fake, url),
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
