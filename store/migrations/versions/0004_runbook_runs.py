"""Runbooks attached to incidents and the state of their steps.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.columns

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runbook_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("runbook_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("attached_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("attached_at", store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "incident_id", "runbook_id", name="uq_runbook_attachment"),
    )
    op.create_table(
        "step_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("runbook_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("approver", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("started_at", store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("output", sa.Text(), nullable=False, server_default=""),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "incident_id", "runbook_id", "step_id", name="uq_step_run"),
    )
    op.create_index("ix_step_run_incident", "step_run", ["team_id", "incident_id"])


def downgrade() -> None:
    op.drop_index("ix_step_run_incident", table_name="step_run")
    op.drop_table("step_run")
    op.drop_table("runbook_attachment")
