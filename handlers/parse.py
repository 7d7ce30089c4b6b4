"""Parse `/incident` command text into a typed command (syntax only; policy checks come after)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from bot.domain.errors import InvalidCommand

USAGE = {
    "declare": "/incident declare <severity> <title> [--service <name>]",
    "status": "/incident status <new status>",
    "severity": "/incident severity <severity>",
    "list": "/incident list",
    "help": "/incident help",
}


@dataclass(frozen=True)
class OpenDeclareModal:
    """`/incident` or `/incident declare` with nothing else: open the declare form."""


@dataclass(frozen=True)
class Declare:
    """`/incident declare sev1 Imports failing`."""

    severity: str
    title: str
    service: str = ""


@dataclass(frozen=True)
class ChangeStatus:
    """`/incident status identified`."""

    status: str


@dataclass(frozen=True)
class ChangeSeverity:
    """`/incident severity sev2`."""

    severity: str


@dataclass(frozen=True)
class ListOpen:
    """`/incident list`."""


@dataclass(frozen=True)
class Help:
    """`/incident help`."""


Command = OpenDeclareModal | Declare | ChangeStatus | ChangeSeverity | ListOpen | Help


def _usage(sub: str) -> str:
    return f"Usage: `{USAGE[sub]}`"


def _split_service(words: list[str]) -> tuple[list[str], str]:
    """Pull `--service NAME` (or `--service=NAME`) out of the words."""
    rest: list[str] = []
    service = ""
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--service":
            if i + 1 >= len(words):
                raise InvalidCommand(f"`--service` needs a name. {_usage('declare')}")
            service, i = words[i + 1], i + 2
            continue
        if word.startswith("--service="):
            service = word.split("=", 1)[1]
        else:
            rest.append(word)
        i += 1
    return rest, service


def parse_command(text: str) -> Command:
    """Turn the text after `/incident` into a Command, or raise InvalidCommand saying what to type."""
    try:
        words = shlex.split(text or "")
    except ValueError:
        words = (text or "").split()
    if not words:
        return OpenDeclareModal()
    sub, args = words[0].lower(), words[1:]
    if sub == "declare":
        if not args:
            return OpenDeclareModal()
        args, service = _split_service(args)
        if len(args) < 2:
            raise InvalidCommand(f"Give a severity and a title. {_usage('declare')}, e.g. `/incident declare sev1 Imports failing`.")
        return Declare(severity=args[0], title=" ".join(args[1:]), service=service)
    if sub == "status":
        if len(args) != 1:
            raise InvalidCommand(f"Give the new status. {_usage('status')}, e.g. `/incident status identified`.")
        return ChangeStatus(status=args[0].lower())
    if sub in ("severity", "sev"):
        if len(args) != 1:
            raise InvalidCommand(f"Give the new severity. {_usage('severity')}, e.g. `/incident severity sev2`.")
        return ChangeSeverity(severity=args[0])
    if sub in ("list", "ls"):
        return ListOpen()
    if sub in ("help", "?"):
        return Help()
    raise InvalidCommand(
        f"`{words[0][:40]}` is not an /incident command. Try one of: "
        + ", ".join(f"`{u}`" for u in USAGE.values())
    )
