"""Timers: reminders and escalations kept in the database.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.columns

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("claimed_until", store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "incident_id", "kind", "level", "due_at", name="uq_timer"),
    )
    op.create_index("ix_timer_due", "timer", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_timer_due", table_name="timer")
    op.drop_table("timer")
