"""The post-incident review as JSON for tools: ISO 8601 UTC times, durations in seconds, people by id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.domain.incident import Milestone
from bot.domain.milestones import durations
from bot.services.review_data import DURATION_NAMES, ReviewData


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def _jsonable(value: object) -> object:
    """Audit values as JSON: times as ISO strings, anything unknown as its text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def review_json(data: ReviewData) -> dict[str, Any]:
    """The review as JSON-serializable data: ISO 8601 UTC times, durations in seconds, people by id
    (and `people`: id -> name for those Slack could name)."""
    incident = data.incident
    measured = durations(incident.milestones)
    return {
        "incident": {
            "ref": incident.ref, "number": incident.number, "title": incident.title,
            "severity": incident.severity, "status": incident.status, "service": incident.service,
            "incident_class": incident.incident_class, "custom_fields": dict(incident.custom_fields),
            "summary": incident.summary, "resolution": incident.resolution, "impact": incident.impact,
            "root_cause": incident.root_cause, "declared_by": incident.declared_by,
            "declared_at": _iso(incident.declared_at), "resolved_at": _iso(data.resolved_at),
            "channel_id": incident.channel_id,
        },
        "milestones": {
            m.value: _iso(incident.milestones[m.value]) for m in Milestone if m.value in incident.milestones
        },
        "durations": {
            attr: None if (td := getattr(measured, attr)) is None else td.total_seconds()
            for _, _, attr in DURATION_NAMES
        },
        "timeline": [
            {"id": e.id, "occurred_at": _iso(e.occurred_at), "author": e.author, "kind": str(e.kind),
             "text": e.text, "permalink": e.permalink, "source": e.source}
            for e in data.visible_timeline
        ],
        "roles": [
            {"role": r.role, "user_id": r.user_id, "assigned_by": r.assigned_by, "from": _iso(r.assumed_at),
             "to": _iso(r.relinquished_at), "handover": r.handover}
            for r in data.assignments
        ],
        "actions": [
            {"id": a.id, "actor": a.actor, "action": a.action, "at": _iso(a.at),
             "before": _jsonable(a.before), "after": _jsonable(a.after)}
            for a in data.runbook_steps
        ],
        "followups": [
            {"id": f.id, "text": f.text, "owner": f.owner, "done": not f.open, "done_at": _iso(f.done_at),
             "created_by": f.created_by}
            for f in data.sorted_followups
        ],
        "people": {user: data.names[user] for user in sorted(data.people()) if user in data.names},
        "generated_at": _iso(data.generated_at),
    }
