"""Incidents carry a class (type) from the policy's list; KPIs group and look back by it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("incident_class", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        # Recurrence looks back for earlier incidents of the same class: one range read per class.
        batch.create_index("ix_incident_team_class", ["team_id", "incident_class", "declared_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.drop_index("ix_incident_team_class")
        batch.drop_column("incident_class")
