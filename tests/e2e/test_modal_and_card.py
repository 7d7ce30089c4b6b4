"""The declare modal with inline errors, and the card's selects updating it in place."""

from __future__ import annotations

from typing import Any

from handlers.ids import Action, Block, Field
from tests.e2e.harness import Bot


def _values(title: str, severity: str | None, service: str = "", summary: str = "") -> dict[str, Any]:
    option = {"selected_option": {"value": severity, "text": {"type": "plain_text", "text": severity}}} if severity else {"selected_option": None}
    return {
        Block.TITLE: {Field.VALUE: {"type": "plain_text_input", "value": title}},
        Block.SEVERITY: {Field.VALUE: {"type": "static_select", **option}},
        Block.SERVICE: {Field.VALUE: {"type": "plain_text_input", "value": service or None}},
        Block.SUMMARY: {Field.VALUE: {"type": "plain_text_input", "value": summary or None}},
    }


async def _open_modal(bot: Bot) -> dict[str, Any]:
    status, body, elapsed = await bot.command("")
    assert status == 200 and elapsed < 3
    [opened] = await bot.fake.wait_for("views.open")
    return opened.params["view"]


async def test_incident_without_arguments_opens_the_declare_modal_at_once(bot: Bot) -> None:
    view = await _open_modal(bot)
    assert view["callback_id"] == "declare_modal"
    assert [b["block_id"] for b in view["blocks"]] == [Block.TITLE, Block.SEVERITY, Block.SERVICE, Block.CLASS,
                                                       Block.SUMMARY]
    assert bot.fake.violations == []


async def test_the_modal_shows_inline_errors_then_declares(bot: Bot) -> None:
    fake = bot.fake
    view = await _open_modal(bot)
    bad = fake.view_submission_payload("U1", view, _values("   ", None))
    status, body, _ = await bot.interaction(bad)
    assert status == 200 and body["response_action"] == "errors"
    assert set(body["errors"]) == {Block.TITLE, Block.SEVERITY}
    assert bot.writes() == ["views.open"]

    good = fake.view_submission_payload("U1", view, _values("Imports failing", "SEV1", "imports", "CSV 500s"))
    status, body, _ = await bot.interaction(good)
    assert status == 200 and not body
    [create] = await fake.wait_for("conversations.create")
    await bot.settled()
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, create.response["channel"]["id"])
    assert (incident.title, incident.severity, incident.service, incident.summary) == ("Imports failing", "SEV1", "imports", "CSV 500s")
    assert incident.source_channel_id == "CGENERAL"
    assert fake.violations == []


async def test_a_modal_declaration_similar_to_an_open_incident_asks_for_confirmation(bot: Bot) -> None:
    fake = bot.fake
    await bot.command("declare sev1 Imports failing --service imports")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    view = await _open_modal(bot)
    status, body, _ = await bot.interaction(fake.view_submission_payload("U2", view, _values("Bank sync down", "SEV2", "imports")))
    assert body["response_action"] == "update" and body["view"]["callback_id"] == "declare_confirm_modal"
    assert "INC-1" in body["view"]["blocks"][0]["text"]["text"]
    assert len(fake.calls_to("conversations.create")) == 1

    confirm = fake.view_submission_payload("U2", body["view"], {})
    status, _, _ = await bot.interaction(confirm)
    assert status == 200
    [_, second] = await fake.wait_for("conversations.create", count=2)
    assert second.params["name"] == "inc-2-bank-sync-down"


async def _declared(bot: Bot) -> tuple[str, str]:
    await bot.command("declare sev2 Imports failing")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await bot.settled()  # the card goes out from the outbox
    create = bot.fake.calls_to("conversations.create")[0]
    channel = create.response["channel"]["id"]
    card = next(c for c in bot.fake.calls_to("chat.postMessage") if c.params["channel"] == channel)
    return channel, card.response["ts"]


async def test_the_status_select_on_the_card_changes_status_and_updates_the_card(bot: Bot) -> None:
    fake = bot.fake
    channel, ts = await _declared(bot)
    action = {"type": "static_select", "action_id": Action.CARD_STATUS, "block_id": Block.CARD_ACTIONS,
              "selected_option": {"value": "identified", "text": {"type": "plain_text", "text": "Identified"}}}
    status, _, _ = await bot.interaction(fake.block_action_payload("U2", channel, ts, action))
    assert status == 200
    [update] = await fake.wait_for("chat.update")
    await bot.settled()
    assert update.params["ts"] == ts and update.params["channel"] == channel
    fields = " ".join(f["text"] for f in update.params["blocks"][1]["fields"])
    assert "Identified" in fields
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
    assert incident.status == "identified"
    entries = await bot.warroom.incidents.timeline(fake.state.team_id, incident.id)  # type: ignore[arg-type]
    assert entries[-1].text == "Status investigating → identified" and entries[-1].author == "U2"
    audit = await bot.warroom.incidents.audit(fake.state.team_id, incident.id)  # type: ignore[arg-type]
    assert audit[-1].action == "incident.status_changed" and audit[-1].actor == "U2"
    assert fake.violations == []


async def test_severity_by_command_in_the_channel_updates_the_card(bot: Bot) -> None:
    fake = bot.fake
    channel, ts = await _declared(bot)
    await bot.command("severity sev1", channel_id=channel, user_id="U3")
    [update] = await fake.wait_for("chat.update")
    assert "SEV1" in update.params["blocks"][1]["fields"][0]["text"]
    notice = await fake.wait_for("chat.postMessage", lambda c: "severity" in c.params.get("text", ""))
    assert notice[0].params["channel"] == channel
    await bot.settled()
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
    assert incident.severity == "SEV1"


async def test_class_by_command_in_the_channel_shows_on_the_card_and_is_stored(bot: Bot) -> None:
    fake = bot.fake
    channel, _ = await _declared(bot)
    await bot.command("class Queue failure", channel_id=channel, user_id="U3")
    [update] = await fake.wait_for("chat.update")
    assert "*Class*\nQueue failure" in [f["text"] for f in update.params["blocks"][1]["fields"]]
    await fake.wait_for("chat.postMessage", lambda c: "set the class to *Queue failure*" in c.params.get("text", ""))
    await bot.settled()
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
    assert incident.incident_class == "queue-failure"
    assert fake.violations == []


async def test_an_unknown_class_is_refused_with_the_valid_ones_and_nothing_changes(bot: Bot) -> None:
    fake = bot.fake
    channel, _ = await _declared(bot)
    status, body, _ = await bot.command("class printer-fire", channel_id=channel)
    assert status == 200 and "`printer-fire` is not an incident class" in body["text"]
    assert "`queue-failure`" in body["text"]
    await bot.settled()
    assert (await bot.warroom.incidents.for_channel(fake.state.team_id, channel)).incident_class is None
    assert fake.calls_to("chat.update") == []
