"""Block Kit for messages: pure functions from domain values to dicts (never call Slack)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.classes import class_label, field_values
from bot.domain.incident import Incident
from bot.domain.milestones import format_duration
from bot.domain.news import Announcement, News
from bot.domain.policy import Policy
from bot.domain.text import mention
from handlers.format import clip as _text
from handlers.format import clip_escaped, escape, link, slack_date
from handlers.ids import Action, Block
from handlers.people_blocks import role_elements

HEADER_MAX = 150
TOPIC_MAX = 250  # Slack's limit for a channel topic
RESOLUTION_FIELD_MAX = 900  # three of them fit one section (3000)
COMMANDER = "commander"
SEVERITY_EMOJI = (":red_circle:", ":large_orange_circle:", ":large_yellow_circle:", ":large_blue_circle:")


def severity_emoji(policy: Policy, severity_id: str) -> str:
    """A coloured circle by rank, most severe red."""
    rank = policy.severities.get(severity_id).rank
    return SEVERITY_EMOJI[min(rank, len(SEVERITY_EMOJI) - 1)]


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": _text(text, 75)}, "value": value}


def status_options(policy: Policy, incident: Incident) -> list[dict[str, Any]]:
    """Options for the statuses the incident may move to."""
    return [
        _option(policy.lifecycle.get(s).label, s) for s in policy.lifecycle.allowed_from(incident.status)
    ]


def custom_field_lines(incident: Incident, policy: Policy) -> list[str]:
    """`*Label*: value` for each custom field of the incident's class that is set or required."""
    return [f"*{escape(f.label)}*: " + (
        (f.shown(value) if len(value) <= 300 else clip_escaped(value, 300)) if value else "_required before resolving_")
            for f, value in field_values(policy.classes, incident.incident_class, incident.custom_fields)
            if value or f.required]


def severity_options(policy: Policy) -> list[dict[str, Any]]:
    """One option per severity, most severe first."""
    return [
        _option(f"{s.id} · {s.label}", s.id) for s in sorted(policy.severities.levels, key=lambda s: s.rank)
    ]


def incident_card(incident: Incident, policy: Policy) -> list[dict[str, Any]]:
    """The live incident card: what, how bad, where it stands, who leads, when the next update is due."""
    severity = policy.severities.get(incident.severity)
    status = policy.lifecycle.get(incident.status)
    due = incident.next_update_due(policy)
    fields = [
        f"*Severity*\n{severity_emoji(policy, severity.id)} {severity.id} · {severity.label}",
        f"*Status*\n{status.emoji} {status.label}".replace("\n ", "\n"),
        *(f"*{label}*\n" + (f"<@{incident.roles[key]}>" if key in incident.roles else "_unassigned_")
          for key, label in ((r.id, r.label) for r in policy.roles)),
        f"*Next update due*\n{slack_date(due) if due else '—'}",
        f"*Declared by*\n{mention(incident.declared_by)} {slack_date(incident.declared_at, '{time}')}",
    ]
    if incident.service:
        fields.append(f"*Service*\n{clip_escaped(incident.service, 200)}")
    if incident.incident_class:
        fields.append(f"*Class*\n{clip_escaped(class_label(policy.classes, incident.incident_class), 200)}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _text(f"{incident.ref}: {incident.title}", HEADER_MAX)}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": _text(f, 2000)} for f in fields[:10]]},
    ]
    if lines := custom_field_lines(incident, policy):
        # One section for every custom field: the fields list above is capped at ten by Block Kit.
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _text("\n".join(lines), 3000)}})
    if incident.summary:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip_escaped(incident.summary, 3000)}})
    if incident.links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _text(" · ".join(
            link(url, label) for label, url in incident.links.items()), 2000)}]})
    elements: list[dict[str, Any]] = []
    options = status_options(policy, incident)
    if options:
        elements.append({
            "type": "static_select", "action_id": Action.CARD_STATUS,
            "placeholder": {"type": "plain_text", "text": "Change status"}, "options": options,
        })
    elements.append({
        "type": "static_select", "action_id": Action.CARD_SEVERITY,
        "placeholder": {"type": "plain_text", "text": "Change severity"},
        "options": [o for o in severity_options(policy) if o["value"] != incident.severity],
    })
    if policy.lifecycle.is_open(incident.status):
        elements.append({"type": "button", "action_id": Action.POST_UPDATE, "style": "primary",
                         "text": {"type": "plain_text", "text": "Post update"}})
    blocks.append({"type": "actions", "block_id": Block.CARD_ACTIONS, "elements": elements})
    if policy.lifecycle.is_open(incident.status):
        blocks.append({"type": "actions", "block_id": Block.CARD_ROLES, "elements": role_elements(incident, policy)})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _text(
        f"{severity.description} Updates every {_every(severity.update_cadence)}.", 2000)}]})
    return blocks


def _every(cadence: timedelta) -> str:
    """A cadence as people say it: `20 s`, `15 min`, `1 h` (whole hours), `1 h 30 min`."""
    seconds = int(cadence.total_seconds())
    return f"{seconds // 3600} h" if seconds >= 3600 and seconds % 3600 == 0 else format_duration(cadence)


def card_text(incident: Incident) -> str:
    """The fallback text for notifications and screen readers (Slack parses it as mrkdwn: the title escaped)."""
    return f"{incident.ref} [{incident.severity}] {escape(incident.title)} — {incident.status}"


def topic(incident: Incident, policy: Policy) -> str:
    """The incident channel topic: reference, severity, status, commander and the title (escaped, cut to fit)."""
    parts = [incident.ref, incident.severity, policy.lifecycle.get(incident.status).label]
    commander = incident.roles.get(COMMANDER)
    if commander:
        parts.append(f"{policy.role(COMMANDER).label} <@{commander}>")
    head = " · ".join([*parts, ""])
    return head + clip_escaped(incident.title, TOPIC_MAX - len(head))


def announcement(incident: Incident, policy: Policy) -> list[dict[str, Any]]:
    """The announcement of a new incident, with a link to its channel."""
    severity = policy.severities.get(incident.severity)
    where = f"<#{incident.channel_id}>" if incident.channel_id else "its channel"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": _text(
            f"{severity_emoji(policy, severity.id)} *{incident.ref}* declared by {mention(incident.declared_by)}: "
            f"*{escape(incident.title)}*\n{severity.id} · {severity.label} — join {where}", 3000)}},
    ]


NEWS_EMOJI = {News.SEVERITY_RAISED: ":arrow_up:", News.SEVERITY_LOWERED: ":arrow_down:",
              News.RESOLVED: ":white_check_mark:", News.REOPENED: ":leftwards_arrow_with_hook:"}


def _what_changed(incident: Incident, policy: Policy, news: Announcement) -> str:
    if news.news in (News.SEVERITY_RAISED, News.SEVERITY_LOWERED):
        severity = policy.severities.get(incident.severity)
        verb = "raised" if news.news is News.SEVERITY_RAISED else "lowered"
        return f"{verb} to {severity.id} · {severity.label} (was {news.previous})"
    if news.news is News.REOPENED:
        return f"reopened (was {policy.lifecycle.get(news.previous).label})"
    return "resolved"


def change_announcement(incident: Incident, policy: Policy, news: Announcement) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and blocks announcing a change stakeholders follow, with a link to the channel."""
    title, what = escape(incident.title), _what_changed(incident, policy, news)
    lines = [f"{NEWS_EMOJI[news.news]} *{incident.ref}* {what} by {mention(news.actor)}: *{title}*"]
    if news.news is News.RESOLVED:
        details = (("Resolution", incident.resolution), ("Impact", incident.impact), ("Root cause", incident.root_cause))
        lines += [f"*{label}:* {clip_escaped(value, RESOLUTION_FIELD_MAX)}" for label, value in details if value]
    status = policy.lifecycle.get(incident.status).label
    where = f"<#{incident.channel_id}>" if incident.channel_id else "its channel"
    lines.append(f"{incident.severity} · {status} — {where}")
    text = _text(f"{incident.ref} {what}: {title}", 3000)
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": _text("\n".join(lines), 3000)}}]


def incident_list(incidents: list[Incident], policy: Policy) -> list[dict[str, Any]]:
    """Open incidents, most recent first, within the 50-block message limit."""
    if not incidents:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": "No open incidents. :tada:"}}]
    shown = incidents[:45]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Open incidents ({len(incidents)})"}}
    ]
    for inc in shown:
        where = f"<#{inc.channel_id}>" if inc.channel_id else "_no channel_"
        status = policy.lifecycle.get(inc.status).label
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _text(
            f"{severity_emoji(policy, inc.severity)} *{inc.ref}* {escape(inc.title)}\n"
            f"{inc.severity} · {status} · {where} · declared {slack_date(inc.declared_at)}", 3000)}})
    if len(incidents) > len(shown):
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"…and {len(incidents) - len(shown)} more."}]})
    return blocks


def help_blocks(policy: Policy, usages: list[str]) -> list[dict[str, Any]]:
    """What /incident can do (`usages`, one line per sub-command), with the policy's severities and statuses."""
    severities = "\n".join(
        f"• *{s.id}* ({', '.join(s.aliases) or 'no aliases'}): {s.description}"
        for s in sorted(policy.severities.levels, key=lambda s: s.rank)
    )
    statuses = " → ".join(s.id for s in policy.lifecycle.statuses)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Warroom commands*\n" + "\n".join(
            f"• `{u}`" for u in usages) + "\n• `/incident` alone opens the declare form."}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _text(f"*Severities*\n{severities}", 3000)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _text(f"Statuses: {statuses}", 2000)}]},
    ]


def duplicate_prompt(duplicates: list[Incident], policy: Policy, pending_value: str) -> list[dict[str, Any]]:
    """Show likely duplicates before creating a new incident; offer to declare anyway."""
    lines = "\n".join(
        f"• *{d.ref}* {escape(d.title)} ({d.severity}, {policy.lifecycle.get(d.status).label})"
        + (f" in <#{d.channel_id}>" if d.channel_id else "")
        for d in duplicates[:10]
    )
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": _text(
            f":warning: This looks like an incident that is already open:\n{lines}\n"
            "Join it instead, or declare a new incident anyway.", 3000)}},
        {"type": "actions", "block_id": Block.DUPLICATE_ACTIONS, "elements": [
            {"type": "button", "action_id": Action.DECLARE_ANYWAY, "style": "danger",
             "text": {"type": "plain_text", "text": "Declare anyway"}, "value": pending_value[:2000]},
        ]},
    ]
