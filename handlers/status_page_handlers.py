"""The status page in Slack: the page's update form, a preview's Publish and Discard, and
`/incident statuspage private` (the resolved notice's offer opens the update form: handlers/update_handlers.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.domain.errors import InvalidCommand
from bot.domain.status_page import PUBLIC_TITLE_MAX, PageStatus
from bot.services.container import Services
from bot.services.status_page import PageForm
from bot.services.updates import UPDATE_MAX, Audience
from handlers import status_blocks
from handlers.answer import Answer, answer_in_ack, within_ack_time
from handlers.format import escape
from handlers.ids import Action, Block, Callback, Field
from handlers.modals import control_errors, read_text_values
from handlers.payload import count_value, view_metadata
from handlers.subcommand import Call, Command, Subcommand
from handlers.surface import Surface

_STATUS_OPTIONS = [{"text": {"type": "plain_text", "text": s.value.capitalize()}, "value": s.value} for s in PageStatus]
FORM_ERRORS = {"text": Block.UPDATE_TEXT, "public_title": Block.PUBLIC_TITLE}


def page_update_modal(channel_id: str, audience: Audience, form: PageForm) -> dict[str, Any]:
    """The update form for the page: its text, its public status and, before the first publish, a public title."""
    blocks: list[dict[str, Any]] = [{"type": "context", "elements": [{"type": "mrkdwn", "text":
        "For the *public status page*. Previewed in the incident channel; published when the comms lead or the "
        "commander confirms. Only what you write here is published."}]}]
    if form.first:
        blocks.append({"type": "input", "block_id": Block.PUBLIC_TITLE,
                       "label": {"type": "plain_text", "text": "Public title"},
                       "hint": {"type": "plain_text", "text": "What customers read; the internal title stays internal."},
                       "element": {"type": "plain_text_input", "action_id": Field.VALUE,
                                   "max_length": PUBLIC_TITLE_MAX}})
    else:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"Public title: *{escape(form.public_title)}*"}})
    selected = next(o for o in _STATUS_OPTIONS if o["value"] == form.status.value)
    blocks += [
        {"type": "input", "block_id": Block.PAGE_STATUS, "label": {"type": "plain_text", "text": "Status"},
         "element": {"type": "static_select", "action_id": Field.VALUE, "options": _STATUS_OPTIONS,
                     "initial_option": selected}},
        {"type": "input", "block_id": Block.UPDATE_TEXT, "label": {"type": "plain_text", "text": "Update"},
         "element": {"type": "plain_text_input", "action_id": Field.VALUE, "multiline": True,
                     "max_length": UPDATE_MAX, "initial_value": form.text[:UPDATE_MAX]}},
    ]
    return {"type": "modal", "callback_id": Callback.PAGE_UPDATE,
            "title": {"type": "plain_text", "text": "Status page update"},
            "submit": {"type": "plain_text", "text": "Preview"}, "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps({"channel_id": channel_id, "audience": audience.value}),
            "blocks": blocks}


def _selected_status(view: dict[str, Any]) -> PageStatus:
    element = view.get("state", {}).get("values", {}).get(Block.PAGE_STATUS, {}).get(Field.VALUE, {})
    option = element.get("selected_option") if isinstance(element, dict) else None
    try:
        return PageStatus(str(option.get("value")) if isinstance(option, dict) else "investigating")
    except ValueError:
        return PageStatus.INVESTIGATING


@dataclass(frozen=True)
class StatusPageCommand(Command):
    """`/incident statuspage`: where the incident stands with the page; `private`: keep it off the page for good."""

    action: str = ""


def _parse(typed: Any) -> StatusPageCommand:
    action = (typed.args[0] if typed.args else "").lower()
    if action not in ("", "private"):
        raise InvalidCommand("Use `/incident statuspage` to see where this incident stands with the status page, "
                             "or `/incident statuspage private` to keep it off the page for good.")
    return StatusPageCommand(action=action)


async def _statuspage(parsed: StatusPageCommand, call: Call) -> None:
    if not parsed.action:
        async def describe() -> Answer:
            return await call.services.status_page.describe(call.team_id, call.channel_id), []
        await answer_in_ack(call.ack, call.respond, describe())
        return
    await call.ack(response_type="ephemeral", text="Keeping this incident off the status page…")
    incident = await call.services.status_page.make_private(call.team_id, call.channel_id, call.user_id)
    await call.respond(response_type="ephemeral", text=f"{incident.ref} is private: it never appears on the status page.")


STATUSPAGE = Subcommand("statuspage", "/incident statuspage [private]", _parse, (StatusPageCommand,), _statuspage,
                        aliases=("status-page", "status_page"))


def register(surface: Surface, services: Services) -> None:
    """Register the page form's submission and a preview's buttons."""

    @surface.view(Callback.PAGE_UPDATE)
    async def page_update_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = read_text_values(view, Block.UPDATE_TEXT, Block.PUBLIC_TITLE)
        if errors := control_errors(values):
            await ack(response_action="errors", errors=errors)
            return
        meta = view_metadata(view)
        team_id, channel_id = body["team"]["id"], str(meta.get("channel_id", ""))
        asked = Block.PUBLIC_TITLE in view.get("state", {}).get("values", {})  # the form asks it at the first publish
        title = values[Block.PUBLIC_TITLE] if asked else None
        # Checked before the ack (a read), so the form shows what is wrong; stored only after it.
        errors = await within_ack_time(services.status_page.form_errors(
            team_id, channel_id, values[Block.UPDATE_TEXT], title), {})
        if errors:
            await ack(response_action="errors",
                      errors={FORM_ERRORS.get(k, Block.UPDATE_TEXT): v for k, v in errors.items()})
            return
        await ack()
        await services.status_page.propose(team_id, channel_id, body["user"]["id"], body=values[Block.UPDATE_TEXT],
                                           status=_selected_status(view), public_title=title or "")

    async def settle(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond,
                     publish: bool) -> None:
        await ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        draft_id = count_value(action.get("value"), 0)
        use = services.status_page.publish if publish else services.status_page.discard
        done = await use(team_id, draft_id, user_id)
        incident = await services.incidents.for_channel(team_id, body["channel"]["id"])
        await respond(replace_original=True, text=f"{incident.ref}: status page update settled",
                      blocks=status_blocks.settled(incident, done.status.value, user_id, publish))

    @surface.action(Action.PAGE_PUBLISH)
    async def publish(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await settle(ack, body, action, respond, True)

    @surface.action(Action.PAGE_DISCARD)
    async def discard(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await settle(ack, body, action, respond, False)
