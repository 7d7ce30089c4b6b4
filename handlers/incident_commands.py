"""/incident sub-commands of the incident's lifecycle: declare, status, severity, resolve, list."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.domain.classes import find_class
from bot.domain.errors import InvalidCommand
from bot.services.container import Services
from bot.services.declaration import DeclareRequest, DeclareResult, validate_declare
from handlers import blocks
from handlers.answer import Answer, answer_in_ack
from handlers.command_text import from_slack
from handlers.format import escape
from handlers.modals import declare_modal, resolve_modal
from handlers.subcommand import Call, Command, Subcommand, Typed

DECLARE_USAGE = "/incident declare <severity> <title> [--service <name>] [--class <class>]"
DECLARE_FLAGS = {"--service": "--service <name>", "--class": "--class <class>"}  # flag -> how it is written
_FLAG = re.compile(r"^--[A-Za-z]")  # `--x…`; a bare `--` or `-` stays part of the title
_OPTION = re.compile(r"(?:^|\s)--(?:service|class)(?:=|\s+)(?:\"[^\"]*\"|'[^']*'|\S+)")


@dataclass(frozen=True)
class OpenDeclareModal(Command):
    """`/incident` or `/incident declare` with nothing else: open the declare form."""


@dataclass(frozen=True)
class Declare(Command):
    """`/incident declare sev1 Imports failing`."""

    severity: str
    title: str
    service: str = ""
    incident_class: str = ""


@dataclass(frozen=True)
class ChangeStatus(Command):
    """`/incident status identified`."""

    status: str


@dataclass(frozen=True)
class ChangeSeverity(Command):
    """`/incident severity sev2`."""

    severity: str


@dataclass(frozen=True)
class ChangeClass(Command):
    """`/incident class queue-failure`."""

    incident_class: str


@dataclass(frozen=True)
class Resolve(Command):
    """`/incident resolve`: opens the resolution form."""


@dataclass(frozen=True)
class ListOpen(Command):
    """`/incident list`."""


def _unknown_flag(flag: str, usage: str) -> str:
    """A flag declare does not know: name the valid ones (and the likely one) instead of titling the incident with it."""
    valid = ", ".join(f"`{v}`" for v in DECLARE_FLAGS.values())
    close = difflib.get_close_matches(flag.lower(), DECLARE_FLAGS, n=1)
    guess = f" Did you mean `{close[0]}`?" if close else ""
    return f"`{escape(flag[:40])}` is not a flag of /incident declare; valid flags: {valid}.{guess} {usage}"


def _split_flags(words: list[str], usage: str) -> tuple[list[str], dict[str, str]]:
    """Pull `--service NAME` and `--class CLASS` (or `--flag=VALUE`) out of the words."""
    rest: list[str] = []
    flags: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        flag, equals, value = word.partition("=")
        if flag in DECLARE_FLAGS and ((not equals and i + 1 >= len(words)) or (equals and not value)):
            raise InvalidCommand(f"`{flag}` needs a {DECLARE_FLAGS[flag].split(' ', 1)[1][1:-1]}. {usage}")
        if word in DECLARE_FLAGS:
            flags[word], i = words[i + 1], i + 2
            continue
        if flag in DECLARE_FLAGS:
            flags[flag] = value
        elif _FLAG.match(word):
            raise InvalidCommand(_unknown_flag(flag, usage))
        else:
            rest.append(word)
        i += 1
    return rest, flags


def _parse_declare(typed: Typed) -> Declare | OpenDeclareModal:
    if not typed.args:
        return OpenDeclareModal()
    args, flags = _split_flags(typed.args, typed.usage)
    if len(args) < 2:
        raise InvalidCommand(f"Give a severity and a title. {typed.usage}, e.g. `/incident declare sev1 Imports failing`.")
    # The title as typed (quotes and apostrophes kept), without the severity and the flags.
    raw = _OPTION.sub(" ", typed.rest).split(maxsplit=1)
    title = from_slack(raw[1].strip()) if len(raw) > 1 else ""
    if len(title) >= 2 and title[0] == title[-1] and title[0] in "\"'":
        title = title[1:-1]
    return Declare(severity=args[0], title=title, service=flags.get("--service", ""),
                   incident_class=flags.get("--class", ""))


def _declare_request(parsed: Declare, call: Call) -> DeclareRequest:
    return validate_declare(DeclareRequest(
        team_id=call.team_id, user_id=call.user_id, severity=parsed.severity, title=parsed.title,
        service=parsed.service, source_channel_id=call.command.get("channel_id"),
        incident_class=parsed.incident_class), call.services.policy)


def _check_declare(parsed: Declare | OpenDeclareModal, call: Call) -> None:
    if isinstance(parsed, Declare):
        _declare_request(parsed, call)


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


async def _declare(parsed: Declare | OpenDeclareModal, call: Call) -> None:
    if isinstance(parsed, OpenDeclareModal):
        await call.ack()
        await call.client.views_open(trigger_id=call.command["trigger_id"], view=declare_modal(
            call.services.policy, source_channel_id=call.command.get("channel_id")))
        return
    request = _declare_request(parsed, call)  # pure; checked before the ack already, so it does not raise here
    await call.ack(response_type="ephemeral", text=f"Declaring {request.severity}: *{escape(request.title)}*…")
    result = await call.services.declare(request)
    pending = {"severity": request.severity, "title": request.title, "service": request.service,
               "incident_class": request.incident_class}
    await report_declared(call.respond, result, pending, call.services)


def _parse_status(typed: Typed) -> ChangeStatus:
    if len(typed.args) != 1:
        raise InvalidCommand(f"Give the new status. {typed.usage}, e.g. `/incident status identified`.")
    return ChangeStatus(status=typed.args[0].lower())


def _check_status(parsed: ChangeStatus, call: Call) -> None:
    call.services.policy.lifecycle.get(parsed.status)  # raises for a status the policy does not have


async def _change_status(parsed: ChangeStatus, call: Call) -> None:
    await call.ack()
    incidents = call.services.incidents
    incident = await incidents.for_channel(call.team_id, call.channel_id)
    await incidents.change_status(call.team_id, incident.id, call.user_id, parsed.status)


def _parse_severity(typed: Typed) -> ChangeSeverity:
    if len(typed.args) != 1:
        raise InvalidCommand(f"Give the new severity. {typed.usage}, e.g. `/incident severity sev2`.")
    return ChangeSeverity(severity=typed.args[0])


def _check_severity(parsed: ChangeSeverity, call: Call) -> None:
    call.services.policy.severities.resolve(parsed.severity)  # raises for a severity the policy does not have


async def _change_severity(parsed: ChangeSeverity, call: Call) -> None:
    await call.ack()
    incidents = call.services.incidents
    incident = await incidents.for_channel(call.team_id, call.channel_id)
    await incidents.change_severity(call.team_id, incident.id, call.user_id, parsed.severity)


def _parse_class(typed: Typed) -> ChangeClass:
    if not typed.args:
        raise InvalidCommand(f"Give the incident's class. {typed.usage}, e.g. `/incident class queue-failure`.")
    return ChangeClass(incident_class=" ".join(typed.args))  # a label may have spaces: `Queue failure`


def _check_class(parsed: ChangeClass, call: Call) -> None:
    find_class(call.services.policy.classes, parsed.incident_class)  # raises for a class the policy does not have


async def _change_class(parsed: ChangeClass, call: Call) -> None:
    await call.ack()
    incidents = call.services.incidents
    incident = await incidents.for_channel(call.team_id, call.channel_id)
    await incidents.change_class(call.team_id, incident.id, call.user_id, parsed.incident_class)


async def _resolve(parsed: Resolve, call: Call) -> None:
    await call.ack()  # the form opens at once (the trigger expires in seconds); the channel is checked on submit
    await call.client.views_open(trigger_id=call.command["trigger_id"], view=resolve_modal(call.channel_id,
                                                                                       call.services.policy))


async def _list_open(parsed: ListOpen, call: Call) -> None:
    async def listing() -> Answer:
        open_incidents = await call.services.incidents.list_open(call.team_id)
        return f"{len(open_incidents)} open incidents", blocks.incident_list(open_incidents, call.services.policy)

    await answer_in_ack(call.ack, call.respond, listing())


DECLARE = Subcommand[Declare | OpenDeclareModal](
    "declare", DECLARE_USAGE, _parse_declare, (Declare, OpenDeclareModal), _declare, check=_check_declare)
STATUS = Subcommand("status", "/incident status <new status>", _parse_status, (ChangeStatus,), _change_status,
                    check=_check_status)
SEVERITY = Subcommand("severity", "/incident severity <severity>", _parse_severity, (ChangeSeverity,),
                      _change_severity, aliases=("sev",),
                      check=_check_severity)
CLASS = Subcommand("class", "/incident class <class>", _parse_class, (ChangeClass,), _change_class,
                   check=_check_class)
RESOLVE = Subcommand("resolve", "/incident resolve", lambda typed: Resolve(), (Resolve,), _resolve)
LIST = Subcommand("list", "/incident list", lambda typed: ListOpen(), (ListOpen,), _list_open, aliases=("ls",))
