"""SQLModel tables. Every row carries the Slack workspace (team id) it belongs to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.columns import utc_field


class WorkspaceRow(SQLModel, table=True):
    """Per-workspace counters (the last incident number handed out)."""

    __tablename__ = "workspace"
    team_id: str = Field(primary_key=True, max_length=32)
    last_incident_number: int = Field(default=0)


class IncidentRow(SQLModel, table=True):
    """An incident."""

    __tablename__ = "incident"
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_incident_team_number"),
        Index("ix_incident_team_channel", "team_id", "channel_id"),
        Index("ix_incident_team_status", "team_id", "status"),
        Index("ix_incident_team_declared", "team_id", "declared_at"),
        Index("ix_incident_team_class", "team_id", "incident_class", "declared_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    number: int
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=3000)
    service: str = Field(default="", max_length=100)
    severity: str = Field(max_length=20)
    status: str = Field(max_length=30)
    declared_by: str = Field(max_length=32)
    declared_at: datetime = utc_field(nullable=False)
    channel_id: str | None = Field(default=None, max_length=32)
    channel_name: str | None = Field(default=None, max_length=80)
    card_ts: str | None = Field(default=None, max_length=32)
    source_channel_id: str | None = Field(default=None, max_length=32)
    updated_at: datetime | None = utc_field(nullable=True)
    resolved_at: datetime | None = utc_field(nullable=True)
    last_update_at: datetime | None = utc_field(nullable=True)
    # Current role holders {role: user}; the history is in role_assignment (same transaction).
    roles: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Milestone times {name: ISO 8601 UTC}.
    milestones: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    resolution: str = Field(default="", max_length=3000)
    impact: str = Field(default="", max_length=3000)
    root_cause: str = Field(default="", max_length=3000)
    snoozed_until: datetime | None = utc_field(nullable=True)
    # Links shown on the card {label: URL} (an alert's source, its runbook, dashboards).
    links: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The id of one of the policy's incident classes (None until chosen); KPIs group by it.
    incident_class: str | None = Field(default=None, max_length=40)
    # The class's custom fields {name: value}, checked by their kind when set (policy: classes[].fields).
    custom_fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The KPI samples of the milestones above (Incident.acknowledged_after, resolved_after) in seconds, written
    # with them: the KPIs of a year read these numbers instead of decoding every incident's milestones.
    seconds_to_acknowledge: float | None = Field(default=None)
    seconds_to_resolve: float | None = Field(default=None)


class RoleAssignmentRow(SQLModel, table=True):
    """Who held a role in an incident, from when to when."""

    __tablename__ = "role_assignment"
    __table_args__ = (Index("ix_role_assignment_incident", "team_id", "incident_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    role: str = Field(max_length=40)
    user_id: str = Field(max_length=32)
    assigned_by: str = Field(max_length=32)
    assumed_at: datetime = utc_field(nullable=False)
    relinquished_at: datetime | None = utc_field(nullable=True)
    handover: bool = Field(default=False)


class TimelineEntryRow(SQLModel, table=True):
    """One entry of an incident's timeline."""

    __tablename__ = "timeline_entry"
    __table_args__ = (
        Index("ix_timeline_incident", "team_id", "incident_id", "occurred_at"),
        # One entry per source message, however many ways (or times) it was captured.
        UniqueConstraint("team_id", "incident_id", "source_channel_id", "source_ts", name="uq_timeline_source"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    kind: str = Field(max_length=20)
    text: str = Field(max_length=4000)
    author: str = Field(max_length=32)
    occurred_at: datetime = utc_field(nullable=False)
    source: str = Field(default="warroom", max_length=40)
    source_channel_id: str | None = Field(default=None, max_length=32)
    source_ts: str | None = Field(default=None, max_length=32)
    permalink: str | None = Field(default=None, max_length=500)
    captured_by: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    withdrawn_at: datetime | None = utc_field(nullable=True)
    edited_at: datetime | None = utc_field(nullable=True)


class FollowUpRow(SQLModel, table=True):
    """A follow-up action of an incident."""

    __tablename__ = "follow_up"
    __table_args__ = (
        Index("ix_follow_up_incident", "team_id", "incident_id"),
        Index("ix_follow_up_created", "team_id", "created_at"),  # the KPIs' follow-ups of a period
        Index("ix_follow_up_done", "team_id", "done_at"),
        Index("ix_follow_up_owner", "team_id", "owner", "done_at"),  # App Home: one person's open follow-ups
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    text: str = Field(max_length=1000)
    owner: str | None = Field(default=None, max_length=32)
    created_by: str = Field(max_length=32)
    created_at: datetime = utc_field(nullable=False)
    done_at: datetime | None = utc_field(nullable=True)
    done_by: str | None = Field(default=None, max_length=32)


class AuditEventRow(SQLModel, table=True):
    """An append-only audit record, linked into its workspace's hash chain (triggers refuse changes)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_incident", "team_id", "incident_id", "at"),
        UniqueConstraint("team_id", "seq", name="uq_audit_team_seq"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    actor: str = Field(max_length=32)
    action: str = Field(max_length=60)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = utc_field(nullable=False)
    # The hash chain (bot/domain/audit_chain.py): 1, 2, 3... per workspace.
    seq: int
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditChainHeadRow(SQLModel, table=True):
    """The last record of each workspace's audit chain; an append locks it to take the next seq."""

    __tablename__ = "audit_chain_head"
    team_id: str = Field(primary_key=True, max_length=32)
    seq: int
    hash: str = Field(max_length=64)


class SeenRequestRow(SQLModel, table=True):
    """A Slack event or action already handled, so a redelivery (even after a restart) is dropped."""

    __tablename__ = "seen_request"
    __table_args__ = (Index("ix_seen_request_created", "created_at"),)
    team_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = utc_field(nullable=False)
