"""Classes and custom fields through Slack: chosen at declare (form and command), asked for in the resolve form
when the policy requires them, custom fields set by command and shown on the card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.standin import FakeSlack
from handlers.ids import Block, Field
from tests.e2e.harness import Bot, running_bot

POLICY = """\
class_required_at_resolve: true
classes:
  - id: cross-tenant-authorization
    label: Cross-tenant authorization
    fields:
      - {name: tenant, label: Tenant, required: true}
      - {name: tenants, label: Tenants affected, kind: number}
      - {name: owner, label: Data owner, kind: user}
"""


@pytest.fixture
async def strict(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Bot]:
    (tmp_path / "warroom.yaml").write_text(POLICY, encoding="utf-8")
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", tmp_path) as bot:
        yield bot


def _select(value: str | None) -> dict[str, Any]:
    option = {"value": value, "text": {"type": "plain_text", "text": value}} if value else None
    return {Field.VALUE: {"type": "static_select", "selected_option": option}}


def _text(value: str) -> dict[str, Any]:
    return {Field.VALUE: {"type": "plain_text_input", "value": value or None}}


async def _declare(bot: Bot, text: str) -> str:
    await bot.command(text, user_id="U1")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await bot.settled()
    return str(bot.fake.calls_to("conversations.create")[0].response["channel"]["id"])


async def test_the_declare_form_offers_the_policy_classes_and_declares_with_the_chosen_one(bot: Bot) -> None:
    fake = bot.fake
    await bot.command("")
    [opened] = await fake.wait_for("views.open")
    view = opened.params["view"]
    [chooser] = [b for b in view["blocks"] if b["block_id"] == Block.CLASS]
    assert [o["value"] for o in chooser["element"]["options"]][:3] == [
        "import-pipeline", "audit-failure", "restricted-telemetry"]
    values = {Block.TITLE: _text("Imports failing"), Block.SEVERITY: _select("SEV1"), Block.SERVICE: _text(""),
              Block.SUMMARY: _text(""), Block.CLASS: _select("import-pipeline")}
    status, body, _ = await bot.interaction(fake.view_submission_payload("U1", view, values))
    assert status == 200 and not body
    [create] = await fake.wait_for("conversations.create")
    await bot.settled()
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, create.response["channel"]["id"])
    assert incident.incident_class == "import-pipeline"
    card = next(c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == incident.channel_id)
    assert "*Class*\nImport pipeline" in [f["text"] for f in card.params["blocks"][1]["fields"]]
    assert fake.violations == []


async def test_declare_by_command_takes_a_class_and_refuses_a_typo_naming_the_valid_ones(bot: Bot) -> None:
    fake = bot.fake
    status, body, _ = await bot.command("declare sev1 --class import-pipline Imports failing", user_id="U1")
    assert status == 200 and "`import-pipline` is not an incident class. Valid classes: `import-pipeline`" in body["text"]
    assert fake.calls_to("conversations.create") == []
    channel = await _declare(bot, "declare sev1 --class import-pipeline Imports failing")
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
    assert (incident.title, incident.incident_class) == ("Imports failing", "import-pipeline")


async def test_the_resolve_form_asks_for_the_class_then_for_required_fields_keeping_the_text(strict: Bot) -> None:
    bot, fake = strict, strict.fake
    channel = await _declare(bot, "declare sev2 Tenant data visible")
    await bot.command("resolve", user_id="U1", channel_id=channel)
    [opened] = await fake.wait_for("views.open")
    view = opened.params["view"]
    written = {Block.RESOLUTION: _text("Revoked the token"), Block.IMPACT: _text(""), Block.ROOT_CAUSE: _text("")}
    status, body, _ = await bot.interaction(fake.view_submission_payload("U1", view, {**written,
                                                                                      Block.CLASS: _select(None)}))
    assert status == 200 and body["response_action"] == "errors"
    assert body["errors"][Block.CLASS].startswith("Choose the incident's class before resolving")
    status, body, _ = await bot.interaction(fake.view_submission_payload(
        "U1", view, {**written, Block.CLASS: _select("cross-tenant-authorization")}))
    assert body["response_action"] == "errors" and "`/incident field tenant <text>`" in body["errors"][Block.RESOLUTION]
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
    assert (incident.status, incident.incident_class) == ("investigating", None)  # nothing changed

    await bot.command("class cross-tenant-authorization", user_id="U1", channel_id=channel)
    await bot.settled()
    await bot.command("field tenants lots", user_id="U1", channel_id=channel)
    await fake.wait_for_response(
        lambda r: "Tenants affected takes a number such as 42 or 3.5; `lots` is not one." in r["body"].get("text", ""))
    await bot.command("field tenant acme", user_id="U1", channel_id=channel)
    await bot.command("field owner <@U2|bo>", user_id="U1", channel_id=channel)
    await bot.settled()
    updates = [c for c in fake.calls_to("chat.update") if c.params["channel"] == channel]
    sections = [b["text"]["text"] for b in updates[-1].params["blocks"] if b["type"] == "section" and "text" in b]
    assert "*Tenant*: acme\n*Data owner*: <@U2>" in sections
    status, body, _ = await bot.interaction(fake.view_submission_payload("U1", view, {**written,
                                                                                      Block.CLASS: _select(None)}))
    assert status == 200 and not body
    await fake.wait_for("files.completeUploadExternal", timeout=15)
    await bot.settled()
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
    assert incident.status == "resolved" and incident.custom_fields == {"tenant": "acme", "owner": "<@U2>"}
    assert fake.violations == []
