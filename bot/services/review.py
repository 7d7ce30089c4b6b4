"""The post-incident review as Markdown, from a Jinja2 template (the same content as JSON: review_json.py).

Everything a template shows is computed here, already formatted as text in the policy's time
zone, so a template only places strings. `review_context(data)` gives a custom template:

    incident      ref, number, title, severity, severity_label, status, status_label, service
                  (escaped for a table cell), class_label ("—" without a class), declared_by ("Ana Lopez"), declared_at, resolved_at
                  ("—" while open), open_for, summary, resolution, impact, root_cause, channel_id
    timezone      the IANA zone times are shown in, e.g. "Europe/Berlin"
    milestones    [{name, label, at}] for started, detected, acknowledged, mitigated, resolved ("—" if unset)
    durations     [{abbr, name, value}] for TTD, TTA, TTM, TTR (value like "12 min", "—" if unknown)
    timeline      [{time, author, kind, text, permalink, line}] visible entries in the order they
                  happened; text is plain (mentions as names, Slack's &amp; &lt; &gt; decoded);
                  permalink is "" when there is none, line is the ready-made Markdown bullet
    roles         [{role, role_label, holder, assigned_by, since, until, handover, line}] in order
    handovers     the roles items that were handovers
    actions       [{time, actor, action, text, line}] runbook steps taken
    followups     [{text, owner, done, checkbox, line}]; checkbox is "x" or " "
    fields        [{name, label, value, line}] the custom fields of the incident's class ("—" if unset; a
                  person by name); line is the ready-made table row
    generated_at  when the review was generated

People appear by name (`names`: user id -> display name, looked up by the caller); a user id nobody
could name shows as the bare id. Templates are rendered with StrictUndefined: a misspelt field fails with ConfigError naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined, Template, TemplateSyntaxError, UndefinedError

from bot.domain.classes import class_label, field_values
from bot.domain.errors import ConfigError
from bot.domain.incident import AuditEvent, Milestone
from bot.domain.milestones import durations, format_duration, time_zone
from bot.domain.runbook import show_value
from bot.services.people import People
from bot.services.review_data import DURATION_NAMES, ReviewData

CONTEXT_FIELDS = (
    "incident", "timezone", "milestones", "durations", "timeline", "roles", "handovers", "actions",
    "followups", "generated_at", "fields",
)


def _clock(zone: tzinfo) -> Callable[[datetime | None], str]:
    """A formatter for times in `zone`; made once per review because 10,000 entries use it."""

    def show(when: datetime | None) -> str:
        return "—" if when is None else when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return show


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.replace("|", "\\|").split())


def _bullet_text(text: str) -> str:
    # Continuation lines are indented so multi-line messages stay inside their bullet.
    return "\n  ".join(text.strip().splitlines()) or "(empty)"


def _step_text(event: AuditEvent, people: People) -> str:
    """`ran “Disable imports” (runbook): FEATURE_IMPORTS True → False, approved by Ana — done`."""
    after = event.after
    verb = "rolled back" if event.action.endswith("rolled_back") else "ran"
    title = after.get("title") or after.get("step") or event.action
    change = (f": {after['flag']} {show_value(event.before.get('value'))} → {show_value(after.get('value'))}"
              if after.get("flag") else "")
    approved = f", approved by {people.who(str(after['approver']))}" if after.get("approver") else ""
    result = "done" if after.get("ok") else f"failed: {after.get('error') or 'unknown error'}"
    return people.plain(f"{verb} “{title}” ({after.get('runbook', '')}){change}{approved} — {result}")


def _labels(data: ReviewData) -> tuple[str, str]:
    # A severity or status since removed from the policy still renders, by its id.
    severities = {level.id: level.label for level in data.policy.severities.levels}
    statuses = {status.id: status.label for status in data.policy.lifecycle.statuses}
    severity, status = data.incident.severity, data.incident.status
    return severities.get(severity, severity), statuses.get(status, status)


def review_context(data: ReviewData) -> dict[str, Any]:
    """The fields a review template may use (see the module docstring), all preformatted."""
    show = _clock(time_zone(data.policy.timezone))
    people = People(data.names)
    _user = people.who
    incident = data.incident
    severity_label, status_label = _labels(data)
    resolved_at = data.resolved_at
    open_for = format_duration((resolved_at or data.generated_at) - incident.declared_at)
    measured = durations(incident.milestones)
    timeline = []
    for entry in data.visible_timeline:
        when, author, kind, text = show(entry.occurred_at), _user(entry.author), str(entry.kind), people.plain(entry.text)
        link = f" [message]({entry.permalink})" if entry.permalink else ""
        timeline.append({
            "time": when, "author": author, "kind": kind, "text": text,
            "permalink": entry.permalink or "",
            "line": f"- **{when}** · {author} · _{kind}_ — {_bullet_text(text)}{link}",
        })
    roles, role_labels = [], {role.id: role.label for role in data.policy.roles}
    for r in data.assignments:
        label = role_labels.get(r.role, r.role)
        holder, by, since = _user(r.user_id), _user(r.assigned_by), show(r.assumed_at)
        until = show(r.relinquished_at) if r.relinquished_at else "now"
        mark = "**Handover** — " if r.handover else ""
        roles.append({
            "role": r.role, "role_label": label, "holder": holder, "assigned_by": by,
            "since": since, "until": until, "handover": r.handover,
            "line": f"- {mark}{label}: {holder} from {since} to {until} (assigned by {by})",
        })
    followups = []
    for f in data.sorted_followups:
        box = " " if f.open else "x"
        owner = f"owner {_user(f.owner)}" if f.owner else "no owner yet"
        done = f" (done {show(f.done_at)})" if f.done_at else ""
        text = people.plain(f.text)
        followups.append({
            "text": text, "owner": _user(f.owner) if f.owner else "", "done": not f.open, "checkbox": box,
            "line": f"- [{box}] {_bullet_text(text)} — {owner}{done}",
        })
    fields = []
    for field, value in field_values(data.policy.classes, incident.incident_class, incident.custom_fields):
        shown = _cell(people.plain(value)) or "—"
        fields.append({"name": field.name, "label": field.label, "value": shown,
                       "line": f"| {_cell(field.label)} | {shown} |"})
    return {
        "incident": {
            "ref": incident.ref, "number": incident.number, "title": incident.title,
            "severity": incident.severity, "severity_label": severity_label,
            "status": incident.status, "status_label": status_label,
            "service": _cell(incident.service) or "—", "declared_by": _cell(_user(incident.declared_by)),
            "declared_at": show(incident.declared_at), "resolved_at": show(resolved_at),
            "open_for": open_for if resolved_at else f"{open_for} (still open)",
            "summary": incident.summary, "resolution": incident.resolution, "impact": incident.impact,
            "root_cause": incident.root_cause, "channel_id": incident.channel_id or "",
            "class_label": _cell(class_label(data.policy.classes, incident.incident_class))
            if incident.incident_class else "—",
        },
        "fields": fields,
        "timezone": data.policy.timezone,
        "milestones": [
            {"name": m.value, "label": m.value.capitalize(), "at": show(incident.milestones.get(m.value))}
            for m in Milestone
        ],
        "durations": [
            {"abbr": abbr, "name": name, "value": format_duration(getattr(measured, attr))}
            for abbr, name, attr in DURATION_NAMES
        ],
        "timeline": timeline,
        "roles": roles,
        "handovers": [r for r in roles if r["handover"]],
        "actions": [
            {"time": show(a.at), "actor": _user(a.actor), "action": a.action, "text": _step_text(a, people),
             "line": f"- **{show(a.at)}** · {_user(a.actor)} {_bullet_text(_step_text(a, people))}"}
            for a in data.runbook_steps
        ],
        "followups": followups,
        "generated_at": show(data.generated_at),
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=32)
def _compile(source: str) -> Template:
    # Compiling costs far more than rendering; a team has one or two templates, so cache by text.
    return _environment().from_string(source)


@lru_cache(maxsize=1)
def default_template() -> str:
    """The shipped review template (package data `bot/templates/review.md.j2`)."""
    return resources.files("bot").joinpath("templates/review.md.j2").read_text(encoding="utf-8")


def render_markdown(data: ReviewData, template: str | None = None) -> str:
    """The review as Markdown, from `template` (Jinja2 source) or the shipped default."""
    source = default_template() if template is None else template
    try:
        compiled = _compile(source)
    except TemplateSyntaxError as exc:
        raise ConfigError(f"The review template has an error on line {exc.lineno}: {exc.message}") from exc
    try:
        return compiled.render(review_context(data))
    except UndefinedError as exc:
        raise ConfigError(
            f"The review template uses a field that does not exist: {exc.message}. "
            f"Available fields: {', '.join(CONTEXT_FIELDS)} (see bot/services/review.py)."
        ) from exc
