"""Incidents keep their KPI samples in seconds beside their milestones: detected -> acknowledged, -> resolved.

The KPIs of a year read these two numbers instead of decoding tens of thousands of milestones documents
(bench/insights.py). The repository writes them with the milestones from now on; this revision fills them in
for the incidents already stored, by the same rule as Incident.acknowledged_after and resolved_after (frozen
here: a migration must not change when that code does).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_BATCH = 5_000


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def samples(declared_at: datetime, resolved_at: datetime | None,
            milestones: dict[str, Any] | None) -> tuple[float | None, float | None]:
    """(seconds to acknowledge, seconds to resolve) of one incident row, None where it has no such milestone."""
    marks = milestones or {}
    detected = _moment(marks.get("detected")) or declared_at
    acknowledged = _moment(marks.get("acknowledged"))
    resolved = _moment(marks.get("resolved")) or resolved_at
    return (None if acknowledged is None else (acknowledged - detected).total_seconds(),
            None if resolved is None else (resolved - detected).total_seconds())


def _backfill() -> None:
    incident = sa.table(
        "incident", sa.column("id", sa.Integer()), sa.column("declared_at", store.columns.UTCDateTime()),
        sa.column("resolved_at", store.columns.UTCDateTime()), sa.column("milestones", sa.JSON()),
        sa.column("seconds_to_acknowledge", sa.Float()), sa.column("seconds_to_resolve", sa.Float()))
    bind = op.get_bind()
    after = 0
    while True:  # in id order, a batch at a time: a big history is not held in memory at once
        rows = bind.execute(sa.select(incident.c.id, incident.c.declared_at, incident.c.resolved_at,
                                      incident.c.milestones)
                            .where(incident.c.id > after).order_by(incident.c.id).limit(_BATCH)).all()
        if not rows:
            return
        updates = []
        for row_id, declared_at, resolved_at, milestones in rows:
            acknowledged, resolved = samples(declared_at, resolved_at, milestones)
            if acknowledged is not None or resolved is not None:
                updates.append({"row_id": row_id, "ack": acknowledged, "fix": resolved})
        if updates:
            bind.execute(incident.update().where(incident.c.id == sa.bindparam("row_id"))
                         .values(seconds_to_acknowledge=sa.bindparam("ack"), seconds_to_resolve=sa.bindparam("fix")),
                         updates)
        after = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("seconds_to_acknowledge", sa.Float(), nullable=True))
        batch.add_column(sa.Column("seconds_to_resolve", sa.Float(), nullable=True))
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("seconds_to_resolve")
        batch.drop_column("seconds_to_acknowledge")
