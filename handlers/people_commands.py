"""/incident sub-commands for people and the timeline: roles, handover, notes, milestones, follow-ups, on-call."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import InvalidCommand
from handlers import people_blocks
from handlers.command_text import from_slack
from handlers.payload import count_value
from handlers.stats_blocks import oncall_blocks
from handlers.subcommand import Call, Command, Subcommand, Typed, user_id_of


@dataclass(frozen=True)
class AssignRole(Command):
    """`/incident role commander @ana`."""

    role: str
    user_id: str


@dataclass(frozen=True)
class Handover(Command):
    """`/incident handover @ana`."""

    user_id: str


@dataclass(frozen=True)
class Note(Command):
    """`/incident note decision: roll back`."""

    text: str


@dataclass(frozen=True)
class ShowTimeline(Command):
    """`/incident timeline [page]`."""

    page: int = 1


@dataclass(frozen=True)
class SetMilestone(Command):
    """`/incident milestone detected 14:02`."""

    milestone: str
    when: str


@dataclass(frozen=True)
class AddFollowUp(Command):
    """`/incident followup Add an alert @ana`."""

    text: str
    owner: str | None = None


@dataclass(frozen=True)
class ShowOnCall(Command):
    """`/incident oncall`."""


def _parse_role(typed: Typed) -> AssignRole:
    user = user_id_of(typed.slack_words[2]) if len(typed.args) == 2 else None
    if user is None:
        raise InvalidCommand(f"Name the role and mention the person. {typed.usage}, e.g. `/incident role commander @ana`.")
    return AssignRole(role=typed.args[0].lower(), user_id=user)


async def _assign_role(parsed: AssignRole, call: Call) -> None:
    await call.ack()
    incident = await call.services.incidents.for_channel(call.team_id, call.channel_id)
    await call.services.roles.assign(call.team_id, incident.id, call.user_id, parsed.role, parsed.user_id)


def _parse_handover(typed: Typed) -> Handover:
    user = user_id_of(typed.slack_words[1]) if len(typed.args) == 1 else None
    if user is None:
        raise InvalidCommand(f"Mention who takes over. {typed.usage}.")
    return Handover(user_id=user)


async def _handover(parsed: Handover, call: Call) -> None:
    await call.ack()
    services = call.services
    incident = await services.incidents.for_channel(call.team_id, call.channel_id)
    steps = await services.runbooks.open_steps(call.team_id, incident.id)
    await services.roles.handover(call.team_id, incident.id, call.user_id, parsed.user_id, steps)


async def _note(parsed: Note, call: Call) -> None:
    await call.ack()
    entry = await call.services.timeline.note(call.team_id, call.channel_id, call.user_id, parsed.text)
    await call.respond(response_type="ephemeral", text=f"Added to the timeline as a {entry.kind.value}.")


def _parse_timeline(typed: Typed) -> ShowTimeline:
    page = count_value(typed.args[0] if typed.args else "1", 0)
    if len(typed.args) > 1 or not page:
        raise InvalidCommand(f"{typed.usage}: the page is a number.")
    return ShowTimeline(page=page)


async def _show_timeline(parsed: ShowTimeline, call: Call) -> None:
    await call.ack()
    incident, entries, page, pages = await call.services.timeline.page(
        call.team_id, call.channel_id, parsed.page, people_blocks.TIMELINE_PAGE_SIZE)
    await call.respond(response_type="ephemeral", text=f"{incident.ref} timeline, page {page} of {pages}",
                       blocks=people_blocks.timeline_page(incident, entries, page, pages))


def _parse_milestone(typed: Typed) -> SetMilestone:
    if len(typed.args) < 2:
        raise InvalidCommand(f"Name the milestone and the time. {typed.usage}, e.g. `/incident milestone detected 14:02`.")
    return SetMilestone(milestone=typed.args[0], when=" ".join(typed.args[1:]))


async def _set_milestone(parsed: SetMilestone, call: Call) -> None:
    await call.ack()
    await call.services.reviews.set_milestone(call.team_id, call.channel_id, call.user_id, parsed.milestone, parsed.when)
    await call.respond(response_type="ephemeral", text=f"Milestone {parsed.milestone} set.")


def _parse_followup(typed: Typed) -> AddFollowUp:
    body = typed.rest
    words = body.split()
    owner = user_id_of(words[-1]) if words else None
    if owner is not None:
        body = body[: body.rfind(words[-1])].strip()
    return AddFollowUp(text=from_slack(body), owner=owner)


async def _add_followup(parsed: AddFollowUp, call: Call) -> None:
    await call.ack()
    await call.services.reviews.add_followup(call.team_id, call.channel_id, call.user_id, parsed.text, parsed.owner)


async def _show_oncall(parsed: ShowOnCall, call: Call) -> None:
    blocks = oncall_blocks(call.services.oncall.now_and_next(), call.services.policy.catalog)
    await call.ack(response_type="ephemeral", text="Who is on call", blocks=blocks)


ROLE = Subcommand("role", "/incident role <role> @user", _parse_role, (AssignRole,), _assign_role)
HANDOVER = Subcommand("handover", "/incident handover @user", _parse_handover, (Handover,), _handover)
NOTE = Subcommand("note", "/incident note [decision:|action:|update:] <text>",
                  lambda typed: Note(text=from_slack(typed.rest, keep_people=True)), (Note,), _note)
TIMELINE = Subcommand("timeline", "/incident timeline [page]", _parse_timeline, (ShowTimeline,), _show_timeline)
MILESTONE = Subcommand("milestone", "/incident milestone <started|detected|acknowledged|mitigated|resolved> <time>",
                       _parse_milestone, (SetMilestone,), _set_milestone)
FOLLOWUP = Subcommand("followup", "/incident followup <text> [@owner]", _parse_followup, (AddFollowUp,), _add_followup,
                      aliases=("follow-up",))
ONCALL = Subcommand("oncall", "/incident oncall", lambda typed: ShowOnCall(), (ShowOnCall,), _show_oncall,
                    aliases=("on-call",))
