"""The /incident slash command: parse, check, ack, one use case, render (the handler its sub-command declares)."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import InvalidInput, UserError
from bot.services.container import Services
from handlers.ids import SLASH_COMMAND
from handlers.parse import parse_command
from handlers.subcommand import Call
from handlers.subcommands import check, dispatch
from handlers.surface import Surface


def input_error_text(error: InvalidInput) -> str:
    """Form errors as lines a person can act on."""
    return "\n".join(error.errors.values())


def register(surface: Surface, services: Services) -> None:
    """Register /incident."""

    @surface.command(SLASH_COMMAND, "Declare and run incidents",
                     "declare sev1 Imports failing | status identified | role commander @you | note … | help")
    async def incident_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                               client: AsyncWebClient) -> None:
        call = Call(command, ack, respond, client, services)
        try:
            parsed = parse_command(command.get("text", ""))
            check(parsed, call)
        except InvalidInput as exc:
            await ack(response_type="ephemeral", text=input_error_text(exc))
            return
        except UserError as exc:
            await ack(response_type="ephemeral", text=str(exc))
            return
        await dispatch(parsed, call)
