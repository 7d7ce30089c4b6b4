"""A slash command's text as Slack sends it, back to what the person typed, within a bound.

Slack writes `&`, `<` and `>` of a slash command's text as `&amp;`, `&lt;` and `&gt;`, and (with
`should_escape`, see bot/manifest.py) a typed `@ana`, `#general` or link as `<@U1|ana>`, `<#C1|general>`,
`<https://x.example|x.example>`. Modal inputs arrive raw. Warroom stores what people typed, so
`from_slack` undoes Slack's escaping exactly once; output escapes it again exactly once.

Slack documents no limit for a command's text (its message box splits messages past 4,000
characters); Warroom takes at most COMMAND_TEXT_MAX characters as typed (a title is 120, a note
3,000) and refuses more before any parsing, so parsing time stays bounded.
"""

from __future__ import annotations

import re

from bot.domain.errors import InvalidCommand
from bot.domain.text import control_character

COMMAND_TEXT_MAX = 4000
# Slack's escaping makes a character at most five (`&amp;`): anything longer as received is over the bound.
RECEIVED_MAX = COMMAND_TEXT_MAX * len("&amp;")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_ENTITY = re.compile(r"&(amp|lt|gt);")
_PERSON = re.compile(r"[UW][A-Z0-9]+")
# One pass over Slack's tokens and entities: a decoded `&lt;` is never read again (`&amp;lt;` is `&lt;`).
_SLACK = re.compile(r"<([@#!])([^<>|]*)(?:\|([^<>]*))?>|<([a-z][a-z0-9+.-]*:[^<>|]*)(?:\|([^<>]*))?>|&(amp|lt|gt);")


def _entities(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _typed(m: re.Match[str], keep_people: bool = False) -> str:
    sigil, target, label, url, url_label, entity = m.groups()
    if entity:
        return _ENTITIES[entity]
    if url is not None:  # Slack turned a typed address into a link: the address as typed
        return _entities(url_label or url)
    if sigil == "@" and keep_people and _PERSON.fullmatch(target):
        return f"<@{target}>"
    if sigil == "@":
        return "@" + _entities(label or target)
    if sigil == "#":
        return "#" + _entities(label or target)
    shown = _entities(label or target.split("^")[-1])  # <!here>, <!subteam^S1|@oncall>
    return shown if shown.startswith("@") else "@" + shown


def from_slack(text: str, *, keep_people: bool = False) -> str:
    """Slack's escaped command text as typed: entities decoded once, mentions and links as `@ana`, `#general`, the address.

    `keep_people` keeps a person Slack mentioned as `<@U1>` (a note: the timeline shows the person and the
    review names them); Warroom shows such a mention, never a special one (see handlers.format.defang).
    """
    return _SLACK.sub(lambda m: _typed(m, keep_people), text)


def checked_command_text(text: str) -> str:
    """`text` (as Slack sends it) when it is within the bound and has no control character, else InvalidCommand."""
    if len(text) > RECEIVED_MAX or len(typed := from_slack(text)) > COMMAND_TEXT_MAX:
        raise InvalidCommand(f"Keep the command under {COMMAND_TEXT_MAX:,} characters; put long text in the "
                             "declare or update form instead.")
    found = control_character(typed)
    if found:
        raise InvalidCommand(f"The command contains a control character ({found}); remove it and try again.")
    return text
