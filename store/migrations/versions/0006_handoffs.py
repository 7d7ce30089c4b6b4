"""On-call handoffs announced, one row per rotation and handoff time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.columns

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("handoff_at", store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", store.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rotation_id", "handoff_at", name="uq_handoff"),
    )


def downgrade() -> None:
    op.drop_table("handoff")
