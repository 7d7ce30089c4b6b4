"""The outbox: Slack calls committed with the change that caused them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.columns

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("lane", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("coalesce_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("anchor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("ts_from", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("ts_param", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leased_until", store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", store.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_lane", "outbox", ["state", "lane", "id"])
    op.create_index("ix_outbox_anchor", "outbox", ["team_id", "anchor"])
    op.create_index("ix_outbox_coalesce", "outbox", ["team_id", "coalesce_key", "state"])


def downgrade() -> None:
    op.drop_table("outbox")
