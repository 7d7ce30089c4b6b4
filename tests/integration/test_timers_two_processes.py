"""Two `warroom serve` processes on one PostgreSQL database: 500 reminders due at once, each sent once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.app import build_services
from bot.config import load_policy
from bot.services.incidents import DeclareRequest
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.uow import SqlUnitOfWork
from tests.databases import fresh_database
from tests.fakes import FakeChat, FakeClock, FakeDirectory, FakeRunbookChat, FakeStepRunner
from tests.fakeslack import FakeSlack

INCIDENTS = 250  # each has an update reminder and a response-target alert due: 500 messages


_KEY = re.compile(r"(INC-\d+)")


def reminder(call: Any) -> bool:
    """A reminder as posted in the incident channel (copies to other channels end with a link back)."""
    body = str(call.params.get("text", ""))
    return call.params.get("channel") == "CANNOUNCE" and "INC-" in body and not body.endswith("<#CANNOUNCE>")


def key(call: Any) -> tuple[str, str]:
    """(incident, kind) of a reminder: the same pair twice would be a duplicate, whatever its wording."""
    body = str(call.params["text"])
    match = _KEY.search(body)
    assert match, body
    return match.group(1), "update" if "status update" in body else "response"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _seed(url: str) -> None:
    """Incidents declared 16 minutes ago, in the fake's #incidents channel, so their timers are due now."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        clock = FakeClock(datetime.now(UTC) - timedelta(minutes=16))
        services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=FakeChat(), clock=clock,
                                  policy=load_policy(None), directory=FakeDirectory(),
                                  runbook_chat=FakeRunbookChat(), runner=FakeStepRunner(), catalog={})
        for n in range(INCIDENTS):
            await services.incidents.declare(DeclareRequest(team_id="T0001", user_id="U1", severity="sev1",
                                                            title=f"Reminder load {n:03d}"), force=True)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE incident SET channel_id = 'CANNOUNCE'"))
    finally:
        await engine.dispose()


async def _settled_states(url: str, deadline_seconds: float = 15.0) -> dict[str, int]:
    """Timer states once no timer is mid-send (the last post lands just before its row is marked sent)."""
    engine = create_engine(url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_seconds
    try:
        while True:
            async with engine.connect() as conn:
                states = dict((await conn.execute(text(
                    "SELECT state, count(*) FROM timer WHERE due_at <= now() GROUP BY state"))).all())
            if "sending" not in states or loop.time() > deadline:
                return states
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def test_two_processes_send_each_of_500_due_reminders_exactly_once(fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        await _seed(url)
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        env.update(SLACK_BOT_TOKEN=fake_slack.bot_token, SLACK_SIGNING_SECRET="s3cret-signing",
                   SLACK_API_URL=fake_slack.api_url, DATABASE_URL=url, LOG_LEVEL="info")
        procs = [await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", cwd=tmp_path,
                                                      env={**env, "PORT": str(_free_port())},
                                                      stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
                 for _ in range(2)]
        try:
            await fake_slack.wait_for("chat.postMessage", reminder, count=2 * INCIDENTS, timeout=90)
            states = await _settled_states(url)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            errors = [(await proc.communicate())[1].decode() for proc in procs]
        sent = Counter(key(c) for c in fake_slack.calls_to("chat.postMessage") if reminder(c))
        assert len(sent) == 2 * INCIDENTS, errors
        assert set(sent.values()) == {1}, [k for k, n in sent.items() if n > 1][:3]
        assert states == {"sent": 2 * INCIDENTS}
        shares = [log.count('"event": "timer_sent"') for log in errors]
        assert sum(shares) == 2 * INCIDENTS, shares
