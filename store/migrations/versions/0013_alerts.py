"""Alerts in: the notifications of monitoring as received, the alert groups, the incidents they opened, and
links on an incident's card.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.columns

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _utc() -> store.columns.UTCDateTime:
    return store.columns.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("links", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "alert_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", _text(20), nullable=False),
        sa.Column("digest", _text(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("state", _text(12), nullable=False),
        sa.Column("due_at", _utc(), nullable=False),
        sa.Column("lease_until", _utc(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", _utc(), nullable=True),
        sa.Column("error", _text(300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "digest", name="uq_alert_notification_digest"),
    )
    op.create_index("ix_alert_notification_state", "alert_notification", ["state", "due_at"])
    op.create_table(
        "alert_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _text(32), nullable=False),
        sa.Column("source", _text(20), nullable=False),
        sa.Column("key", _text(64), nullable=False),
        sa.Column("state", _text(12), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("previous_incident_id", sa.Integer(), nullable=True),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("last_notification_id", sa.Integer(), nullable=False),
        sa.Column("lease_until", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["previous_incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "source", "key", name="uq_alert_group_key"),
    )
    op.create_table(
        "alert_incident",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("team_id", _text(32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("recurred_from", sa.Integer(), nullable=True),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["alert_group.id"]),
        sa.ForeignKeyConstraint(["recurred_from"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index("ix_alert_incident_group", "alert_incident", ["team_id", "group_id"])


def downgrade() -> None:
    op.drop_table("alert_incident")
    op.drop_table("alert_group")
    op.drop_table("alert_notification")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("links")
