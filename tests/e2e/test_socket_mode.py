"""The same declare flow over Socket Mode, through the real Bolt Socket Mode handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standin import FakeSlack
from tests.e2e.harness import Bot, running_bot


@pytest.fixture
async def socket_bot(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Bot]:
    env = {"SLACK_APP_TOKEN": fake_slack.app_token}
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'sm.db'}", tmp_path, env=env) as bot:
        await fake_slack.wait_for_socket()
        yield bot


async def test_declare_over_socket_mode_creates_the_incident(socket_bot: Bot) -> None:
    fake = socket_bot.fake
    [opened] = fake.calls_to("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {fake.app_token}"

    ack = await fake.socket_command("declare sev1 Imports failing", user_id="U1")
    assert "Declaring SEV1" in ack["payload"]["text"]
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await socket_bot.settled()  # the card, invite, topic and announcement go out from the outbox
    [create] = fake.calls_to("conversations.create")
    channel_id = create.response["channel"]["id"]
    assert fake.calls_to("conversations.invite")[0].params["users"] == "U1"
    assert fake.calls_to("conversations.setTopic")[0].params["channel"] == channel_id
    channels = {c.params["channel"] for c in fake.calls_to("chat.postMessage")}
    assert channels == {channel_id, "CANNOUNCE"}  # #incidents, by its id
    assert fake.violations == []

    incident = await socket_bot.warroom.incidents.for_channel(fake.state.team_id, channel_id)
    assert incident.ref == "INC-1" and incident.card_ts
    [entry] = await socket_bot.warroom.incidents.timeline(fake.state.team_id, incident.id)  # type: ignore[arg-type]
    [audit] = await socket_bot.warroom.incidents.audit(fake.state.team_id, incident.id)  # type: ignore[arg-type]
    assert entry.text == "Declared SEV1: Imports failing" and audit.action == "incident.declared"


async def test_bad_input_over_socket_mode_is_explained_in_the_ack(socket_bot: Bot) -> None:
    ack = await socket_bot.fake.socket_command("declare sev9 Imports failing")
    assert "`sev9` is not a severity" in ack["payload"]["text"]
    assert socket_bot.writes() == []


async def test_socket_mode_reconnects_after_a_disconnect_and_keeps_working(socket_bot: Bot) -> None:
    fake = socket_bot.fake
    await fake.socket_disconnect()
    await fake.wait_for_socket(count=2)
    ack = await fake.socket_command("list")
    assert "0 open incidents" in ack["payload"]["text"]
    assert len(fake.calls_to("apps.connections.open")) == 2


async def test_in_socket_mode_http_requests_to_slack_events_are_not_accepted(socket_bot: Bot) -> None:
    status, _, _ = await socket_bot.command("declare sev1 Imports failing", signature="v0=" + "0" * 64)
    assert status in (404, 405)
    assert socket_bot.writes() == []
    assert await socket_bot.warroom.incidents.count_by_status() == {}
