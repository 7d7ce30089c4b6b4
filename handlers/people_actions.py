"""Card role selects and take buttons, follow-up buttons, timeline paging, resolve form, shortcut."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.domain.chat import ChatMessage
from bot.domain.classes import missing_at_resolve
from bot.domain.errors import InvalidCommand
from bot.services.container import Services
from handlers import people_blocks
from handlers.format import escape
from handlers.ids import Action, Block, Callback
from handlers.modals import control_errors, read_text_values, selected_value
from handlers.payload import count_value, payload_text, view_metadata
from handlers.surface import Surface


def _suffix(action: dict[str, Any], prefix: str) -> str:
    return str(action["action_id"])[len(prefix):]


def register(surface: Surface, services: Services) -> None:
    """Register role, follow-up, timeline and resolve interactions and the message shortcut."""

    @surface.action(re.compile("^" + re.escape(Action.ROLE_SELECT)))
    async def role_selected(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        team_id = body["team"]["id"]
        incident = await services.incidents.for_channel(team_id, body["channel"]["id"])
        await services.roles.assign(team_id, incident.id, body["user"]["id"],
                                    _suffix(action, Action.ROLE_SELECT), payload_text(action, "selected_user"))

    @surface.action(re.compile("^" + re.escape(Action.TAKE_ROLE)))
    async def role_taken(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        incident = await services.incidents.for_channel(team_id, body["channel"]["id"])
        await services.roles.assign(team_id, incident.id, user_id, _suffix(action, Action.TAKE_ROLE), user_id)

    @surface.action(Action.FOLLOWUP_DONE)
    async def followup_done(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        followup_id = count_value(action.get("value"), 0)
        if not followup_id:
            raise InvalidCommand("That button is out of date.")
        _, item = await services.reviews.close_followup(body["team"]["id"], followup_id, body["user"]["id"])
        await respond(replace_original=True, text=f"Follow-up done: {escape(item.text)}", blocks=people_blocks.followup(item))

    async def timeline_page(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        page = count_value(action.get("value"), 1)
        incident, entries, page, pages = await services.timeline.page(
            body["team"]["id"], body["channel"]["id"], page, people_blocks.TIMELINE_PAGE_SIZE)
        await respond(replace_original=True, text=f"{incident.ref} timeline, page {page} of {pages}",
                      blocks=people_blocks.timeline_page(incident, entries, page, pages))

    surface.action(Action.TIMELINE_OLDER)(timeline_page)
    surface.action(Action.TIMELINE_NEWER)(timeline_page)

    @surface.view(Callback.RESOLVE)
    async def resolve_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = read_text_values(view, Block.RESOLUTION, Block.IMPACT, Block.ROOT_CAUSE)
        if not values[Block.RESOLUTION].strip():
            await ack(response_action="errors", errors={Block.RESOLUTION: "Say how the incident was resolved."})
            return
        if errors := control_errors(values):
            await ack(response_action="errors", errors=errors)
            return
        chosen = selected_value(view, Block.CLASS)
        channel_id = str(view_metadata(view).get("channel_id", ""))
        # A read before the ack: what the policy needs before resolving is asked for in the form, text kept.
        incident = await services.incidents.for_channel(body["team"]["id"], channel_id)
        missing = missing_at_resolve(services.policy.classes, chosen or incident.incident_class,
                                     incident.custom_fields, require_class=services.policy.class_required_at_resolve)
        if missing:
            await ack(response_action="errors", errors={
                Block.CLASS if k == "incident_class" else Block.RESOLUTION: v for k, v in missing.items()})
            return
        await ack()
        await services.reviews.resolve(body["team"]["id"], incident.id, body["user"]["id"], {
            "resolution": values[Block.RESOLUTION], "impact": values[Block.IMPACT],
            "root_cause": values[Block.ROOT_CAUSE]}, incident_class=chosen)

    @surface.shortcut(Callback.ADD_TO_TIMELINE, "Add to timeline", "Add this message to the incident timeline")
    async def add_to_timeline(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        message = body["message"]
        captured = await services.timeline.capture(body["team"]["id"], ChatMessage(
            channel_id=body["channel"]["id"], ts=message["ts"], user_id=message.get("user", ""),
            text=message.get("text", "")), actor=body["user"]["id"], via="shortcut")
        text = "Added to the timeline." if captured else "That message is already on the timeline."
        await respond(response_type="ephemeral", replace_original=False, text=text)
