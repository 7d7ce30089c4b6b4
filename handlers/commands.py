"""The /incident slash command: parse, ack, one use case, render."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import InvalidInput, UserError
from bot.services.container import Services
from bot.services.incidents import DeclareRequest, DeclareResult, validate_declare
from handlers import blocks
from handlers.answer import Answer, answer_in_ack
from handlers.export_commands import handle_export
from handlers.format import escape
from handlers.ids import SLASH_COMMAND
from handlers.modals import declare_modal
from handlers.parse import (
    ChangeSeverity,
    ChangeStatus,
    Command,
    Declare,
    Export,
    Help,
    ListOpen,
    OpenDeclareModal,
    parse_command,
)
from handlers.people_commands import handle_people_command
from handlers.surface import Surface


def input_error_text(error: InvalidInput) -> str:
    """Form errors as lines a person can act on."""
    return "\n".join(error.errors.values())


async def report_declared(respond: AsyncRespond, result: DeclareResult, pending: dict[str, str], services: Services) -> None:
    """Tell the declarer what happened: the new channel, or the likely duplicates."""
    if result.incident is None:
        await respond(
            response_type="ephemeral", replace_original=True,
            text="This looks like an incident that is already open.",
            blocks=blocks.duplicate_prompt(result.duplicates, services.policy, json.dumps(pending)),
        )
        return
    incident = result.incident
    text = f"{incident.ref} declared: <#{incident.channel_id}>"
    if result.warnings:
        text += "\n:warning: " + "; ".join(result.warnings)
    await respond(response_type="ephemeral", replace_original=True, text=text)


def _precheck(parsed: Command, command: dict[str, Any], services: Services) -> DeclareRequest | None:
    """Checks that need no database, done before the ack so a mistake is answered in the ack."""
    policy = services.policy
    if isinstance(parsed, Declare):
        return validate_declare(DeclareRequest(
            team_id=command["team_id"], user_id=command["user_id"], severity=parsed.severity,
            title=parsed.title, service=parsed.service, source_channel_id=command.get("channel_id")), policy)
    if isinstance(parsed, ChangeStatus):
        policy.lifecycle.get(parsed.status)
    elif isinstance(parsed, ChangeSeverity):
        policy.severities.resolve(parsed.severity)
    return None


def register(surface: Surface, services: Services) -> None:
    """Register /incident."""
    policy = services.policy
    incidents = services.incidents

    @surface.command(SLASH_COMMAND, "Declare and run incidents",
                     "declare sev1 Imports failing | status identified | role commander @you | note … | help")
    async def incident_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                               client: AsyncWebClient) -> None:
        team_id, user_id, channel_id = command["team_id"], command["user_id"], command.get("channel_id")
        try:
            parsed = parse_command(command.get("text", ""))
            request = _precheck(parsed, command, services)
        except InvalidInput as exc:
            await ack(response_type="ephemeral", text=input_error_text(exc))
            return
        except UserError as exc:
            await ack(response_type="ephemeral", text=str(exc))
            return

        match parsed:
            case OpenDeclareModal():
                await ack()
                await client.views_open(trigger_id=command["trigger_id"],
                                        view=declare_modal(policy, source_channel_id=channel_id))
            case Declare():
                assert request is not None
                await ack(response_type="ephemeral", text=f"Declaring {request.severity}: *{escape(request.title)}*…")
                result = await services.declare(request)
                pending = {"severity": request.severity, "title": request.title, "service": request.service}
                await report_declared(respond, result, pending, services)
            case ListOpen():
                async def listing() -> Answer:
                    open_incidents = await incidents.list_open(team_id)
                    return f"{len(open_incidents)} open incidents", blocks.incident_list(open_incidents, policy)

                await answer_in_ack(ack, respond, listing())
            case Help():
                await ack(response_type="ephemeral", text="Warroom help", blocks=blocks.help_blocks(policy))
            case ChangeStatus(status=status):
                await ack()
                incident = await incidents.for_channel(team_id, channel_id)
                await incidents.change_status(team_id, incident.id, user_id, status)  # type: ignore[arg-type]
            case ChangeSeverity(severity=severity):
                await ack()
                incident = await incidents.for_channel(team_id, channel_id)
                await incidents.change_severity(team_id, incident.id, user_id, severity)  # type: ignore[arg-type]
            case Export():
                await handle_export(parsed, command, ack, respond, services)
            case _:
                await handle_people_command(parsed, command, ack, respond, client, services)
