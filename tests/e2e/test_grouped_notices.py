"""Many incidents needing the same notice in one shared channel: the channel hears one message naming
them all, while each incident's own channel still gets its own reminder (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.domain.outbox import CallState
from bot.standin import FakeSlack
from tests.e2e.harness import running_bot
from tests.fakes.clock import FakeClock

FAST = {"WARROOM_CHANNEL_RATE": "20", "WARROOM_CHANNEL_BURST": "4"}


async def test_three_incidents_without_a_commander_are_one_message_in_the_announcements_channel(
        fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> None:
    (tmp_path / "warroom.yaml").write_text('announcements_channel: "#incidents"\n'
                                           'severities:\n  - {id: SEV1, escalation_contacts: ["#incidents"]}\n')
    clock = FakeClock(datetime(2026, 12, 4, 14, 0, tzinfo=UTC))
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST, clock=clock) as bot:
        for n, title in enumerate(("Imports failing", "Billing <slow>", "Search down"), start=1):
            await bot.command(f"declare sev1 {title}", user_id="U1")
            await bot.fake.wait_for_response(lambda r, n=n: f"INC-{n} declared" in r["body"].get("text", ""))
        await bot.settled()
        announcements = bot.fake.channel_by_name("incidents")
        assert announcements is not None
        before = len(bot.fake.messages(announcements["id"]))
        clock.advance(minutes=16)  # past SEV1's response target, no commander anywhere
        await bot.warroom.services.timers.dispatch_due()
        await bot.settled()
        alerts = [m.get("text", "") for m in bot.fake.messages(announcements["id"])[before:]]
        calls = await bot.warroom.outbox_store.calls(bot.fake.state.team_id)
    assert len(alerts) == 1, alerts
    lines = alerts[0].splitlines()
    assert lines[0].startswith(":rotating_light: 3 SEV1 incidents have no incident commander after 15 min")
    assert [line.split(" (")[0] for line in lines[1:]] == ["• INC-1", "• INC-2", "• INC-3"]
    assert "Billing &lt;slow&gt;" in lines[2]  # the title is data, as in the single notice
    assert all("<#C" in line for line in lines[1:])  # each links to its incident's channel
    own = [m.get("text", "") for c in fake_slack.state.channels.values() if c["name"].startswith("inc-")
           for m in c["messages"] if "has no incident commander" in m.get("text", "")]
    assert len(own) == 3  # and every incident channel has its own
    assert sum(1 for _, state in calls if state == CallState.MERGED) == 2
