"""`/incident export` and `/incident stats`: reviews read back, shown only to the person who asked."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.classes import find_class
from bot.domain.errors import InvalidCommand
from handlers.answer import Answer, answer_in_ack
from handlers.format import clip_escaped, escape
from handlers.stats_blocks import stats_blocks
from handlers.subcommand import Call, Command, Subcommand, Typed

# Slack cuts message text at 40,000 characters; the fence and the note below must fit too.
EXPORT_TEXT_MAX = 39_000


@dataclass(frozen=True)
class Export(Command):
    """`/incident export [INC-42] [md|json]`: the review of this channel's incident, or of INC-42."""

    ref: str = ""
    fmt: str = "md"


@dataclass(frozen=True)
class ShowStats(Command):
    """`/incident stats 30d --class queue-failure`."""

    period: str = ""
    incident_class: str = ""


def export_text(ref: str, fmt: str, document: str) -> str:
    """The review as an ephemeral message: in a code block, cut to fit, saying how to get all of it."""
    fenced = document.replace("```", "'''")
    body = clip_escaped(fenced, EXPORT_TEXT_MAX)  # a code block still parses `<!channel>`: escaped too
    note = "" if body == escape(fenced) else f"\n_Cut to fit Slack; `warroom export {ref} --format {fmt}` prints it all._"
    return f"*{ref} review* ({fmt})\n```\n{body}\n```{note}"


def _parse_export(typed: Typed) -> Export:
    formats = [a.lower() for a in typed.args if a.lower() in ("md", "json")]
    refs = [a for a in typed.args if a.lower() not in ("md", "json")]
    if len(formats) > 1 or len(refs) > 1:
        raise InvalidCommand(f"{typed.usage}: at most one incident and one format.")
    return Export(ref=refs[0] if refs else "", fmt=formats[0] if formats else "md")


async def _export(parsed: Export, call: Call) -> None:
    """Ack at once, check the `export` capability in this workspace, then reply ephemerally."""
    await call.ack()
    incident, document = await call.services.export(call.team_id, call.channel_id, call.user_id, parsed.ref, parsed.fmt)
    await call.respond(response_type="ephemeral", replace_original=False,
                       text=export_text(incident.ref, parsed.fmt, document))


def _parse_stats(typed: Typed) -> ShowStats:
    period: list[str] = []
    incident_class = ""
    words = iter(typed.args)
    for word in words:
        flag, has_value, value = word.partition("=")
        if flag == "--class":
            incident_class = value if has_value else next(words, "")
            if not incident_class:
                raise InvalidCommand(f"`--class` needs a class. {typed.usage}, e.g. `/incident stats 90d --class "
                                     "queue-failure`.")
        elif word.startswith("--"):
            raise InvalidCommand(f"`{escape(flag[:40])}` is not a flag of /incident stats; the one flag is "
                                 f"`--class <class>`. {typed.usage}")
        else:
            period.append(word)
    return ShowStats(period=" ".join(period), incident_class=incident_class)


def _check_stats(parsed: ShowStats, call: Call) -> None:
    if parsed.incident_class:
        find_class(call.services.policy.classes, parsed.incident_class)  # raises naming the valid classes


async def _show_stats(parsed: ShowStats, call: Call) -> None:
    async def stats() -> Answer:
        label, kpis = await call.services.reviews.stats_with_insights(call.team_id, parsed.period,
                                                                      parsed.incident_class)
        return f"Incident stats, {label}", stats_blocks(label, kpis, call.services.policy.classes)

    await answer_in_ack(call.ack, call.respond, stats())


STATS = Subcommand("stats", "/incident stats [7d|30d|90d|YYYY-MM-DD..YYYY-MM-DD] [--class <class>]",
                   _parse_stats, (ShowStats,), _show_stats, check=_check_stats)
EXPORT = Subcommand("export", "/incident export [INC-42] [md|json]", _parse_export, (Export,), _export)
