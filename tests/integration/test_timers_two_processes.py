"""Two `warroom serve` processes on one PostgreSQL database: 500 reminders due at once, each sent once."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from bot.standin import FakeSlack
from tests.databases import fresh_database
from tests.integration.timer_processes import key, reminder, seed, settled_states, start_bot

INCIDENTS = 250  # each has an update reminder and a response-target alert due: 500 messages


async def test_two_processes_send_each_of_500_due_reminders_exactly_once(fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        await seed(url, INCIDENTS, fake_slack)
        procs = [await start_bot(fake_slack, url, tmp_path) for _ in range(2)]
        try:
            await fake_slack.wait_for("chat.postMessage", reminder, count=2 * INCIDENTS, timeout=90)
            states = await settled_states(url)
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
