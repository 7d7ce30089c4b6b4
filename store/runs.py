"""Runbook attachments and step runs in SQL; a step is claimed with one conditional UPDATE.

The claim is what makes a step run at most once per click: a double click, two people clicking
together or Slack redelivering the action all race for the same row, and only one UPDATE matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.runbook import Attachment, NewAttachment, StepRun, StepState
from store.columns import utc_field
from store.locks import lock_workspace


class RunbookAttachmentRow(SQLModel, table=True):
    """A runbook attached to an incident."""

    __tablename__ = "runbook_attachment"
    __table_args__ = (UniqueConstraint("team_id", "incident_id", "runbook_id", name="uq_runbook_attachment"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    runbook_id: str = Field(max_length=60)
    attached_by: str = Field(max_length=32)
    attached_at: datetime = utc_field(nullable=False)
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)


class StepRunRow(SQLModel, table=True):
    """The state of one step of an attached runbook."""

    __tablename__ = "step_run"
    __table_args__ = (
        UniqueConstraint("team_id", "incident_id", "runbook_id", "step_id", name="uq_step_run"),
        Index("ix_step_run_incident", "team_id", "incident_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    runbook_id: str = Field(max_length=60)
    step_id: str = Field(max_length=60)
    state: str = Field(max_length=20)
    actor: str | None = Field(default=None, max_length=32)
    approver: str | None = Field(default=None, max_length=32)
    requested_by: str | None = Field(default=None, max_length=32)
    started_at: datetime | None = utc_field(nullable=True)
    finished_at: datetime | None = utc_field(nullable=True)
    before: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    output: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    error: str = Field(default="", max_length=2000)
    attempt: int = Field(default=0)
    extra: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


_RUN_FIELDS = [f for f in StepRunRow.model_fields if f not in ("id", "state")]


def _run(row: Any) -> StepRun:
    return StepRun(id=row.id, state=StepState(row.state), **{f: getattr(row, f) for f in _RUN_FIELDS})


def _attachment(row: RunbookAttachmentRow) -> Attachment:
    return Attachment(**{k: getattr(row, k) for k in Attachment.__dataclass_fields__})


class SqlRunbookRepository:
    """Attachments and step runs; every query is scoped by team id."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def attach(self, attachment: NewAttachment, step_ids: Sequence[str]) -> Attachment:
        await lock_workspace(self._s, attachment.team_id)
        row = RunbookAttachmentRow(**{k: v for k, v in asdict(attachment).items() if k != "id"})
        self._s.add(row)
        for step_id in step_ids:
            self._s.add(StepRunRow(team_id=attachment.team_id, incident_id=attachment.incident_id,
                                   runbook_id=attachment.runbook_id, step_id=step_id, state=StepState.PENDING.value))
        await self._s.flush()
        return _attachment(row)

    async def attachment(self, team_id: str, incident_id: int, runbook_id: str) -> Attachment | None:
        row = (await self._s.exec(select(RunbookAttachmentRow).where(
            RunbookAttachmentRow.team_id == team_id, RunbookAttachmentRow.incident_id == incident_id,
            RunbookAttachmentRow.runbook_id == runbook_id))).first()
        return _attachment(row) if row else None

    async def attachments(self, team_id: str, incident_id: int) -> list[Attachment]:
        rows = (await self._s.exec(select(RunbookAttachmentRow).where(
            RunbookAttachmentRow.team_id == team_id, RunbookAttachmentRow.incident_id == incident_id)
            .order_by(col(RunbookAttachmentRow.id)))).all()
        return [_attachment(r) for r in rows]

    async def set_message(self, team_id: str, attachment_id: int, channel_id: str, ts: str) -> None:
        await lock_workspace(self._s, team_id)
        await self._s.exec(update(RunbookAttachmentRow).where(
            col(RunbookAttachmentRow.team_id) == team_id, col(RunbookAttachmentRow.id) == attachment_id)
            .values(channel_id=channel_id, message_ts=ts))

    async def steps(self, team_id: str, incident_id: int, runbook_id: str) -> list[StepRun]:
        rows = (await self._s.exec(select(StepRunRow).where(
            StepRunRow.team_id == team_id, StepRunRow.incident_id == incident_id,
            StepRunRow.runbook_id == runbook_id).order_by(col(StepRunRow.id)))).all()
        return [_run(r) for r in rows]

    async def claim(self, run: StepRun, from_states: Sequence[StepState], *, at_attempt: int | None = None,
                    **changes: Any) -> bool:
        """Move the step to `changes` only if it is still in one of `from_states` (and, when given, at
        `at_attempt`, so a stale approval cannot act on a newer request); True if this call won."""
        await lock_workspace(self._s, run.team_id)
        values = {k: (v.value if isinstance(v, StepState) else v) for k, v in changes.items()}
        conditions = [col(StepRunRow.team_id) == run.team_id, col(StepRunRow.incident_id) == run.incident_id,
                      col(StepRunRow.runbook_id) == run.runbook_id, col(StepRunRow.step_id) == run.step_id,
                      col(StepRunRow.state).in_([s.value for s in from_states])]
        if at_attempt is not None:
            conditions.append(col(StepRunRow.attempt) == at_attempt)
        result = await self._s.exec(update(StepRunRow).where(*conditions).values(**values))
        return bool(result.rowcount == 1)

    async def running_since(self, before: datetime) -> list[StepRun]:
        """Steps still RUNNING that started before `before` (left behind by a process that died)."""
        rows = (await self._s.exec(select(StepRunRow).where(
            StepRunRow.state == StepState.RUNNING.value, col(StepRunRow.started_at) < before))).all()
        return [_run(r) for r in rows]
