"""The public status page: public incidents, drafts and published updates, component statuses set by hand.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.columns

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _utc() -> store.columns.UTCDateTime:
    return store.columns.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "status_page_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _text(32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("public_title", _text(200), nullable=False),
        sa.Column("impact", _text(20), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "incident_id", name="uq_status_page_incident"),
    )
    op.create_table(
        "status_page_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _text(32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("state", _text(12), nullable=False),
        sa.Column("public_title", _text(200), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("body", _text(4000), nullable=False),
        sa.Column("drafted_by", _text(32), nullable=False),
        sa.Column("drafted_at", _utc(), nullable=False),
        sa.Column("published_by", _text(32), nullable=True),
        sa.Column("published_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_status_page_update_incident", "status_page_update", ["team_id", "incident_id", "state"])
    op.create_index("ix_status_page_update_published", "status_page_update", ["state", "published_at"])
    op.create_table(
        "status_page_component",
        sa.Column("name", _text(200), nullable=False),
        sa.Column("status", _text(30), nullable=False),
        sa.Column("set_by", _text(32), nullable=False),
        sa.Column("set_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("status_page_component")
    op.drop_index("ix_status_page_update_published", table_name="status_page_update")
    op.drop_index("ix_status_page_update_incident", table_name="status_page_update")
    op.drop_table("status_page_update")
    op.drop_table("status_page_incident")
