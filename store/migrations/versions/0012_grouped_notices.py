"""Outbox calls may be notices that go out grouped with others of their kind in one channel
(bot.domain.grouping): the group they belong to, the grouped message's heading and their line in it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("group_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column("outbox", sa.Column("group_heading", sa.Text(), nullable=True))
    op.add_column("outbox", sa.Column("group_line", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("group_line")
        batch.drop_column("group_heading")
        batch.drop_column("group_key")
