"""Incidents and the records that hang off them (timeline, audit, roles)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from bot.domain.policy import Policy


class TimelineKind(StrEnum):
    """What a timeline entry records."""

    NOTE = "note"
    DECISION = "decision"
    ACTION = "action"
    UPDATE = "update"
    CHANGE = "change"


@dataclass(frozen=True, kw_only=True)
class NewIncident:
    """An incident about to be declared in one Slack workspace, before it is stored (it has no id yet)."""

    team_id: str
    number: int
    title: str
    severity: str
    status: str
    declared_by: str
    declared_at: datetime
    summary: str = ""
    service: str = ""
    channel_id: str | None = None
    channel_name: str | None = None
    card_ts: str | None = None
    source_channel_id: str | None = None
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    last_update_at: datetime | None = None
    roles: dict[str, str] = field(default_factory=dict)
    milestones: dict[str, datetime] = field(default_factory=dict)
    resolution: str = ""
    impact: str = ""
    root_cause: str = ""
    snoozed_until: datetime | None = None  # update reminders wait until then
    links: dict[str, str] = field(default_factory=dict)  # label -> URL shown on the card (an alert's source, runbook)
    incident_class: str | None = None  # the id of one of the policy's classes, once someone chose it
    custom_fields: dict[str, str] = field(default_factory=dict)  # the class's custom fields: name -> value

    @property
    def ref(self) -> str:
        """The human reference, e.g. INC-42."""
        return f"INC-{self.number}"

    @property
    def acknowledged_after(self) -> timedelta | None:
        """Detected -> acknowledged (MTTA's sample), or None while unacknowledged."""
        acknowledged = self.milestones.get(_ACKNOWLEDGED)
        return None if acknowledged is None else acknowledged - (self.milestones.get(_DETECTED) or self.declared_at)

    @property
    def resolved_after(self) -> timedelta | None:
        """Detected -> resolved (MTTR's sample), or None while unresolved."""
        # Incidents closed before milestones were recorded still carry resolved_at.
        resolved = self.milestones.get(_RESOLVED) or self.resolved_at
        return None if resolved is None else resolved - (self.milestones.get(_DETECTED) or self.declared_at)

    @property
    def has_root_cause(self) -> bool:
        """Its review has the root cause written (the report counts these post-mortems)."""
        return bool(self.root_cause.strip())

    def next_update_due(self, policy: Policy) -> datetime | None:
        """When the next status update is due under the severity's cadence (None once closed)."""
        if not policy.lifecycle.is_open(self.status):
            return None
        cadence = policy.severities.get(self.severity).update_cadence
        if cadence <= timedelta(0):
            return None
        due = (self.last_update_at or self.declared_at) + cadence
        return max(due, self.snoozed_until) if self.snoozed_until else due

    def covered_by(self, role_id: str) -> str:
        """Who answers for a role: its holder; else the commander covers it, and whoever declared covers the commander."""
        holder = self.roles.get(role_id)
        if holder:
            return holder
        return self.declared_by if role_id == "commander" else self.covered_by("commander")

    def with_changes(self, **changes: Any) -> Self:
        """A copy with some fields changed (`dataclasses.replace` checks the names when it runs)."""
        return replace(self, **changes)

    def stored_as(self, incident_id: int) -> Incident:
        """This incident as its repository stored it, under `incident_id`."""
        return Incident(id=incident_id, **{f.name: getattr(self, f.name) for f in fields(NewIncident)})


@dataclass(frozen=True, kw_only=True)
class Incident(NewIncident):
    """One stored incident in one Slack workspace: repositories return these, and their id is never None."""

    id: int


class Milestone(StrEnum):
    """Points in an incident's life that durations are measured between."""

    STARTED = "started"  # impact began (often back-filled)
    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"


# The keys the KPI samples read, as plain strings: an enum member's `.value` is looked up on every call otherwise,
# and the KPIs take the samples of every incident of a year.
_DETECTED, _ACKNOWLEDGED, _RESOLVED = Milestone.DETECTED.value, Milestone.ACKNOWLEDGED.value, Milestone.RESOLVED.value


@dataclass(frozen=True)
class TimelineEntry:
    """Something that happened during an incident, in time order.

    Entries captured from a Slack message keep the message's own time, author and permalink;
    `source_channel_id` + `source_ts` identify the message so it is captured only once.
    A withdrawn entry (source deleted, unpinned, reaction removed) stays in history but is
    hidden from the review.
    """

    incident_id: int
    team_id: str
    kind: TimelineKind
    text: str
    author: str
    occurred_at: datetime
    source: str = "warroom"
    id: int | None = None
    source_channel_id: str | None = None
    source_ts: str | None = None
    permalink: str | None = None
    captured_by: tuple[str, ...] = ()
    withdrawn_at: datetime | None = None
    edited_at: datetime | None = None

    @property
    def visible(self) -> bool:
        """Shown in the timeline and the review."""
        return self.withdrawn_at is None


@dataclass(frozen=True)
class RoleAssignment:
    """Who held a role in an incident, from when to when."""

    team_id: str
    incident_id: int
    role: str
    user_id: str
    assigned_by: str
    assumed_at: datetime
    relinquished_at: datetime | None = None
    handover: bool = False
    id: int | None = None


@dataclass(frozen=True)
class FollowUp:
    """An action to take after the incident, with an optional owner."""

    team_id: str
    incident_id: int
    text: str
    created_by: str
    created_at: datetime
    owner: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    id: int | None = None

    @property
    def open(self) -> bool:
        """Not done yet."""
        return self.done_at is None


@dataclass(frozen=True)
class AuditEvent:
    """An append-only record of who changed what, with the values before and after."""

    team_id: str
    actor: str
    action: str
    at: datetime
    incident_id: int | None = None
    before: dict[str, object] = field(default_factory=dict)
    after: dict[str, object] = field(default_factory=dict)
    id: int | None = None
    # Place in the workspace's hash chain (bot/domain/audit_chain.py); set when the log appends it.
    seq: int | None = None
    prev_hash: str | None = None
    hash: str | None = None


def similar_incidents(
    candidates: list[Incident], *, title: str, service: str, now: datetime, policy: Policy
) -> list[Incident]:
    """Open incidents declared within the duplicate window for the same service or a similar title."""
    window_start = now - policy.duplicate_window
    wanted = " ".join(title.lower().split())
    found = []
    for incident in candidates:
        if incident.declared_at < window_start or not policy.lifecycle.is_open(incident.status):
            continue
        same_service = bool(service) and incident.service.lower() == service.lower()
        if same_service or _similar(wanted, " ".join(incident.title.lower().split()), policy.duplicate_similarity):
            found.append(incident)
    return found


def _similar(a: str, b: str, threshold: float) -> bool:
    """SequenceMatcher(a, b).ratio() >= threshold, its cheap upper bounds first (as difflib.get_close_matches
    does): a declare compares its title with every open incident's, and the full ratio of each is slow."""
    matcher = difflib.SequenceMatcher(None, a, b)
    return (matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
            and matcher.ratio() >= threshold)
