"""The buttons alerts bring: a triage message's Declare and Dismiss, and the resolve prompt's Resolve."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import InvalidCommand
from bot.services.container import Services
from handlers.ids import Action
from handlers.modals import resolve_modal
from handlers.payload import payload_text
from handlers.surface import Surface


def _group_id(body: dict[str, Any]) -> int:
    value = payload_text(body, "actions", 0, "value")
    if not value.isdigit():
        raise InvalidCommand("That button is out of date.")
    return int(value)


def _where(body: dict[str, Any]) -> tuple[str, str] | None:
    """The (channel, ts) of the message the button is on."""
    try:
        return payload_text(body, "channel", "id"), payload_text(body, "message", "ts")
    except InvalidCommand:
        return None  # not on a message Warroom can update (an ephemeral one): found by its anchor instead


def register(surface: Surface, services: Services) -> None:
    """Register the triage and resolve-prompt buttons."""

    @surface.action(Action.ALERT_DECLARE)
    async def declare(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        if services.alerts is None:
            raise InvalidCommand("Alerts are turned off here (WARROOM_ALERTS_TOKEN is not set).")
        incident = await services.alerts.incidents.declare_from_triage(
            body["team"]["id"], _group_id(body), body["user"]["id"], _where(body))
        await respond(response_type="ephemeral", replace_original=False,
                      text=f"{incident.ref} declared: <#{incident.channel_id}>")

    @surface.action(Action.ALERT_DISMISS)
    async def dismiss(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if services.alerts is None:
            raise InvalidCommand("Alerts are turned off here (WARROOM_ALERTS_TOKEN is not set).")
        await services.alerts.incidents.dismiss(body["team"]["id"], _group_id(body), body["user"]["id"], _where(body))

    @surface.action(Action.ALERT_RESOLVE)
    async def resolve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()  # the form opens at once (the trigger expires in seconds); who may resolve is checked on submit
        await client.views_open(trigger_id=body["trigger_id"], view=resolve_modal(payload_text(body, "channel", "id"),
                                                                                  services.policy))
