"""User text as data: Slack's three markup characters escaped, characters no database column stores refused."""

from __future__ import annotations

import re

# C0 controls but tab and line breaks, DEL and C1 controls: PostgreSQL refuses NUL in text, and none of
# them is something a person means to type into a title, a note or a summary. A lone surrogate (a JSON
# "\ud800") cannot be encoded for any database.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


_USER = re.compile(r"[UW][A-Z0-9]+")


def mention(who: str) -> str:
    """A Slack mention of a user id; anything else (an alert source that declared) as escaped text."""
    return f"<@{who}>" if _USER.fullmatch(who) else escape(who)


def escape(text: str) -> str:
    """User text as data in mrkdwn, a topic or a notification: `&`, `<` and `>` as Slack's entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def control_character(text: str) -> str | None:
    """The first control character in `text` (tab and line breaks allowed) written as `U+0000`; None when none."""
    found = _CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def control_character_error(text: str, what: str) -> str | None:
    """The message refusing `text` for `what` (e.g. "The title") when it has a control character."""
    found = control_character(text)
    if found is None:
        return None
    kind = "an unpaired surrogate" if found >= "U+D800" else "a control character"
    return f"{what} contains {kind} ({found}); remove it and try again."
