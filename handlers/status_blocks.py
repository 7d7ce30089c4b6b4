"""Block Kit for the status page: a draft's preview with Publish and Discard, the resolved notice's offer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.incident import Incident
from bot.domain.permissions import mention
from bot.domain.status_publishing import Draft
from handlers.format import escape
from handlers.ids import Action

PREVIEW_BODY_MAX = 2900  # a section's text holds 3000 characters


def preview_text(incident: Incident, draft: Draft) -> str:
    """The notification text of a preview."""
    return f"{incident.ref}: status page update waiting for confirmation ({draft.status.value})"


def preview(incident: Incident, draft: Draft, confirmers: Sequence[str], first: bool) -> list[dict[str, Any]]:
    """The draft as the page would show it, and who may publish it."""
    who = " or ".join(mention(user) for user in confirmers)
    lead = (f":eyes: *Status page preview* by {mention(draft.drafted_by)}. Publishing puts {incident.ref} on the "
            f"public status page under the title below." if first else
            f":eyes: *Status page preview* by {mention(draft.drafted_by)}.")
    shown = f"*{escape(draft.public_title)}*\n*{draft.status.value.capitalize()}* – {escape(draft.body)}"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": lead}},
        {"type": "section", "text": {"type": "mrkdwn", "text": shown[:PREVIEW_BODY_MAX]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{who} (the comms lead or the commander) "
                                          "confirms what customers read."[:2000]}]},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": Action.PAGE_PUBLISH, "style": "primary", "value": str(draft.id),
             "text": {"type": "plain_text", "text": "Publish"}},
            {"type": "button", "action_id": Action.PAGE_DISCARD, "value": str(draft.id),
             "text": {"type": "plain_text", "text": "Discard"}},
        ]},
    ]


def settled(incident: Incident, draft_status: str, by: str, published: bool) -> list[dict[str, Any]]:
    """The preview once it was published or discarded."""
    verb = ":white_check_mark: Published on the status page" if published else ":wastebasket: Discarded"
    return [{"type": "section", "text": {"type": "mrkdwn",
                                         "text": f"{verb} ({draft_status}) by {mention(by)}: {incident.ref}."}}]


def resolved_offer(incident: Incident) -> list[dict[str, Any]]:
    """Offer the resolved notice for the page."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text":
            f":white_check_mark: {incident.ref} is resolved. Tell the status page's readers too?"}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": Action.PAGE_RESOLVED, "style": "primary",
             "text": {"type": "plain_text", "text": "Write the resolved notice"}}]},
    ]
