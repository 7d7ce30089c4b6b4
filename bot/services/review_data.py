"""What a post-incident review is built from (`ReviewData`, loaded in one unit of work) and the durations both
of its forms show: the Markdown (`review.py`) and the JSON (`review_json.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.incident import (
    AuditEvent,
    FollowUp,
    Incident,
    Milestone,
    RoleAssignment,
    TimelineEntry,
)
from bot.domain.policy import Policy
from bot.services.people import mentioned

DURATION_NAMES = (
    ("TTD", "Time to detect", "time_to_detect"),
    ("TTA", "Time to acknowledge", "time_to_acknowledge"),
    ("TTM", "Time to mitigate", "time_to_mitigate"),
    ("TTR", "Time to resolve", "time_to_resolve"),
)


@dataclass(frozen=True)
class ReviewData:
    """Everything the review is built from, loaded by the caller in one unit of work."""

    incident: Incident
    policy: Policy
    timeline: list[TimelineEntry]
    roles: list[RoleAssignment]
    followups: list[FollowUp]
    actions: list[AuditEvent]
    generated_at: datetime
    names: Mapping[str, str] = field(default_factory=dict)  # user id -> display name

    @property
    def visible_timeline(self) -> list[TimelineEntry]:
        """Entries not withdrawn, in the order they happened."""
        return sorted((e for e in self.timeline if e.visible), key=lambda e: (e.occurred_at, e.id or 0))

    @property
    def assignments(self) -> list[RoleAssignment]:
        """Every role assignment in the order it began."""
        return sorted(self.roles, key=lambda r: (r.assumed_at, r.id or 0))

    @property
    def handovers(self) -> list[RoleAssignment]:
        """Role assignments that took a role over from someone else."""
        return [r for r in self.assignments if r.handover]

    @property
    def runbook_steps(self) -> list[AuditEvent]:
        """Runbook steps taken during the incident, in order."""
        steps = (a for a in self.actions if a.action.startswith("runbook."))
        return sorted(steps, key=lambda a: (a.at, a.id or 0))

    @property
    def sorted_followups(self) -> list[FollowUp]:
        """Follow-ups in the order they were raised."""
        return sorted(self.followups, key=lambda f: (f.created_at, f.id or 0))

    def people(self) -> set[str]:
        """Every user id the review shows: authors, holders, owners, actors, and people mentioned in text."""
        found = {self.incident.declared_by}
        for e in self.visible_timeline:
            found |= {e.author, *mentioned(e.text)}
        for r in self.roles:
            found |= {r.user_id, r.assigned_by}
        for f in self.followups:
            found |= {f.owner or "", *mentioned(f.text)}
        for a in self.runbook_steps:
            found |= {a.actor, str(a.after.get("approver") or "")}
        return {u for u in found if u}

    @property
    def resolved_at(self) -> datetime | None:
        """When the incident was resolved (the milestone, else the incident's own field)."""
        return self.incident.milestones.get(Milestone.RESOLVED.value) or self.incident.resolved_at
