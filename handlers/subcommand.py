"""What one `/incident` sub-command declares: its usage, its parser and its handler, in one place.

A feature module declares `Subcommand(...)` values next to the Command types they parse to and the
handlers that run them; handlers/subcommands.py lists them, and a unit test checks that every
declaration is listed and that every Command type has exactly one handler.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.container import Services

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class Command:
    """What a person asked for with `/incident …`: one frozen dataclass per kind, parsed from the text."""


C = TypeVar("C", bound=Command)


@dataclass(frozen=True)
class Typed:
    """A sub-command's text as typed, for its parser."""

    text: str  # as Slack sent it (escaped), with the sub-command word
    words: list[str]  # as typed; words[0] is the sub-command
    slack_words: list[str]  # as Slack sent them: a mention still carries the user id
    usage: str  # "Usage: `/incident …`", for error texts

    @property
    def args(self) -> list[str]:
        """The words after the sub-command."""
        return self.words[1:]

    @property
    def rest(self) -> str:
        """The raw text after the sub-command (notes keep their own spacing and quotes)."""
        parts = (self.text or "").strip().split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclass(frozen=True)
class Call:
    """One `/incident` request as a handler needs it: the command payload, Bolt's answerers and the use cases."""

    command: dict[str, Any]
    ack: AsyncAck
    respond: AsyncRespond
    client: AsyncWebClient
    services: Services

    @property
    def team_id(self) -> str:
        """The workspace the command came from."""
        team_id: str = self.command["team_id"]
        return team_id

    @property
    def user_id(self) -> str:
        """Who typed the command."""
        user_id: str = self.command["user_id"]
        return user_id

    @property
    def channel_id(self) -> str:
        """Where it was typed ("" when Slack did not say)."""
        channel_id: str = self.command.get("channel_id", "")
        return channel_id


@dataclass(frozen=True, eq=False)
class Subcommand(Generic[C]):
    """One sub-command: its name and aliases, usage line, parser, the Command types it parses to, and handler."""

    name: str
    usage: str
    parse: Callable[[Typed], C]
    types: tuple[type[C], ...]
    handle: Callable[[C, Call], Awaitable[None]]
    aliases: tuple[str, ...] = ()
    # Checks that need no database, run before the ack so a mistake is answered in the ack.
    check: Callable[[C, Call], None] | None = None


def user_id_of(word: str) -> str | None:
    """The user id in `<@U123|name>` (Slack's escaped mention) or a bare `U123`."""
    match = _MENTION.fullmatch(word.strip())
    if match:
        return match.group(1)
    return word if _USER_ID.match(word) else None
