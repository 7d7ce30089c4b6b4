"""/incident sub-commands for roles, the timeline, milestones, follow-ups, resolving and stats."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.container import Services
from bot.services.updates import parse_audience
from handlers import people_blocks
from handlers.answer import Answer, answer_in_ack
from handlers.modals import resolve_modal
from handlers.parse import (
    AddFollowUp,
    AssignRole,
    Command,
    Handover,
    Note,
    PostUpdate,
    Resolve,
    RunbookCommand,
    SetMilestone,
    ShowOnCall,
    ShowStats,
    ShowTimeline,
)
from handlers.runbook_handlers import runbook_command
from handlers.stats_blocks import oncall_blocks as stats_blocks_oncall
from handlers.stats_blocks import stats_blocks
from handlers.update_handlers import open_update_form


async def handle_people_command(parsed: Command, command: dict[str, Any], ack: AsyncAck, respond: AsyncRespond,
                                client: AsyncWebClient, services: Services) -> None:
    """Ack, run the one use case the command names, answer ephemerally where there is something to say."""
    team_id, user_id, channel_id = command["team_id"], command["user_id"], command.get("channel_id", "")
    match parsed:
        case AssignRole(role=role, user_id=target):
            await ack()
            incident = await services.incidents.for_channel(team_id, channel_id)
            await services.roles.assign(team_id, incident.id, user_id, role, target)  # type: ignore[arg-type]
        case Handover(user_id=target):
            await ack()
            incident = await services.incidents.for_channel(team_id, channel_id)
            steps = await services.runbooks.open_steps(team_id, incident.id)  # type: ignore[arg-type]
            await services.roles.handover(team_id, incident.id, user_id, target, steps)  # type: ignore[arg-type]
        case Note(text=text):
            await ack()
            entry = await services.timeline.note(team_id, channel_id, user_id, text)
            await respond(response_type="ephemeral", text=f"Added to the timeline as a {entry.kind.value}.")
        case ShowTimeline(page=page):
            await ack()
            incident, entries, page, pages = await services.timeline.page(
                team_id, channel_id, page, people_blocks.TIMELINE_PAGE_SIZE)
            await respond(response_type="ephemeral", text=f"{incident.ref} timeline, page {page} of {pages}",
                          blocks=people_blocks.timeline_page(incident, entries, page, pages))
        case SetMilestone(milestone=name, when=when):
            await ack()
            await services.reviews.set_milestone(team_id, channel_id, user_id, name, when)
            await respond(response_type="ephemeral", text=f"Milestone {name} set.")
        case AddFollowUp(text=text, owner=owner):
            await ack()
            await services.reviews.add_followup(team_id, channel_id, user_id, text, owner)
        case Resolve():
            await ack()  # the form opens at once (the trigger expires in seconds); the channel is checked on submit
            await client.views_open(trigger_id=command["trigger_id"], view=resolve_modal(channel_id))
        case ShowOnCall():
            await ack(response_type="ephemeral", text="Who is on call",
                      blocks=stats_blocks_oncall(services.oncall.now_and_next()))
        case PostUpdate(audience=audience):
            chosen = parse_audience(audience)
            await ack()
            await open_update_form(client, services, command["trigger_id"], team_id, channel_id, chosen)
        case RunbookCommand(name=name):
            await runbook_command(name, command, ack, respond, services)
        case ShowStats(period=period):
            async def stats() -> Answer:
                found = await services.reviews.stats(team_id, period)
                return f"Incident stats, {found.label}", stats_blocks(found)

            await answer_in_ack(ack, respond, stats())
