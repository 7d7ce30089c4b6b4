"""Outbox calls get a tag unique forever: ids come back after a prune (SQLite), and a lost post is
looked up in Slack by its tag. Calls stored before keep their id as their tag, which is what the
messages they may already have posted carry.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
    op.execute(sa.text("UPDATE outbox SET tag = CAST(id AS VARCHAR(36))"))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("tag", existing_type=sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("tag")
