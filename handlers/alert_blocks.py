"""Block Kit for alerts: the triage message and the resolve prompt (pure functions, never call Slack)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.alert_ports import AlertGroup
from bot.domain.alerts import FIRING
from handlers.format import clip, clip_escaped, escape, link
from handlers.ids import Action, Block

MAX_LINES = 10  # alerts listed in a triage message; the rest are counted


def triage_text(group: AlertGroup) -> str:
    """The triage message's fallback text (notifications, screen readers)."""
    return f"{group.severity} alert: {escape(group.title)}"[:3000]


def triage(group: AlertGroup, outcome: str = "") -> list[dict[str, Any]]:
    """The triage message: what fires, for which service, its links and the Declare / Dismiss buttons
    (replaced by `outcome` once someone settled it)."""
    firing = [fp for fp, status in group.statuses.items() if status == FIRING]
    head = f":rotating_light: *{escape(group.severity)}* · {clip_escaped(group.title, 300)}"
    if group.service:
        head += f"\nService: *{clip_escaped(group.service, 100)}*"
    head += f"\n{len(firing)} of {len(group.statuses)} alerts firing" if firing else "\nEvery alert has resolved"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": clip(head, 3000)}}]
    if group.summary:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip_escaped(group.summary, 3000)}})
    lines = [group.lines.get(fp, fp) for fp in list(group.statuses)[:MAX_LINES]]
    if lines:
        more = len(group.statuses) - len(lines)
        text = "\n".join(f"• {clip_escaped(line, 280)}" for line in lines) + (f"\n…and {more} more" if more > 0 else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}})
    if group.links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(" · ".join(
            link(url, label) for label, url in group.links.items()), 2000)}]})
    if outcome:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(outcome, 2000)}]})
    else:
        blocks.append({"type": "actions", "block_id": Block.TRIAGE_ACTIONS, "elements": [
            {"type": "button", "action_id": Action.ALERT_DECLARE, "style": "primary", "value": str(group.id),
             "text": {"type": "plain_text", "text": "Declare"}},
            {"type": "button", "action_id": Action.ALERT_DISMISS, "value": str(group.id),
             "text": {"type": "plain_text", "text": "Dismiss"}},
        ]})
    return blocks


def alert_lines(lines: Sequence[str]) -> str:
    """Alerts that fired or resolved, as one message in the incident channel."""
    shown = [f"• {clip_escaped(line, 280)}" for line in lines[:MAX_LINES]]
    more = len(lines) - len(shown)
    return clip("\n".join([*shown, *([f"…and {more} more"] if more > 0 else [])]), 3900)


def resolve_prompt(incident_id: int, mention: str) -> list[dict[str, Any]]:
    """'All alerts resolved: resolve the incident?' with a button that opens the resolution form."""
    lead = f"{mention} " if mention else ""
    return [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f":white_check_mark: {lead}All alerts resolved: resolve the incident?"}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": Action.ALERT_RESOLVE, "style": "primary", "value": str(incident_id),
             "text": {"type": "plain_text", "text": "Resolve incident"}}]},
    ]
