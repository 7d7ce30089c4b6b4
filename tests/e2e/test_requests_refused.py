"""Forged, stale and malformed requests are refused, explained, and write nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.standin import FakeSlack
from tests.e2e.harness import Bot, running_bot


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


async def test_an_export_is_shown_only_to_whom_the_permissions_allow_and_a_refusal_is_audited(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    (tmp_path / "warroom.yaml").write_text("permissions:\n  export: [role:commander]\n")
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path) as bot:
        await bot.command("declare sev1 Imports failing", user_id="U1")
        await fake_slack.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
        channel = fake_slack.calls_to("conversations.create")[0].response["channel"]["id"]
        await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=channel)
        await bot.settled()
        await bot.command("export", user_id="U7", channel_id=channel)
        refusal = await fake_slack.wait_for_response(lambda r: "may export" in r["body"].get("text", ""))
        assert refusal["body"]["text"] == ("Only the incident commander or an admin (none are configured: "
                                           "`permissions.admins`) may export the incident review.")
        await bot.command("export INC-1 md", user_id="U1", channel_id="CGENERAL")
        review = await fake_slack.wait_for_response(lambda r: "INC-1 review" in r["body"].get("text", ""))
        assert review["body"]["response_type"] == "ephemeral" and "Imports failing" in review["body"]["text"]
        incident = await bot.warroom.incidents.for_channel(fake_slack.state.team_id, channel)
        audit = await bot.warroom.incidents.audit(fake_slack.state.team_id, incident.id)  # type: ignore[arg-type]
        assert [(e.actor, e.after["capability"]) for e in audit if e.action == "permission.denied"] == [("U7", "export")]
