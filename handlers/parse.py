"""Parse `/incident` command text into a typed command (syntax only; policy checks come after)."""

from __future__ import annotations

import difflib
import shlex

from bot.domain.errors import InvalidCommand
from handlers.command_text import checked_command_text, from_slack
from handlers.format import escape
from handlers.incident_commands import OpenDeclareModal
from handlers.subcommand import Command, Typed, user_id_of
from handlers.subcommands import BY_WORD, SUBCOMMANDS

__all__ = ["USAGE", "Command", "parse_command", "user_id_of"]

USAGE = {sub.name: sub.usage for sub in SUBCOMMANDS}  # in the order help lists them


def _unknown_command(word: str) -> str:
    """A sub-command that does not exist: the closest one's usage, else every command."""
    close = difflib.get_close_matches(word.lower(), USAGE, n=2)
    if close:
        guesses = " or ".join(f"`{c}`" for c in close)
        usages = " or ".join(f"`{USAGE[c]}`" for c in close)
        return f"`{escape(word[:40])}` is not an /incident command. Did you mean {guesses}? Usage: {usages}"
    return f"`{escape(word[:40])}` is not an /incident command. Try one of: " + ", ".join(f"`{u}`" for u in USAGE.values())


def parse_command(text: str) -> Command:
    """Turn the text after `/incident` (as Slack sends it: escaped) into a Command holding what was typed,
    or raise InvalidCommand saying what to type."""
    text = checked_command_text(text or "")
    try:
        slack_words = shlex.split(text)
    except ValueError:
        slack_words = text.split()
    if not slack_words:
        return OpenDeclareModal()
    # Words as typed; a user argument is read from Slack's own form (`<@U1|ana>` carries the id).
    words = [from_slack(w) for w in slack_words]
    sub = BY_WORD.get(words[0].lower())
    if sub is None:
        raise InvalidCommand(_unknown_command(words[0]))
    return sub.parse(Typed(text=text, words=words, slack_words=slack_words, usage=f"Usage: `{sub.usage}`"))
