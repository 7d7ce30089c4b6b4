"""Buttons and selects: the incident card and the duplicate prompt."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.domain.errors import InvalidCommand
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from handlers.ids import Action
from handlers.payload import payload_text
from handlers.surface import Surface


def _selected(body: dict[str, Any]) -> str:
    return payload_text(body, "actions", 0, "selected_option", "value")


def register(surface: Surface, services: Services) -> None:
    """Register the card's selects and the declare-anyway button."""
    incidents = services.incidents

    @surface.action(Action.CARD_STATUS)
    async def card_status(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        incident = await incidents.for_channel(team_id, body["channel"]["id"])
        await incidents.change_status(team_id, incident.id, user_id, _selected(body))

    @surface.action(Action.CARD_SEVERITY)
    async def card_severity(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        incident = await incidents.for_channel(team_id, body["channel"]["id"])
        await incidents.change_severity(team_id, incident.id, user_id, _selected(body))

    @surface.action(Action.DECLARE_ANYWAY)
    async def declare_anyway(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        try:
            pending = json.loads(body["actions"][0]["value"])
            request = DeclareRequest(
                team_id=body["team"]["id"], user_id=body["user"]["id"], severity=str(pending["severity"]),
                title=str(pending["title"]), service=str(pending.get("service", "")),
                incident_class=str(pending.get("incident_class", "")),
                source_channel_id=(body.get("channel") or {}).get("id"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCommand("That button is out of date; run `/incident declare` again.") from exc
        result = await services.declare(request, force=True)
        incident = result.incident
        assert incident is not None
        text = f"{incident.ref} declared: <#{incident.channel_id}>"
        if result.warnings:
            text += "\n:warning: " + "; ".join(result.warnings)
        await respond(response_type="ephemeral", replace_original=True, text=text)
