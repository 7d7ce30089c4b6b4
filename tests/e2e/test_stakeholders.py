"""What stakeholders see stays true: the channel topic follows severity, status and commander; the
announcements channel hears raises, resolutions and reopenings; a role change is one line in the channel.

Every test runs on SQLite and on PostgreSQL and asserts what the Slack stand-in received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.outbox import CallState
from bot.standin import FakeSlack
from tests.e2e.harness import Bot, running_bot
from tests.e2e.scenario import People
from tests.fakes.clock import FakeClock

FAST = {"WARROOM_CHANNEL_RATE": "20", "WARROOM_CHANNEL_BURST": "4"}
TITLE = "Imports <failing> & slow"
SHOWN = "Imports &lt;failing&gt; &amp; slow"  # the title as data: Slack shows it as typed


@pytest.fixture
async def bot(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST) as running:
        yield running


@pytest.fixture
async def lowering_bot(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> AsyncIterator[Bot]:
    (tmp_path / "warroom.yaml").write_text("announce_severity_lowered: true\n")
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST) as running:
        yield running


async def _declare(bot: Bot, severity: str = "sev1") -> str:
    await bot.command(f"declare {severity} Imports failing", user_id="U1")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await bot.settled()
    return str(bot.fake.calls_to("conversations.create")[0].response["channel"]["id"])


async def _run(bot: Bot, text: str, user: str, channel: str) -> None:
    """A command in the incident channel, and everything it causes delivered."""
    status, _, _ = await bot.command(text, user_id=user, channel_id=channel)
    assert status == 200
    await bot.settled()


def _topic(bot: Bot, channel: str) -> str:
    return str(bot.fake.channels[channel]["topic"])


def _announced(bot: Bot) -> list[str]:
    announcements = bot.fake.channel_by_name("incidents")
    assert announcements is not None
    return [m.get("text", "") for m in bot.fake.messages(announcements["id"])]


def _announcement_body(bot: Bot, index: int) -> str:
    announcements = bot.fake.channel_by_name("incidents")
    assert announcements is not None
    return str(bot.fake.messages(announcements["id"])[index]["blocks"][0]["text"]["text"])


async def test_topic_and_announcements_after_a_severity_raise_a_resolution_and_a_reopening(bot: Bot) -> None:
    people = People(bot)
    channel = await people.declare_in_form("U1", TITLE, "SEV2")
    await bot.settled()
    assert _topic(bot, channel) == f"INC-1 · SEV2 · Investigating · {SHOWN}"
    assert _announced(bot) == [f"INC-1 declared: {SHOWN}"]

    await _run(bot, "severity sev1", "U2", channel)
    assert _topic(bot, channel) == f"INC-1 · SEV1 · Investigating · {SHOWN}"
    assert _announced(bot)[-1] == f"INC-1 raised to SEV1 · Major (was SEV2): {SHOWN}"
    assert "by <@U2>" in _announcement_body(bot, -1) and f"<#{channel}>" in _announcement_body(bot, -1)

    await _run(bot, "role commander <@U3|cy>", "U1", channel)
    assert _topic(bot, channel) == f"INC-1 · SEV1 · Investigating · Incident commander <@U3> · {SHOWN}"
    await _run(bot, "status identified", "U3", channel)
    assert _topic(bot, channel) == f"INC-1 · SEV1 · Identified · Incident commander <@U3> · {SHOWN}"

    await bot.command("resolve", user_id="U3", channel_id=channel)
    [opened] = await bot.fake.wait_for("views.open", lambda c: c.params["view"].get("callback_id") != "declare_modal")
    await people.submit_resolution("U3", opened.params["view"], "Rolled back <release> 4.2",
                                   "CSV imports failed for 30 minutes", "Worker memory limit too low")
    await bot.fake.wait_for("chat.postMessage", lambda c: "post-incident review" in str(c.params.get("text")))
    await bot.settled()
    assert _topic(bot, channel) == f"INC-1 · SEV1 · Resolved · Incident commander <@U3> · {SHOWN}"
    assert _announced(bot)[-1] == f"INC-1 resolved: {SHOWN}"
    resolution = _announcement_body(bot, -1)
    assert "*Resolution:* Rolled back &lt;release&gt; 4.2" in resolution
    assert "*Impact:* CSV imports failed for 30 minutes" in resolution and "by <@U3>" in resolution

    await _run(bot, "status investigating", "U4", channel)
    assert _topic(bot, channel) == f"INC-1 · SEV1 · Investigating · Incident commander <@U3> · {SHOWN}"
    # Only what stakeholders follow reached #incidents: no role change, no move between open statuses.
    assert _announced(bot) == [f"INC-1 declared: {SHOWN}", f"INC-1 raised to SEV1 · Major (was SEV2): {SHOWN}",
                               f"INC-1 resolved: {SHOWN}", f"INC-1 reopened (was Resolved): {SHOWN}"]
    assert "by <@U4>" in _announcement_body(bot, -1)


async def test_a_lowered_severity_changes_the_topic_and_is_not_announced_by_default(bot: Bot) -> None:
    channel = await _declare(bot, "sev1")
    await _run(bot, "severity sev3", "U2", channel)
    assert _topic(bot, channel) == "INC-1 · SEV3 · Investigating · Imports failing"
    assert _announced(bot) == ["INC-1 declared: Imports failing"]


async def test_a_lowered_severity_is_announced_when_the_policy_asks(lowering_bot: Bot) -> None:
    bot = lowering_bot
    channel = await _declare(bot, "sev1")
    await _run(bot, "severity sev3", "U2", channel)
    assert _topic(bot, channel) == "INC-1 · SEV3 · Investigating · Imports failing"
    assert _announced(bot) == ["INC-1 declared: Imports failing",
                               "INC-1 lowered to SEV3 · Minor (was SEV1): Imports failing"]


async def test_a_role_change_is_one_line_in_the_incident_channel(bot: Bot) -> None:
    channel = await _declare(bot)
    await _run(bot, "role commander <@U2|bo>", "U1", channel)
    await _run(bot, "role commander <@U1|ana>", "U2", channel)
    await _run(bot, "role scribe <@U3|cy>", "U1", channel)
    lines = [m.get("text", "") for m in bot.fake.messages(channel) if " is now " in m.get("text", "")]
    assert lines == ["<@U2> is now incident commander", "<@U1> is now incident commander (was <@U2>)",
                     "<@U3> is now scribe"]
    assert _topic(bot, channel) == "INC-1 · SEV1 · Investigating · Incident commander <@U1> · Imports failing"
    assert _announced(bot) == ["INC-1 declared: Imports failing"], "roles are the incident channel's business"


async def test_topics_queued_while_slack_holds_them_back_go_out_once_with_the_latest(bot: Bot) -> None:
    fake, team = bot.fake, bot.fake.state.team_id
    channel = await _declare(bot)
    fake.fail_next("conversations.setTopic", status=429, retry_after=1, times=1000)
    for text in ("severity sev0", "status identified", "role commander <@U2|bo>"):
        status, _, _ = await bot.command(text, user_id="U1", channel_id=channel)
        assert status == 200
        assert await bot.warroom.surface.in_flight.wait_idle(10), "the change was committed"
    # Every change is committed; once Slack answers one more 429, it is healthy again.
    held = len(fake.calls_to("conversations.setTopic"))
    await fake.wait_for("conversations.setTopic", count=held + 1)
    fake.reset_faults()
    await bot.settled(timeout=20)
    sent = [c.params["topic"] for c in fake.calls_to("conversations.setTopic") if c.status == 200]
    latest = "INC-1 · SEV0 · Identified · Incident commander <@U2> · Imports failing"
    assert sent == ["INC-1 · SEV1 · Investigating · Imports failing", latest], "the declare's topic, then only the latest"
    assert _topic(bot, channel) == latest
    topics = [state for call, state in await bot.warroom.outbox_store.calls(team) if call.method == "conversations.setTopic"]
    assert topics.count(CallState.SUPERSEDED) == 2 and topics.count(CallState.SENT) == 2, topics


async def test_a_channel_named_twice_among_the_targets_hears_an_alert_once(fake_slack: FakeSlack, database_url: str,
                                                                          tmp_path: Path) -> None:
    """Escalation contacts name the announcements channel by name and by id: it hears the alert once."""
    (tmp_path / "warroom.yaml").write_text(
        'announcements_channel: "#incidents"\n'
        'severities:\n  - {id: SEV1, escalation_contacts: ["#incidents", "CANNOUNCE", "incidents"]}\n')
    clock = FakeClock(datetime(2026, 11, 22, 14, 0, tzinfo=UTC))
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST, clock=clock) as bot:
        await _declare(bot, "sev1")
        clock.advance(minutes=16)  # past SEV1's response target with no commander
        await bot.warroom.services.timers.dispatch_due()
        await bot.settled()
    alerts = [t for t in _announced(bot) if "has no incident commander" in t]
    assert len(alerts) == 1, alerts
