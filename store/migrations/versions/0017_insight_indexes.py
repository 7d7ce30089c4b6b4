"""Indexes for the insights' reads: follow-ups by creation, by completion and by owner.

The KPIs read a period's follow-ups created or done in it (two range reads), and App Home reads one person's
open follow-ups; without these each was a scan of every follow-up of the workspace.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_follow_up_created", "follow_up", ["team_id", "created_at"], unique=False)
    op.create_index("ix_follow_up_done", "follow_up", ["team_id", "done_at"], unique=False)
    op.create_index("ix_follow_up_owner", "follow_up", ["team_id", "owner", "done_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_follow_up_owner", table_name="follow_up")
    op.drop_index("ix_follow_up_done", table_name="follow_up")
    op.drop_index("ix_follow_up_created", table_name="follow_up")
