"""Parse `/incident` command text into a typed command (syntax only; policy checks come after)."""

from __future__ import annotations

import difflib
import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import InvalidCommand
from handlers.command_text import checked_command_text, from_slack
from handlers.format import escape

USAGE = {
    "declare": "/incident declare <severity> <title> [--service <name>]",
    "status": "/incident status <new status>",
    "severity": "/incident severity <severity>",
    "role": "/incident role <role> @user",
    "handover": "/incident handover @user",
    "note": "/incident note [decision:|action:|update:] <text>",
    "timeline": "/incident timeline [page]",
    "milestone": "/incident milestone <started|detected|acknowledged|mitigated|resolved> <time>",
    "followup": "/incident followup <text> [@owner]",
    "resolve": "/incident resolve",
    "runbook": "/incident runbook [name]",
    "update": "/incident update [internal|customer|status_page|resolved]",
    "oncall": "/incident oncall",
    "stats": "/incident stats [7d|30d|90d|YYYY-MM-DD..YYYY-MM-DD]",
    "export": "/incident export [INC-42] [md|json]",
    "list": "/incident list",
    "help": "/incident help",
}
DECLARE_FLAGS = {"--service": "--service <name>"}  # flag -> how it is written
_FLAG = re.compile(r"^--[A-Za-z]")  # `--x…`; a bare `--` or `-` stays part of the title
_SERVICE_OPTION = re.compile(r"(?:^|\s)--service(?:=|\s+)(?:\"[^\"]*\"|'[^']*'|\S+)")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


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


@dataclass(frozen=True)
class AssignRole:
    """`/incident role commander @ana`."""

    role: str
    user_id: str


@dataclass(frozen=True)
class Handover:
    """`/incident handover @ana`."""

    user_id: str


@dataclass(frozen=True)
class Note:
    """`/incident note decision: roll back`."""

    text: str


@dataclass(frozen=True)
class ShowTimeline:
    """`/incident timeline [page]`."""

    page: int = 1


@dataclass(frozen=True)
class SetMilestone:
    """`/incident milestone detected 14:02`."""

    milestone: str
    when: str


@dataclass(frozen=True)
class AddFollowUp:
    """`/incident followup Add an alert @ana`."""

    text: str
    owner: str | None = None


@dataclass(frozen=True)
class Resolve:
    """`/incident resolve`: opens the resolution form."""


@dataclass(frozen=True)
class RunbookCommand:
    """`/incident runbook [name]`: attach one, or list the ones that match."""

    name: str = ""


@dataclass(frozen=True)
class PostUpdate:
    """`/incident update customer`: opens the status update form for that audience."""

    audience: str = "internal"


@dataclass(frozen=True)
class ShowOnCall:
    """`/incident oncall`."""


@dataclass(frozen=True)
class ShowStats:
    """`/incident stats 30d`."""

    period: str = ""


@dataclass(frozen=True)
class Export:
    """`/incident export [INC-42] [md|json]`: the review of this channel's incident, or of INC-42."""

    ref: str = ""
    fmt: str = "md"


Command = (OpenDeclareModal | Declare | ChangeStatus | ChangeSeverity | ListOpen | Help | AssignRole | Handover
           | Note | ShowTimeline | SetMilestone | AddFollowUp | Resolve | ShowStats | RunbookCommand
           | PostUpdate | ShowOnCall | Export)


def user_id_of(word: str) -> str | None:
    """The user id in `<@U123|name>` (Slack's escaped mention) or a bare `U123`."""
    match = _MENTION.fullmatch(word.strip())
    if match:
        return match.group(1)
    return word if _USER_ID.match(word) else None


def _rest(text: str) -> str:
    """The raw text after the sub-command (notes keep their own spacing and quotes)."""
    parts = (text or "").strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _usage(sub: str) -> str:
    return f"Usage: `{USAGE[sub]}`"


def _unknown_flag(flag: str) -> str:
    """A flag declare does not know: name the valid ones (and the likely one) instead of titling the incident with it."""
    valid = ", ".join(f"`{v}`" for v in DECLARE_FLAGS.values())
    close = difflib.get_close_matches(flag.lower(), DECLARE_FLAGS, n=1)
    guess = f" Did you mean `{close[0]}`?" if close else ""
    return f"`{escape(flag[:40])}` is not a flag of /incident declare; valid flags: {valid}.{guess} {_usage('declare')}"


def _unknown_command(word: str) -> str:
    """A sub-command that does not exist: the closest one's usage, else every command."""
    close = difflib.get_close_matches(word.lower(), USAGE, n=2)
    if close:
        guesses = " or ".join(f"`{c}`" for c in close)
        usages = " or ".join(f"`{USAGE[c]}`" for c in close)
        return f"`{escape(word[:40])}` is not an /incident command. Did you mean {guesses}? Usage: {usages}"
    return f"`{escape(word[:40])}` is not an /incident command. Try one of: " + ", ".join(f"`{u}`" for u in USAGE.values())


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
        elif _FLAG.match(word):
            raise InvalidCommand(_unknown_flag(word.split("=", 1)[0]))
        else:
            rest.append(word)
        i += 1
    return rest, service


def _export(args: list[str]) -> Export:
    formats = [a.lower() for a in args if a.lower() in ("md", "json")]
    refs = [a for a in args if a.lower() not in ("md", "json")]
    if len(formats) > 1 or len(refs) > 1:
        raise InvalidCommand(f"{_usage('export')}: at most one incident and one format.")
    return Export(ref=refs[0] if refs else "", fmt=formats[0] if formats else "md")


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
    sub, args = words[0].lower(), words[1:]
    if sub == "declare":
        if not args:
            return OpenDeclareModal()
        args, service = _split_service(args)
        if len(args) < 2:
            raise InvalidCommand(f"Give a severity and a title. {_usage('declare')}, e.g. `/incident declare sev1 Imports failing`.")
        # The title as typed (quotes and apostrophes kept), without the severity and --service.
        raw = _SERVICE_OPTION.sub(" ", _rest(text)).split(maxsplit=1)
        title = from_slack(raw[1].strip()) if len(raw) > 1 else ""
        if len(title) >= 2 and title[0] == title[-1] and title[0] in "\"'":
            title = title[1:-1]
        return Declare(severity=args[0], title=title, service=service)
    if sub == "status":
        if len(args) != 1:
            raise InvalidCommand(f"Give the new status. {_usage('status')}, e.g. `/incident status identified`.")
        return ChangeStatus(status=args[0].lower())
    if sub in ("severity", "sev"):
        if len(args) != 1:
            raise InvalidCommand(f"Give the new severity. {_usage('severity')}, e.g. `/incident severity sev2`.")
        return ChangeSeverity(severity=args[0])
    if sub == "role":
        user = user_id_of(slack_words[2]) if len(args) == 2 else None
        if user is None:
            raise InvalidCommand(f"Name the role and mention the person. {_usage('role')}, e.g. `/incident role commander @ana`.")
        return AssignRole(role=args[0].lower(), user_id=user)
    if sub == "handover":
        user = user_id_of(slack_words[1]) if len(args) == 1 else None
        if user is None:
            raise InvalidCommand(f"Mention who takes over. {_usage('handover')}.")
        return Handover(user_id=user)
    if sub == "note":
        return Note(text=from_slack(_rest(text), keep_people=True))
    if sub == "timeline":
        page = count_value(args[0] if args else "1", 0)
        if len(args) > 1 or not page:
            raise InvalidCommand(f"{_usage('timeline')}: the page is a number.")
        return ShowTimeline(page=page)
    if sub == "milestone":
        if len(args) < 2:
            raise InvalidCommand(f"Name the milestone and the time. {_usage('milestone')}, e.g. `/incident milestone detected 14:02`.")
        return SetMilestone(milestone=args[0], when=" ".join(args[1:]))
    if sub in ("followup", "follow-up"):
        body = _rest(text)
        words_ = body.split()
        owner = user_id_of(words_[-1]) if words_ else None
        if owner is not None:
            body = body[: body.rfind(words_[-1])].strip()
        return AddFollowUp(text=from_slack(body), owner=owner)
    if sub == "resolve":
        return Resolve()
    if sub in ("oncall", "on-call"):
        return ShowOnCall()
    if sub == "update":
        return PostUpdate(audience=args[0] if args else "internal")
    if sub in ("runbook", "runbooks"):
        return RunbookCommand(name=" ".join(args))
    if sub == "stats":
        return ShowStats(period=" ".join(args))
    if sub == "export":
        return _export(args)
    if sub in ("list", "ls"):
        return ListOpen()
    if sub in ("help", "?"):
        return Help()
    raise InvalidCommand(_unknown_command(words[0]))


# Payloads: Slack's shapes are trusted only after these checks (a malformed one is a stale button, not a crash).
STALE = "That button or form is out of date; run the command again."
MAX_COUNT = 2**31 - 1  # ids and pages fit the database's integer columns


def payload_text(payload: Any, *path: str | int) -> str:
    """The non-empty string at `path` in a payload (e.g. "team", "id"); InvalidCommand when there is none."""
    value = payload
    for key in path:
        if isinstance(key, str) and isinstance(value, dict):
            value = value.get(key)
        elif isinstance(key, int) and isinstance(value, list) and 0 <= key < len(value):
            value = value[key]
        else:
            raise InvalidCommand(STALE)
    if not isinstance(value, str) or not value:
        raise InvalidCommand(STALE)
    return value


def count_value(value: Any, default: int) -> int:
    """A whole number from 1 to MAX_COUNT written in ASCII digits (a button value, a page), else `default`."""
    text = value if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_COUNT:
        return int(text)
    return default


def view_metadata(view: Any) -> dict[str, Any]:
    """A modal's private_metadata (JSON Warroom wrote); InvalidCommand when it is not ours."""
    raw = view.get("private_metadata") if isinstance(view, dict) else None
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except (ValueError, RecursionError):
        raise InvalidCommand(STALE) from None
    if not isinstance(data, dict):
        raise InvalidCommand(STALE)
    return data
