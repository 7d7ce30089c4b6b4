"""Status updates in Slack: `/incident update`, the card's and reminders' "Post update" button, the form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import InvalidInput
from bot.services.container import Services
from bot.services.updates import UPDATE_MAX, Audience, parse_audience
from handlers.ids import Action, Block, Callback, Field
from handlers.modals import control_errors, read_text_values
from handlers.payload import count_value, view_metadata
from handlers.status_page_handlers import page_update_modal
from handlers.subcommand import Call, Command, Subcommand
from handlers.surface import Surface

MAX_SNOOZE_MINUTES = 24 * 60


@dataclass(frozen=True)
class PostUpdate(Command):
    """`/incident update customer`: opens the status update form for that audience."""

    audience: str = "internal"


def update_modal(channel_id: str, audience: Audience, text: str | None) -> dict[str, Any]:
    """The update form; without `text`, the placeholder shown while the draft is prepared."""
    view: dict[str, Any] = {
        "type": "modal", "callback_id": Callback.STATUS_UPDATE,
        "title": {"type": "plain_text", "text": "Status update"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"channel_id": channel_id, "audience": audience.value}),
    }
    if text is None:
        view["blocks"] = [{"type": "section", "text": {"type": "mrkdwn", "text": "Preparing the draft…"}}]
        return view
    view["submit"] = {"type": "plain_text", "text": "Post update"}
    view["blocks"] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"For: *{audience.value.replace('_', ' ')}*. Posted here and in the announcements channel; "
            "it restarts the update clock."}]},
        {"type": "input", "block_id": Block.UPDATE_TEXT, "label": {"type": "plain_text", "text": "Update"},
         "element": {"type": "plain_text_input", "action_id": Field.VALUE, "multiline": True,
                     "max_length": UPDATE_MAX, "initial_value": text[:UPDATE_MAX]}},
    ]
    return view


async def open_update_form(client: AsyncWebClient, services: Services, trigger_id: str, team_id: str,
                           channel_id: str, audience: Audience) -> None:
    """Open the form at once (the trigger expires in seconds), then fill it with the draft."""
    opened = await client.views_open(trigger_id=trigger_id, view=update_modal(channel_id, audience, None))
    if await services.status_page.goes_to_page(team_id, channel_id, audience):
        form = await services.status_page.form(team_id, channel_id, audience)
        view = page_update_modal(channel_id, audience, form)
    else:
        _, draft = await services.updates.draft(team_id, channel_id, audience)
        view = update_modal(channel_id, audience, draft)
    await client.views_update(view_id=opened["view"]["id"], hash=opened["view"].get("hash"), view=view)


async def _post_update(parsed: PostUpdate, call: Call) -> None:
    chosen = parse_audience(parsed.audience)
    await call.ack()
    await open_update_form(call.client, call.services, call.command["trigger_id"], call.team_id, call.channel_id, chosen)


UPDATE = Subcommand("update", "/incident update [internal|customer|status_page|resolved]",
                    lambda typed: PostUpdate(audience=typed.args[0] if typed.args else "internal"), (PostUpdate,),
                    _post_update)


def register(surface: Surface, services: Services) -> None:
    """Register the Post update button and the form's submission."""

    @surface.action(Action.POST_UPDATE)
    async def post_update_clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team_id, channel_id = body["team"]["id"], body["channel"]["id"]
        audience = await services.status_page.default_audience(team_id, channel_id)  # the page, when required
        await open_update_form(client, services, body["trigger_id"], team_id, channel_id, audience)

    async def snooze(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        minutes = min(count_value(action.get("value"), 15), MAX_SNOOZE_MINUTES)
        await services.updates.snooze(body["team"]["id"], body["channel"]["id"], body["user"]["id"], minutes)
        await respond(response_type="ephemeral", replace_original=False,
                      text=f"Update reminders snoozed for {minutes} min by <@{body['user']['id']}>.")

    @surface.action(Action.PAGE_RESOLVED)
    async def resolved_notice_clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()  # the resolved notice for the status page, offered when an incident on it is resolved
        await open_update_form(client, services, body["trigger_id"], body["team"]["id"], body["channel"]["id"],
                               Audience.RESOLVED)

    surface.action(Action.SNOOZE_UPDATE)(snooze)
    surface.action(Action.SNOOZE_UPDATE + "_30")(snooze)

    @surface.view(Callback.STATUS_UPDATE)
    async def update_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = read_text_values(view, Block.UPDATE_TEXT)[Block.UPDATE_TEXT]
        if not text.strip():
            await ack(response_action="errors", errors={Block.UPDATE_TEXT: "Write the update before posting it."})
            return
        if errors := control_errors({Block.UPDATE_TEXT: text}):
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        meta = view_metadata(view)
        try:
            audience = parse_audience(str(meta.get("audience", "internal")))
        except InvalidInput:
            audience = Audience.INTERNAL
        await services.updates.post(body["team"]["id"], str(meta.get("channel_id", "")), body["user"]["id"],
                                    audience, text)
