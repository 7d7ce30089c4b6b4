"""Audit hash chain: seq, prev_hash and hash on audit_event, the chain heads, append-only triggers.

Existing records are chained per workspace in (at, id) order, so `warroom audit verify` passes on an
upgraded database. From here on the database refuses UPDATE and DELETE on audit_event.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.columns
from bot.domain.audit_chain import ChainHead, head_of, link
from bot.domain.incident import AuditEvent

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_HASH = sqlmodel.sql.sqltypes.AutoString(length=64)

_SQLITE_UP = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE is not allowed'); END""",
    """CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
       BEGIN SELECT RAISE(ABORT, 'audit_chain_head only advances: DELETE is not allowed'); END""",
    """CREATE TRIGGER audit_chain_head_advance BEFORE UPDATE ON audit_chain_head
       WHEN NEW.team_id <> OLD.team_id OR NEW.seq <> OLD.seq + 1
       BEGIN SELECT RAISE(ABORT, 'audit_chain_head only advances one record at a time'); END""",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_chain_head_advance",
    "DROP TRIGGER IF EXISTS audit_chain_head_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_no_update",
]
_POSTGRES_UP = [
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
               USING ERRCODE = 'restrict_violation';
       END $$""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE FUNCTION audit_chain_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF TG_OP = 'DELETE' THEN
               RAISE EXCEPTION 'audit_chain_head only advances: DELETE is not allowed'
                   USING ERRCODE = 'restrict_violation';
           END IF;
           IF NEW.team_id <> OLD.team_id OR NEW.seq <> OLD.seq + 1 THEN
               RAISE EXCEPTION 'audit_chain_head only advances one record at a time'
                   USING ERRCODE = 'restrict_violation';
           END IF;
           RETURN NEW;
       END $$""",
    """CREATE TRIGGER audit_chain_head_advance BEFORE UPDATE OR DELETE ON audit_chain_head
       FOR EACH ROW EXECUTE FUNCTION audit_chain_head_advance()""",
]
_POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_chain_head_advance ON audit_chain_head",
    "DROP FUNCTION IF EXISTS audit_chain_head_advance()",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]


def _statements(up: bool) -> list[str]:
    if op.get_bind().dialect.name == "postgresql":
        return _POSTGRES_UP if up else _POSTGRES_DOWN
    return _SQLITE_UP if up else _SQLITE_DOWN


def _backfill() -> None:
    """Chain the records written before this revision, per workspace in (at, id) order."""
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Integer()), sa.column("team_id", sa.String()), sa.column("incident_id", sa.Integer()),
        sa.column("actor", sa.String()), sa.column("action", sa.String()), sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()), sa.column("at", store.columns.UTCDateTime()),
        sa.column("seq", sa.Integer()), sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()),
    )
    heads = sa.table("audit_chain_head", sa.column("team_id", sa.String()), sa.column("seq", sa.Integer()),
                     sa.column("hash", sa.String()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(events.c.id, events.c.team_id, events.c.incident_id, events.c.actor,
                                  events.c.action, events.c.before, events.c.after, events.c.at)
                        .order_by(events.c.team_id, events.c.at, events.c.id)).mappings().all()
    chained: dict[str, ChainHead] = {}
    updates = []
    for row in rows:
        event = AuditEvent(team_id=row["team_id"], actor=row["actor"], action=row["action"], at=row["at"],
                           incident_id=row["incident_id"], before=row["before"], after=row["after"])
        linked = link(event, chained.get(event.team_id) or ChainHead.start(event.team_id))
        chained[event.team_id] = head_of(linked)
        updates.append({"row_id": row["id"], "new_seq": linked.seq, "new_prev": linked.prev_hash,
                        "new_hash": linked.hash})
    if updates:
        bind.execute(events.update().where(events.c.id == sa.bindparam("row_id"))
                     .values(seq=sa.bindparam("new_seq"), prev_hash=sa.bindparam("new_prev"),
                             hash=sa.bindparam("new_hash")), updates)
        bind.execute(heads.insert(), [{"team_id": h.team_id, "seq": h.seq, "hash": h.hash} for h in chained.values()])


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", _HASH, nullable=True))
        batch.add_column(sa.Column("hash", _HASH, nullable=True))
    op.create_table(
        "audit_chain_head",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", _HASH, nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )
    _backfill()
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("prev_hash", existing_type=_HASH, nullable=False)
        batch.alter_column("hash", existing_type=_HASH, nullable=False)
        batch.create_unique_constraint("uq_audit_team_seq", ["team_id", "seq"])
    # After the batch above: on SQLite it rebuilds the table, which would drop the triggers.
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint("uq_audit_team_seq", type_="unique")
        for column in ("hash", "prev_hash", "seq"):
            batch.drop_column(column)
