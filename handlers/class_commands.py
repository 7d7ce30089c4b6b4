"""`/incident field <name> <value>`: set a custom field of the incident's class."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import InvalidCommand
from handlers.command_text import from_slack
from handlers.subcommand import Call, Command, Subcommand, Typed


@dataclass(frozen=True)
class SetField(Command):
    """`/incident field tenant acme-corp`."""

    name: str
    value: str


def _parse_field(typed: Typed) -> SetField:
    parts = typed.rest.split(maxsplit=1)
    if len(parts) < 2:
        raise InvalidCommand(f"Give a field and its value. {typed.usage}, e.g. `/incident field tenant acme-corp`.")
    # The value as typed; a person stays the mention Slack sent (`<@U1>`), which a user field needs.
    return SetField(name=from_slack(parts[0]), value=from_slack(parts[1], keep_people=True))


async def _set_field(parsed: SetField, call: Call) -> None:
    await call.ack()
    await call.services.classes.set_field(call.team_id, call.channel_id, call.user_id, parsed.name, parsed.value)


FIELD = Subcommand("field", "/incident field <name> <value>", _parse_field, (SetField,), _set_field)
