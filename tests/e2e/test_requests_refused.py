"""Forged, stale and malformed requests are refused, explained, and write nothing."""

from __future__ import annotations

import time

import pytest

from tests.e2e.harness import Bot


async def _nothing_written(bot: Bot) -> None:
    await bot.settled()
    assert bot.writes() == []
    assert await bot.warroom.incidents.count_by_status() == {}
    async with bot.warroom.services.incidents._uow() as uow:
        assert await uow.incidents.workspaces() == [] and await uow.audit.teams() == []


async def test_a_forged_signature_gets_401_and_writes_nothing(bot: Bot) -> None:
    status, _, _ = await bot.command("declare sev1 Imports failing", signature="v0=" + "0" * 64)
    assert status == 401
    await _nothing_written(bot)


async def test_a_stale_timestamp_gets_401_and_writes_nothing(bot: Bot) -> None:
    status, _, _ = await bot.command("declare sev1 Imports failing", timestamp=int(time.time()) - 6 * 60)
    assert status == 401
    await _nothing_written(bot)


@pytest.mark.parametrize(("text", "explanation"), [
    ("frobnicate", "`frobnicate` is not an /incident command. Try one of: `/incident declare"),
    ("declare sev9 Imports failing", "`sev9` is not a severity. Choose one of SEV0, SEV1, SEV2, SEV3."),
    ("declare sev1", "Give a severity and a title. Usage: `/incident declare <severity> <title>"),
    ('declare sev1 "   "', "Give the incident a short title, e.g. `Imports failing`."),
    ("declare sev1 " + "x" * 121, "Keep the title under 120 characters (it has 121)."),
    ("status sideways", "`sideways` is not a status. Use one of: investigating, identified"),
    ("severity sev7", "`sev7` is not a severity. Use one of: SEV0, SEV1, SEV2, SEV3"),
])
async def test_bad_input_gets_an_ephemeral_explanation_and_writes_nothing(bot: Bot, text: str, explanation: str) -> None:
    status, body, elapsed = await bot.command(text)
    assert status == 200 and elapsed < 3
    assert body["response_type"] == "ephemeral"
    assert explanation in body["text"]
    await _nothing_written(bot)


@pytest.mark.parametrize("text", ["status identified", "severity sev2"])
async def test_an_incident_command_outside_an_incident_channel_is_explained(bot: Bot, text: str) -> None:
    status, _, _ = await bot.command(text, channel_id="CGENERAL")
    assert status == 200
    reply = await bot.fake.wait_for_response()
    assert reply["body"]["response_type"] == "ephemeral"
    assert "works in an incident channel" in reply["body"]["text"]
    await _nothing_written(bot)


async def test_a_disallowed_status_change_is_explained_and_not_recorded(bot: Bot) -> None:
    fake = bot.fake
    await bot.command("declare sev1 Imports failing")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    channel = fake.calls_to("conversations.create")[0].response["channel"]["id"]
    await bot.command("status closed", channel_id=channel)
    reply = await fake.wait_for_response(lambda r: "cannot become" in r["body"].get("text", ""))
    assert reply["body"]["response_type"] == "ephemeral"
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
    assert incident.status == "investigating"
    assert len(await bot.warroom.incidents.timeline(fake.state.team_id, incident.id)) == 1  # type: ignore[arg-type]
