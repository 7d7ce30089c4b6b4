"""The fault suite: Slack rate-limits, errors, times out and drops connections; nothing is lost or doubled.

Every test runs on SQLite and on PostgreSQL. Afterwards every message the outbox holds was delivered
exactly once, and every timeline entry and audit event the users were told about exists exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from bot.domain.outbox import CallState, OutboundCall
from bot.standin import FakeSlack
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.e2e.harness import Bot, running_bot

FAST = {"WARROOM_SLACK_TIMEOUT_SECONDS": "1", "WARROOM_SLACK_RETRY_SECONDS": "0.1", "WARROOM_CHANNEL_RATE": "20",
        "WARROOM_CHANNEL_BURST": "4"}
FOLLOWUPS = [f"Follow-up number {n} after the outage" for n in range(6)]


@pytest.fixture
async def faulty_bot(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST) as bot:
        yield bot


def _storm(fake: FakeSlack) -> None:
    """429s, 5xx after the message was posted, dropped connections and timeouts, on every kind of call."""
    fake.fail_next("chat.postMessage", status=429, retry_after=1, times=3)
    fake.fail_next("chat.postMessage", status=500, error="internal_error", times=2, applied=True)
    fake.fail_next("chat.postMessage", status=502, error="bad_gateway", times=1)
    fake.fail_next("chat.postMessage", status=200, error="", times=2, applied=True, drop=True)
    fake.fail_next("chat.postMessage", status=200, error="", times=1, applied=True, delay=2.5)
    fake.fail_next("chat.update", status=503, error="service_unavailable", times=2)
    fake.fail_next("chat.update", status=200, error="", times=1, applied=True, drop=True)
    fake.fail_next("conversations.setTopic", status=500, error="internal_error", times=1)
    fake.fail_next("conversations.invite", status=429, retry_after=1, times=1)


async def _declare(bot: Bot) -> str:
    status, _, _ = await bot.command("declare sev1 Imports failing", user_id="U1")
    assert status == 200
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""), timeout=10)
    return str(bot.fake.calls_to("conversations.create")[0].response["channel"]["id"])


def _texts(fake: FakeSlack, channel: str) -> Counter[str]:
    return Counter(m.get("text", "") for m in fake.messages(channel))


async def _assert_nothing_lost_or_doubled(bot: Bot, channel: str) -> None:
    fake, team = bot.fake, bot.fake.state.team_id
    await bot.settled(timeout=60)
    calls = await bot.warroom.outbox_store.calls(team)
    states = Counter(state for _, state in calls)
    assert states[CallState.PENDING] == 0 and states[CallState.FAILED] == 0, states
    texts = _texts(fake, channel)
    for text in FOLLOWUPS:
        assert texts[f"Follow-up: {text}"] == 1, (text, texts)
    doubled = {t: n for t, n in texts.items() if n > 1}
    assert doubled == {}, doubled
    cards = [m for m in fake.messages(channel) if m.get("text", "").startswith("INC-1")
             and m.get("blocks", [{}])[0].get("type") == "header"]
    assert len(cards) == 1, "one card, updated in place"
    incident = await bot.warroom.incidents.for_channel(team, channel)
    assert incident.card_ts == cards[0]["ts"]
    assert "Monitoring" in str(cards[0]["blocks"]) and "SEV2" in str(cards[0]["blocks"]), "the card shows the latest state"
    timeline = Counter(e.text for e in await bot.warroom.incidents.timeline(team, incident.id))  # type: ignore[arg-type]
    assert all(n == 1 for n in timeline.values()), timeline
    for text in FOLLOWUPS:
        assert any(text in t for t in timeline), text
    audit = await bot.warroom.incidents.audit(team, incident.id)  # type: ignore[arg-type]
    assert len({(a.action, str(a.after)) for a in audit}) == len(audit), "no audit event twice"
    assert fake.channels[channel]["topic"], "the topic was set after the 500"
    assert "U1" in fake.channels[channel]["members"], "the invite went through after the 429"


async def test_a_storm_of_slack_faults_loses_and_doubles_nothing(faulty_bot: Bot) -> None:
    bot, fake = faulty_bot, faulty_bot.fake
    _storm(fake)
    channel = await _declare(bot)
    for text in FOLLOWUPS:
        status, _, _ = await bot.command(f"followup {text}", user_id="U1", channel_id=channel)
        assert status == 200
    await bot.command("severity sev2", user_id="U1", channel_id=channel)
    await bot.command("status identified", user_id="U1", channel_id=channel)
    await bot.command("status monitoring", user_id="U1", channel_id=channel)
    await _assert_nothing_lost_or_doubled(bot, channel)
    statuses = Counter(c.status for c in fake.calls_to("chat.postMessage"))
    assert statuses[429] == 3 and statuses[500] == 2 and statuses[502] == 1, "every fault was hit"
    assert len(fake.calls_to("conversations.history")) >= 2, "lost answers were looked up, not reposted"


async def test_a_restart_resumes_delivery_where_it_stopped(fake_slack: FakeSlack, database_url: str,
                                                           tmp_path: Path) -> None:
    """Slack is down (every call fails) when the bot stops; the next start delivers everything once."""
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST) as bot:
        channel = await _declare(bot)
        await bot.settled(timeout=30)
        fake_slack.fail_next("chat.postMessage", status=503, error="service_unavailable", times=1000)
        for text in FOLLOWUPS:
            await bot.command(f"followup {text}", user_id="U1", channel_id=channel)
        await bot.command("severity sev2", user_id="U1", channel_id=channel)
        await bot.command("status identified", user_id="U1", channel_id=channel)
        await bot.command("status monitoring", user_id="U1", channel_id=channel)
        await bot.fake.wait_for("chat.postMessage", lambda c: c.status == 503, timeout=10)
        assert await bot.warroom.outbox_store.backlog() > 0, "messages were waiting when the bot stopped"
    fake_slack.reset_faults()
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST) as bot:
        await _assert_nothing_lost_or_doubled(bot, channel)


async def test_socket_mode_connections_cut_mid_run_lose_and_double_nothing(fake_slack: FakeSlack, database_url: str,
                                                                          tmp_path: Path) -> None:
    fake, env = fake_slack, {**FAST, "SLACK_APP_TOKEN": fake_slack.app_token}
    async with running_bot(fake, database_url, tmp_path, env=env) as bot:
        await fake.wait_for_socket()
        _storm(fake)
        ack = await fake.socket_command("declare sev1 Imports failing", user_id="U1")
        assert "Declaring SEV1" in ack["payload"]["text"]
        await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""), timeout=10)
        channel = str(fake.calls_to("conversations.create")[0].response["channel"]["id"])
        for n, text in enumerate(FOLLOWUPS):
            if n in (2, 4):  # the network drops the connection twice; Bolt reconnects
                await fake.socket_drop()
                await fake.wait_for_socket(count=2 + (n == 4))
            await fake.socket_command(f"followup {text}", user_id="U1", channel_id=channel)
        await fake.socket_command("severity sev2", user_id="U1", channel_id=channel)
        await fake.socket_command("status identified", user_id="U1", channel_id=channel)
        # Slack redelivers an event whose ack it did not see: the same event id, handled once.
        message = fake.state.post_as_user(channel, "U4", "Import queue depth 40k")
        reaction = {"type": "reaction_added", "user": "U3", "reaction": "pushpin", "event_ts": message["ts"],
                    "item": {"type": "message", "channel": channel, "ts": message["ts"]}, "item_user": "U4"}
        envelope = fake.event_payload(reaction, event_id="EvCutOff")
        await fake.socket_send("events_api", envelope)
        await fake.socket_drop()
        await fake.wait_for_socket(count=4)
        await fake.socket_send("events_api", envelope)
        await fake.socket_command("status monitoring", user_id="U1", channel_id=channel)
        await _assert_nothing_lost_or_doubled(bot, channel)
        assert len(fake.calls_to("apps.connections.open")) == 4


async def test_a_lost_post_after_the_prune_is_not_taken_for_an_older_message(faulty_bot: Bot) -> None:
    """Pruned ids come back on SQLite; a post whose answer was lost must not match an old message's tag."""
    bot, fake = faulty_bot, faulty_bot.fake
    channel = await _declare(bot)
    for text in FOLLOWUPS:
        await bot.command(f"followup {text}", user_id="U1", channel_id=channel)
    await bot.settled(timeout=30)
    assert await bot.warroom.outbox_store.prune(datetime.now(UTC) + timedelta(days=1)) > 0
    # Every next post fails with a 500 Slack never acted on: each is looked up before it is posted again.
    fake.fail_next("chat.postMessage", status=500, error="internal_error", times=len(FOLLOWUPS))
    again = [f"{t} (again)" for t in FOLLOWUPS]
    for text in again:
        await bot.command(f"followup {text}", user_id="U1", channel_id=channel)
    await bot.settled(timeout=30)
    texts = _texts(fake, channel)
    assert {t: texts[f"Follow-up: {t}"] for t in again} == {t: 1 for t in again}
    assert len(fake.calls_to("conversations.history")) >= 1, "the lost posts were looked up"


def _announcements(fake: FakeSlack) -> list[str]:
    return [str(m.get("text", "")) for m in fake.messages("CANNOUNCE")]


async def test_an_announcement_to_a_channel_named_by_name_is_not_posted_twice_after_a_5xx(faulty_bot: Bot) -> None:
    bot, fake = faulty_bot, faulty_bot.fake
    # The card and the announcement (to "#incidents") are both posted, and both answers are lost.
    fake.fail_next("chat.postMessage", status=500, error="internal_error", times=2, applied=True)
    await _declare(bot)
    await bot.settled(timeout=30)
    assert _announcements(fake) == ["INC-1 declared: Imports failing"]
    assert [c.status for c in fake.calls_to("chat.postMessage")].count(500) == 2, "both faults were hit"


async def test_a_channel_named_by_name_and_by_id_is_paced_as_one_channel(fake_slack: FakeSlack, database_url: str,
                                                                        tmp_path: Path) -> None:
    rate = 4.0
    env = {**FAST, "WARROOM_CHANNEL_RATE": str(rate), "WARROOM_CHANNEL_BURST": "1"}
    async with running_bot(fake_slack, database_url, tmp_path, env=env) as bot:
        team = fake_slack.state.team_id
        async with SqlUnitOfWork(session_factory(bot.warroom.engine), wake=bot.warroom.sender.wake) as uow:
            for n in range(3):
                for channel in ("#incidents", "CANNOUNCE"):
                    uow.outbox.put(OutboundCall(team_id=team, method="chat.postMessage",
                                                params={"channel": channel, "text": f"{channel} {n}"}))
            await uow.commit()
        await bot.settled(timeout=20)
    times = sorted(c.at for c in fake_slack.calls_to("chat.postMessage"))
    assert len(_announcements(fake_slack)) == 6
    # One bucket of one token: six posts take five turns (two lanes of three would take two). Load only
    # stretches the span, so it is measured first to last rather than gap by gap.
    assert times[-1] - times[0] > 0.9 * 5 / rate, f"one channel, one pace: {times}"


async def _leased_and_waiting(bot: Bot) -> int:
    async with bot.warroom.engine.connect() as conn:
        found = await conn.execute(sql("SELECT count(*) FROM outbox WHERE state = 'pending' "
                                        "AND leased_until IS NOT NULL"))
        return int(found.scalar_one())


async def test_calls_held_back_by_the_pace_at_shutdown_go_out_once_after_a_restart(fake_slack: FakeSlack,
                                                                                  database_url: str,
                                                                                  tmp_path: Path) -> None:
    """The bot stops with calls queued behind a slow pace; the next start on the same database sends each once."""
    slow = {**FAST, "WARROOM_CHANNEL_RATE": "0.1", "WARROOM_CHANNEL_BURST": "1"}
    async with running_bot(fake_slack, database_url, tmp_path, env=slow) as bot:
        channel = await _declare(bot)
        for text in FOLLOWUPS:
            await bot.command(f"followup {text}", user_id="U1", channel_id=channel)
        await bot.command("severity sev2", user_id="U1", channel_id=channel)
        await bot.command("status identified", user_id="U1", channel_id=channel)
        await bot.command("status monitoring", user_id="U1", channel_id=channel)
        assert await bot.warroom.surface.in_flight.wait_idle(10)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while await _leased_and_waiting(bot) == 0:  # the lane's next call is waiting for its turn
            assert loop.time() < deadline, "no call waited for the pace"
            await asyncio.sleep(0.05)
        assert await bot.warroom.outbox_store.backlog() >= len(FOLLOWUPS)
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST) as bot:
        await bot.settled(timeout=15)  # at once, not once the stopped bot's leases run out
        await _assert_nothing_lost_or_doubled(bot, channel)
