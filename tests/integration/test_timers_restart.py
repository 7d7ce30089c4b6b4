"""SIGKILL with reminders pending, restart: every reminder is sent exactly once, none lost."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bot.standin import FakeSlack
from tests.databases import fresh_database
from tests.integration.timer_processes import (
    key,
    reminder,
    seed,
    sent_count,
    settled_states,
    start_bot,
)

NOW, LATER = 40, 40  # incidents whose reminders are due at once, and a while later
# Long enough that the later reminders are still pending when the first bot is killed, even on a
# loaded 2-core machine (at 8 s they had fallen due before the kill in a slow run).
LATER_IN = timedelta(seconds=20)


async def test_a_killed_bot_restarted_sends_every_pending_reminder_once(fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        await seed(url, NOW, fake_slack)
        await seed(url, LATER, fake_slack, due_in=LATER_IN, first=NOW)
        first = await start_bot(fake_slack, url, tmp_path)
        try:
            await fake_slack.wait_for("chat.postMessage", reminder, count=2 * NOW, timeout=60)
            assert (await settled_states(url)).get("sent") == 2 * NOW  # nothing mid-send when it dies
        finally:  # killed whatever happens: a failed check must not leave a bot running
            first.send_signal(signal.SIGKILL)
            await first.wait()
        assert await sent_count(url) == 2 * NOW  # the later ones are still pending, in the database

        second = await start_bot(fake_slack, url, tmp_path)
        try:
            await fake_slack.wait_for("chat.postMessage", reminder, count=2 * (NOW + LATER), timeout=60)
            states = await settled_states(url)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.communicate()
        sent = Counter(key(c) for c in fake_slack.calls_to("chat.postMessage") if reminder(c))
        assert len(sent) == 2 * (NOW + LATER) and set(sent.values()) == {1}
        assert states.get("sent") == 2 * (NOW + LATER) and "pending" not in states
