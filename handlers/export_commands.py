"""`/incident export`: the post-incident review, shown only to the person who may read it."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.services.container import Services
from handlers.format import clip_escaped, escape
from handlers.parse import Export

# Slack cuts message text at 40,000 characters; the fence and the note below must fit too.
EXPORT_TEXT_MAX = 39_000


def export_text(ref: str, fmt: str, document: str) -> str:
    """The review as an ephemeral message: in a code block, cut to fit, saying how to get all of it."""
    fenced = document.replace("```", "'''")
    body = clip_escaped(fenced, EXPORT_TEXT_MAX)  # a code block still parses `<!channel>`: escaped too
    note = "" if body == escape(fenced) else f"\n_Cut to fit Slack; `warroom export {ref} --format {fmt}` prints it all._"
    return f"*{ref} review* ({fmt})\n```\n{body}\n```{note}"


async def handle_export(parsed: Export, command: dict[str, Any], ack: AsyncAck, respond: AsyncRespond,
                        services: Services) -> None:
    """Ack at once, check the `export` capability in this workspace, then reply ephemerally."""
    await ack()
    incident, document = await services.export(command["team_id"], command.get("channel_id", ""),
                                               command["user_id"], parsed.ref, parsed.fmt)
    await respond(response_type="ephemeral", replace_original=False,
                  text=export_text(incident.ref, parsed.fmt, document))
