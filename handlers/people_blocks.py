"""Block Kit for roles, handovers, follow-ups and the timeline (pure functions)."""

from __future__ import annotations

from typing import Any

from bot.domain.chat import HandoverSummary
from bot.domain.incident import FollowUp, Incident, TimelineEntry
from bot.domain.policy import Policy
from handlers.format import defang, escape, slack_date
from handlers.ids import Action, Block

TIMELINE_PAGE_SIZE = 20


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text if len(text) <= 3000 else text[:2999] + "…"}}


def role_elements(incident: Incident, policy: Policy) -> list[dict[str, Any]]:
    """A user select per role (preset to the holder) and a "take" button per role."""
    elements: list[dict[str, Any]] = []
    for role in policy.roles:
        select: dict[str, Any] = {
            "type": "users_select", "action_id": f"{Action.ROLE_SELECT}{role.id}",
            "placeholder": {"type": "plain_text", "text": f"Assign {role.label.lower()}"[:150]},
        }
        if role.id in incident.roles:
            select["initial_user"] = incident.roles[role.id]
        elements.append(select)
    for role in policy.roles:
        elements.append({"type": "button", "action_id": f"{Action.TAKE_ROLE}{role.id}", "value": role.id,
                         "text": {"type": "plain_text", "text": f"Take {role.label.lower()}"[:75]}})
    return elements


def role_dm(incident: Incident, policy: Policy, role_id: str) -> list[dict[str, Any]]:
    """The DM a new role holder gets: the duties and where the incident stands."""
    role = policy.role(role_id)
    status = policy.lifecycle.get(incident.status).label
    due = incident.next_update_due(policy)
    return [
        _section(f"You are now the *{role.label.lower()}* of *{incident.ref}: {escape(incident.title)}* in <#{incident.channel_id}>."),
        _section(f"*Your duties:* {role.duties}"),
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"{incident.severity} · {status} · next update due {slack_date(due) if due else '—'}"}]},
    ]


def handover(summary: HandoverSummary, policy: Policy) -> list[dict[str, Any]]:
    """The commander handover summary posted in the incident channel."""
    incident = summary.incident
    status = policy.lifecycle.get(incident.status).label
    previous = f"<@{summary.from_user}>" if summary.from_user else "nobody"
    steps = "\n".join(f"• {escape(s)}" for s in summary.open_steps) or "_No runbook steps open._"
    followups = "\n".join(f"• {escape(f.text)}" + (f" (<@{f.owner}>)" if f.owner else "") for f in summary.open_followups[:15])
    due = slack_date(summary.next_update_due) if summary.next_update_due else "—"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Handover: {incident.ref}"[:150]}},
        _section(f"<@{summary.to_user}> takes over as incident commander from {previous}."),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Status*\n{status}"},
            {"type": "mrkdwn", "text": f"*Severity*\n{incident.severity}"},
            {"type": "mrkdwn", "text": f"*Next update due*\n{due}"},
        ]},
        _section(f"*Open runbook steps*\n{steps}"),
        _section(f"*Open follow-ups*\n{followups or '_None._'}"),
    ]


def followup(item: FollowUp) -> list[dict[str, Any]]:
    """A follow-up with a button that closes it (or its done state)."""
    owner = f" · owner <@{item.owner}>" if item.owner else ""
    if not item.open:
        return [_section(f":white_check_mark: ~{escape(item.text)}~{owner} · done by <@{item.done_by}>")]
    return [
        _section(f":clipboard: *Follow-up:* {escape(item.text)}{owner}"),
        {"type": "actions", "block_id": Block.FOLLOWUP_ACTIONS, "elements": [
            {"type": "button", "action_id": Action.FOLLOWUP_DONE, "value": str(item.id), "style": "primary",
             "text": {"type": "plain_text", "text": "Mark done"}}]},
    ]


def timeline_page(incident: Incident, entries: list[TimelineEntry], page: int, pages: int) -> list[dict[str, Any]]:
    """One page of the timeline (newest page first), within Slack's 50-block limit."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": f"{incident.ref} timeline"}}]
    if not entries:
        blocks.append(_section("_Nothing on the timeline yet._"))
    for entry in entries:
        link = f" <{entry.permalink}|view>" if entry.permalink else ""
        blocks.append(_section(f"{slack_date(entry.occurred_at, '{date_short} {time}')} · <@{entry.author}> · "
                               f"_{entry.kind.value}_\n{defang(entry.text)}{link}"))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Page {page} of {pages} (newest first)"}]})
    nav = []
    if page < pages:
        nav.append({"type": "button", "action_id": Action.TIMELINE_OLDER, "value": str(page + 1),
                    "text": {"type": "plain_text", "text": "Older"}})
    if page > 1:
        nav.append({"type": "button", "action_id": Action.TIMELINE_NEWER, "value": str(page - 1),
                    "text": {"type": "plain_text", "text": "Newer"}})
    if nav:
        blocks.append({"type": "actions", "block_id": Block.TIMELINE_NAV, "elements": nav})
    return blocks

