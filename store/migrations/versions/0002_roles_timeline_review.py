"""Roles on incidents, captured timeline entries, milestones, review fields, follow-ups.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.columns

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("roles", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("milestones", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False, server_default=""))
        batch.add_column(sa.Column("impact", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False, server_default=""))
        batch.add_column(sa.Column("root_cause", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False, server_default=""))
    with op.batch_alter_table("role_assignment") as batch:
        batch.add_column(sa.Column("handover", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("timeline_entry") as batch:
        batch.add_column(sa.Column("source_channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("source_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("permalink", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch.add_column(sa.Column("captured_by", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("withdrawn_at", store.columns.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("edited_at", store.columns.UTCDateTime(timezone=True), nullable=True))
        batch.create_unique_constraint("uq_timeline_source", ["team_id", "incident_id", "source_channel_id", "source_ts"])
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_follow_up_incident", "follow_up", ["team_id", "incident_id"])


def downgrade() -> None:
    op.drop_index("ix_follow_up_incident", table_name="follow_up")
    op.drop_table("follow_up")
    with op.batch_alter_table("timeline_entry") as batch:
        batch.drop_constraint("uq_timeline_source", type_="unique")
        for column in ("edited_at", "withdrawn_at", "captured_by", "permalink", "source_ts", "source_channel_id"):
            batch.drop_column(column)
    with op.batch_alter_table("role_assignment") as batch:
        batch.drop_column("handover")
    with op.batch_alter_table("incident") as batch:
        for column in ("root_cause", "impact", "resolution", "milestones", "roles"):
            batch.drop_column(column)
