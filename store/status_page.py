"""The status page's records in SQL: public incidents, drafts and published updates, components set by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.status_page import (
    ComponentStatus,
    Impact,
    PageStatus,
    PublicIncident,
    PublishedUpdate,
)
from bot.domain.status_publishing import Draft
from store.columns import utc_field
from store.tables import table_of


class PublicIncidentRow(SQLModel, table=True):
    """An incident as the status page shows it (stored when it is first published)."""

    __tablename__ = "status_page_incident"
    __table_args__ = (UniqueConstraint("team_id", "incident_id", name="uq_status_page_incident"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    public_title: str = Field(max_length=200)
    impact: str = Field(max_length=20)
    components: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = utc_field(nullable=False)
    private: bool = Field(default=False)


class PageUpdateRow(SQLModel, table=True):
    """A status page update: a draft waiting for confirmation, published, or discarded."""

    __tablename__ = "status_page_update"
    __table_args__ = (Index("ix_status_page_update_incident", "team_id", "incident_id", "state"),
                      Index("ix_status_page_update_published", "state", "published_at"))
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    state: str = Field(max_length=12)  # draft, published, discarded
    public_title: str = Field(default="", max_length=200)  # a draft's: the title it would publish under
    status: str = Field(max_length=20)
    body: str = Field(max_length=4000)
    drafted_by: str = Field(max_length=32)
    drafted_at: datetime = utc_field(nullable=False)
    published_by: str | None = Field(default=None, max_length=32)
    published_at: datetime | None = utc_field(nullable=True)


class ComponentStatusRow(SQLModel, table=True):
    """A component's status set by hand."""

    __tablename__ = "status_page_component"
    name: str = Field(primary_key=True, max_length=200)
    status: str = Field(max_length=30)
    set_by: str = Field(max_length=32)
    set_at: datetime = utc_field(nullable=False)


def _incident(row: PublicIncidentRow) -> PublicIncident:
    return PublicIncident(team_id=row.team_id, incident_id=row.incident_id, public_title=row.public_title,
                          impact=Impact(row.impact), components=tuple(row.components), created_at=row.created_at,
                          private=row.private)


def _published(row: PageUpdateRow) -> PublishedUpdate:
    assert row.published_at is not None and row.published_by is not None
    return PublishedUpdate(team_id=row.team_id, incident_id=row.incident_id, status=PageStatus(row.status),
                           body=row.body, published_at=row.published_at, published_by=row.published_by, id=row.id)


def _draft(row: PageUpdateRow) -> Draft:
    return Draft(team_id=row.team_id, incident_id=row.incident_id, public_title=row.public_title,
                 status=PageStatus(row.status), body=row.body, drafted_by=row.drafted_by, drafted_at=row.drafted_at,
                 id=row.id)


class SqlStatusPage:
    """The StatusPageRepository port over SQL; every query but the page's own is scoped by team id."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def public_incident(self, team_id: str, incident_id: int) -> PublicIncident | None:
        row = (await self._s.exec(select(PublicIncidentRow).where(
            PublicIncidentRow.team_id == team_id, PublicIncidentRow.incident_id == incident_id))).first()
        return _incident(row) if row is not None else None

    async def save_incident(self, incident: PublicIncident) -> None:
        row = (await self._s.exec(select(PublicIncidentRow).where(
            PublicIncidentRow.team_id == incident.team_id,
            PublicIncidentRow.incident_id == incident.incident_id))).first()
        values: dict[str, Any] = {"public_title": incident.public_title, "impact": incident.impact.value,
                                  "components": list(incident.components), "created_at": incident.created_at,
                                  "private": incident.private}
        if row is None:
            self._s.add(PublicIncidentRow(team_id=incident.team_id, incident_id=incident.incident_id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
            self._s.add(row)
        await self._s.flush()

    async def add_draft(self, draft: Draft) -> Draft:
        row = PageUpdateRow(team_id=draft.team_id, incident_id=draft.incident_id, state="draft",
                            public_title=draft.public_title, status=draft.status.value, body=draft.body,
                            drafted_by=draft.drafted_by, drafted_at=draft.drafted_at)
        self._s.add(row)
        await self._s.flush()
        return _draft(row)

    async def draft(self, team_id: str, draft_id: int, *, for_update: bool = False) -> Draft | None:
        query = select(PageUpdateRow).where(PageUpdateRow.team_id == team_id, PageUpdateRow.id == draft_id,
                                            PageUpdateRow.state == "draft")
        row = (await self._s.exec(query.with_for_update() if for_update else query)).first()
        return _draft(row) if row is not None else None

    async def close_draft(self, team_id: str, draft_id: int) -> None:
        await self._s.exec(update(table_of(PageUpdateRow)).where(
            col(PageUpdateRow.team_id) == team_id, col(PageUpdateRow.id) == draft_id).values(state="discarded"))

    async def add_update(self, update_: PublishedUpdate) -> PublishedUpdate:
        row = PageUpdateRow(team_id=update_.team_id, incident_id=update_.incident_id, state="published",
                            status=update_.status.value, body=update_.body, drafted_by=update_.published_by,
                            drafted_at=update_.published_at, published_by=update_.published_by,
                            published_at=update_.published_at)
        self._s.add(row)
        await self._s.flush()
        return _published(row)

    async def last_update(self, team_id: str, incident_id: int) -> PublishedUpdate | None:
        row = (await self._s.exec(select(PageUpdateRow).where(
            PageUpdateRow.team_id == team_id, PageUpdateRow.incident_id == incident_id,
            PageUpdateRow.state == "published").order_by(col(PageUpdateRow.published_at).desc(),
                                                         col(PageUpdateRow.id).desc()))).first()
        return _published(row) if row is not None else None

    async def records(self, since: datetime) -> list[tuple[PublicIncident, list[PublishedUpdate]]]:
        recent = select(PageUpdateRow.team_id, PageUpdateRow.incident_id).where(
            PageUpdateRow.state == "published", col(PageUpdateRow.published_at) >= since).distinct()
        keys = {(team, incident) for team, incident in (await self._s.exec(recent)).all()}
        if not keys:
            return []
        incidents = [row for row in (await self._s.exec(select(PublicIncidentRow).where(
            col(PublicIncidentRow.incident_id).in_({i for _, i in keys})).order_by(col(PublicIncidentRow.id)))).all()
            if (row.team_id, row.incident_id) in keys]
        updates = (await self._s.exec(select(PageUpdateRow).where(
            PageUpdateRow.state == "published", col(PageUpdateRow.incident_id).in_({i for _, i in keys}))
            .order_by(col(PageUpdateRow.id)))).all()
        by_incident: dict[tuple[str, int], list[PublishedUpdate]] = {}
        for row in updates:
            by_incident.setdefault((row.team_id, row.incident_id), []).append(_published(row))
        found = []
        for incident in incidents:
            mine = by_incident.get((incident.team_id, incident.incident_id), [])
            if any(u.published_at >= since for u in mine):
                found.append((_incident(incident), mine))
        return found

    async def manual(self) -> dict[str, ComponentStatus]:
        return {row.name: ComponentStatus(row.status) for row in (await self._s.exec(select(ComponentStatusRow))).all()}

    async def set_manual(self, component: str, status: ComponentStatus | None, by: str, at: datetime) -> None:
        await self._s.exec(delete(table_of(ComponentStatusRow)).where(
            col(ComponentStatusRow.name) == component))
        if status is not None:
            self._s.add(ComponentStatusRow(name=component, status=status.value, set_by=by, set_at=at))
        await self._s.flush()
