"""Every /incident sub-command is one declaration (usage, parser, handler), and dispatch covers them all."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import handlers
from bot.domain.errors import InvalidCommand
from handlers.parse import USAGE, parse_command
from handlers.subcommand import Call, Command, Subcommand
from handlers.subcommands import BY_TYPE, SUBCOMMANDS, dispatch
from tests.unit.services import make_world


def _declared() -> set[Subcommand[Any]]:
    """Every Subcommand declared at module level anywhere in handlers/."""
    found: set[Subcommand[Any]] = set()
    for info in pkgutil.iter_modules(handlers.__path__):
        module = importlib.import_module(f"handlers.{info.name}")
        found |= {value for value in vars(module).values() if isinstance(value, Subcommand)}
    return found


def _command_types() -> set[type]:
    """Every Command type, however deep."""
    seen: set[type] = set()
    todo = list(Command.__subclasses__())
    while todo:
        kind = todo.pop()
        seen.add(kind)
        todo.extend(kind.__subclasses__())
    return seen


def test_every_declared_subcommand_is_in_the_table_with_a_usage_a_parser_and_a_handler() -> None:
    assert _declared() == set(SUBCOMMANDS)
    for sub in SUBCOMMANDS:
        assert sub.usage.startswith(f"/incident {sub.name}"), sub.name
        assert callable(sub.handle), sub.name
        for word in (sub.name, *sub.aliases):  # the word alone parses to one of its types, or says its usage
            try:
                assert type(parse_command(word)) in sub.types, word
            except InvalidCommand as exc:
                assert f"`{sub.usage}`" in str(exc), word
    assert list(USAGE) == [sub.name for sub in SUBCOMMANDS]
    assert list(USAGE.values()) == [sub.usage for sub in SUBCOMMANDS]


def test_every_command_type_has_exactly_one_handler() -> None:
    assert set(BY_TYPE) == _command_types()
    declared = [kind for sub in SUBCOMMANDS for kind in sub.types]
    assert len(declared) == len(set(declared))


async def test_help_lists_exactly_the_declared_subcommands() -> None:
    acks: list[dict[str, Any]] = []

    async def ack(**answer: Any) -> None:
        acks.append(answer)

    world = make_world()
    call = Call({"team_id": "T1", "user_id": "U1", "channel_id": "C1", "text": "help"}, ack,  # type: ignore[arg-type]
                respond=None, client=None, services=world.services)  # type: ignore[arg-type]  # help answers in the ack
    await dispatch(parse_command("help"), call)
    listed = re.findall(r"• `(/incident[^`]*)`", acks[0]["blocks"][0]["text"]["text"])
    assert listed == [sub.usage for sub in SUBCOMMANDS] + ["/incident"]
