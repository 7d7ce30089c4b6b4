"""Modal submissions: the declare form and its duplicate confirmation."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import InvalidInput
from bot.services.container import Services
from bot.services.declaration import DeclareRequest, DeclareResult, validate_declare
from handlers.answer import within_ack_time
from handlers.ids import Block, Callback
from handlers.modals import FIELD_BLOCKS, confirm_duplicate_modal, read_declare_values
from handlers.payload import view_metadata
from handlers.surface import Surface


async def _tell_declarer(client: AsyncWebClient, user_id: str, result: DeclareResult) -> None:
    """Only problems need a message: on success the declarer is already in the new channel."""
    if result.incident is not None and result.warnings:
        await client.chat_postMessage(
            channel=user_id,
            text=f"{result.incident.ref} was declared in <#{result.incident.channel_id}>, but: "
            + "; ".join(result.warnings),
        )


def register(surface: Surface, services: Services) -> None:
    """Register the declare modal's submissions."""
    incidents = services.incidents
    policy = incidents.policy

    @surface.view(Callback.DECLARE)
    async def declare_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        values = read_declare_values(view)
        meta = view_metadata(view)
        try:
            request = validate_declare(DeclareRequest(
                team_id=body["team"]["id"], user_id=body["user"]["id"], severity=values[Block.SEVERITY],
                title=values[Block.TITLE], service=values[Block.SERVICE], summary=values[Block.SUMMARY],
                source_channel_id=meta.get("source_channel_id"), incident_class=values[Block.CLASS]), policy)
        except InvalidInput as exc:
            await ack(response_action="errors", errors={FIELD_BLOCKS[k]: v for k, v in exc.errors.items()})
            return
        # A read before the ack, so the form can turn into a confirmation instead of a second message;
        # bounded, because the ack must come within 3 s (a slow database skips the duplicate check).
        duplicates = await within_ack_time(incidents.find_similar(request.team_id, request.title, request.service), [])
        if duplicates:
            await ack(response_action="update", view=confirm_duplicate_modal(request, duplicates, policy))
            return
        await ack()
        await _tell_declarer(client, request.user_id, await services.declare(request, force=True))

    @surface.view(Callback.DECLARE_CONFIRM)
    async def declare_confirmed(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        meta = view_metadata(view)
        request = DeclareRequest(
            team_id=body["team"]["id"], user_id=body["user"]["id"], severity=str(meta.get("severity", "")),
            title=str(meta.get("title", "")), service=str(meta.get("service", "")),
            summary=str(meta.get("summary", "")), source_channel_id=meta.get("source_channel_id"),
            incident_class=str(meta.get("incident_class", "")),
        )
        await _tell_declarer(client, request.user_id, await services.declare(request, force=True))
