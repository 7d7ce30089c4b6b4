"""Every /incident sub-command, in the order help lists them, and dispatch by the parsed command's type.

To add one: declare a `Subcommand` in its feature module (beside its Command type, parser and handler)
and list it here; tests/unit/test_subcommands.py fails until both are done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers import (
    blocks,
    class_commands,
    export_commands,
    incident_commands,
    people_commands,
    runbook_handlers,
    status_page_handlers,
    update_handlers,
)
from handlers.subcommand import Call, Command, Subcommand


@dataclass(frozen=True)
class Help(Command):
    """`/incident help`."""


async def _help(parsed: Help, call: Call) -> None:
    await call.ack(response_type="ephemeral", text="Warroom help",
                   blocks=blocks.help_blocks(call.services.policy, [sub.usage for sub in SUBCOMMANDS]))


HELP = Subcommand("help", "/incident help", lambda typed: Help(), (Help,), _help, aliases=("?",))

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    incident_commands.DECLARE, incident_commands.STATUS, incident_commands.SEVERITY, incident_commands.CLASS,
    class_commands.FIELD,
    people_commands.ROLE, people_commands.HANDOVER, people_commands.NOTE, people_commands.TIMELINE,
    people_commands.MILESTONE, people_commands.FOLLOWUP, incident_commands.RESOLVE, runbook_handlers.RUNBOOK,
    update_handlers.UPDATE, status_page_handlers.STATUSPAGE, people_commands.ONCALL, export_commands.STATS, export_commands.EXPORT,
    incident_commands.LIST, HELP,
)


def _by_word() -> dict[str, Subcommand[Any]]:
    table: dict[str, Subcommand[Any]] = {}
    for sub in SUBCOMMANDS:
        for word in (sub.name, *sub.aliases):
            if word in table:
                raise ValueError(f"/incident {word} is declared twice")
            table[word] = sub
    return table


def _by_type() -> dict[type[Command], Subcommand[Any]]:
    table: dict[type[Command], Subcommand[Any]] = {}
    for sub in SUBCOMMANDS:
        for kind in sub.types:
            if kind in table:
                raise ValueError(f"{kind.__name__} has two handlers: {table[kind].name} and {sub.name}")
            table[kind] = sub
    return table


BY_WORD = _by_word()  # a sub-command's name or alias -> its declaration
BY_TYPE = _by_type()  # a parsed command's type -> the declaration whose handler runs it


def check(parsed: Command, call: Call) -> None:
    """The sub-command's checks that need no database (raise UserError), run before the ack."""
    sub = BY_TYPE[type(parsed)]
    if sub.check is not None:
        sub.check(parsed, call)


async def dispatch(parsed: Command, call: Call) -> None:
    """Run the handler declared for the parsed command's type (a type without one is a KeyError, not silence)."""
    await BY_TYPE[type(parsed)].handle(parsed, call)
