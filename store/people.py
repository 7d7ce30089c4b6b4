"""Role assignments and follow-ups in SQL; every query is scoped by team id."""

from __future__ import annotations

from dataclasses import asdict

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.incident import FollowUp, RoleAssignment
from store.locks import lock_workspace
from store.models import FollowUpRow, RoleAssignmentRow

_ASSIGNMENT_FIELDS = [f for f in RoleAssignmentRow.model_fields if f != "id"]
_FOLLOWUP_FIELDS = [f for f in FollowUpRow.model_fields if f != "id"]


def _assignment(row: RoleAssignmentRow) -> RoleAssignment:
    return RoleAssignment(id=row.id, **{f: getattr(row, f) for f in _ASSIGNMENT_FIELDS})


def _followup(row: FollowUpRow) -> FollowUp:
    return FollowUp(id=row.id, **{f: getattr(row, f) for f in _FOLLOWUP_FIELDS})


class SqlRoleRepository:
    """Who held which role, from when to when."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, assignment: RoleAssignment) -> RoleAssignment:
        await lock_workspace(self._s, assignment.team_id)
        row = RoleAssignmentRow(**{k: v for k, v in asdict(assignment).items() if k != "id"})
        self._s.add(row)
        await self._s.flush()
        return _assignment(row)

    async def update(self, assignment: RoleAssignment) -> RoleAssignment:
        await lock_workspace(self._s, assignment.team_id)
        row = (await self._s.exec(select(RoleAssignmentRow).where(
            RoleAssignmentRow.team_id == assignment.team_id, RoleAssignmentRow.id == assignment.id))).one()
        for name in _ASSIGNMENT_FIELDS:
            setattr(row, name, getattr(assignment, name))
        self._s.add(row)
        await self._s.flush()
        return _assignment(row)

    async def current(self, team_id: str, incident_id: int, role: str) -> RoleAssignment | None:
        row = (await self._s.exec(select(RoleAssignmentRow).where(
            RoleAssignmentRow.team_id == team_id, RoleAssignmentRow.incident_id == incident_id,
            RoleAssignmentRow.role == role, col(RoleAssignmentRow.relinquished_at).is_(None)))).first()
        return _assignment(row) if row else None

    async def list_for(self, team_id: str, incident_id: int) -> list[RoleAssignment]:
        stmt = (select(RoleAssignmentRow)
                .where(RoleAssignmentRow.team_id == team_id, RoleAssignmentRow.incident_id == incident_id)
                .order_by(col(RoleAssignmentRow.assumed_at), col(RoleAssignmentRow.id)))
        return [_assignment(r) for r in (await self._s.exec(stmt)).all()]


class SqlFollowUpRepository:
    """Follow-up actions."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, followup: FollowUp) -> FollowUp:
        await lock_workspace(self._s, followup.team_id)
        row = FollowUpRow(**{k: v for k, v in asdict(followup).items() if k != "id"})
        self._s.add(row)
        await self._s.flush()
        return _followup(row)

    async def update(self, followup: FollowUp) -> FollowUp:
        await lock_workspace(self._s, followup.team_id)
        row = (await self._s.exec(select(FollowUpRow).where(
            FollowUpRow.team_id == followup.team_id, FollowUpRow.id == followup.id))).one()
        for name in _FOLLOWUP_FIELDS:
            setattr(row, name, getattr(followup, name))
        self._s.add(row)
        await self._s.flush()
        return _followup(row)

    async def get(self, team_id: str, followup_id: int) -> FollowUp | None:
        row = (await self._s.exec(select(FollowUpRow).where(
            FollowUpRow.team_id == team_id, FollowUpRow.id == followup_id))).first()
        return _followup(row) if row else None

    async def list_for(self, team_id: str, incident_id: int) -> list[FollowUp]:
        stmt = (select(FollowUpRow)
                .where(FollowUpRow.team_id == team_id, FollowUpRow.incident_id == incident_id)
                .order_by(col(FollowUpRow.created_at), col(FollowUpRow.id)))
        return [_followup(r) for r in (await self._s.exec(stmt)).all()]
