"""Publishing to the status page: who may confirm, what an incident affects, drafts, and the store port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.catalog import Catalog
from bot.domain.incident import Incident
from bot.domain.outbox import Outbox
from bot.domain.status_page import ComponentStatus, PageStatus, PublicIncident, PublishedUpdate

CONFIRMERS = ("comms", "commander")  # who confirms what the page says


def affected_components(incident: Incident, catalog: Catalog) -> tuple[str, ...]:
    """The components an incident affects: its service's, when the catalog marks it public."""
    service = catalog.find(incident.service) if incident.service else None
    return (service.status_component,) if service is not None and service.status_component else ()


def confirmers(incident: Incident) -> tuple[str, ...]:
    """Who may confirm a status page update: the comms lead and the commander (whoever covers each)."""
    return tuple(dict.fromkeys(incident.covered_by(role) for role in CONFIRMERS))


@dataclass(frozen=True, kw_only=True)
class Draft:
    """An update waiting for its confirmation: what the page would say."""

    team_id: str
    incident_id: int
    public_title: str
    status: PageStatus
    body: str
    drafted_by: str
    drafted_at: datetime
    id: int | None = None


class StatusPageRepository(Protocol):
    """The status page's records: public incidents, drafts and published updates, component statuses set by hand."""

    async def public_incident(self, team_id: str, incident_id: int) -> PublicIncident | None:
        """The incident's public record, once it was first published."""
        ...

    async def save_incident(self, incident: PublicIncident) -> None:
        """Add or replace the incident's public record."""
        ...

    async def add_draft(self, draft: Draft) -> Draft:
        """Store a draft waiting for confirmation (with its id)."""
        ...

    async def draft(self, team_id: str, draft_id: int, *, for_update: bool = False) -> Draft | None:
        """A draft still waiting (None once published or discarded)."""
        ...

    async def close_draft(self, team_id: str, draft_id: int) -> None:
        """The draft was published or discarded: it waits no more."""
        ...

    async def add_update(self, update: PublishedUpdate) -> PublishedUpdate:
        """Record a published update."""
        ...

    async def last_update(self, team_id: str, incident_id: int) -> PublishedUpdate | None:
        """The incident's latest published update."""
        ...

    async def records(self, since: datetime) -> list[tuple[PublicIncident, list[PublishedUpdate]]]:
        """Every public incident (of every workspace) with an update since `since`, with all its updates."""
        ...

    async def manual(self) -> dict[str, ComponentStatus]:
        """Component statuses set by hand."""
        ...

    async def set_manual(self, component: str, status: ComponentStatus | None, by: str, at: datetime) -> None:
        """Set a component's status by hand (None: it follows its incidents again)."""
        ...


def latest_first(updates: Sequence[PublishedUpdate]) -> list[PublishedUpdate]:
    """Updates newest first."""
    return sorted(updates, key=lambda u: (u.published_at, u.id or 0), reverse=True)


class StatusPageChat(Protocol):
    """Where drafts for the status page are shown before they are published."""

    async def post_preview(self, outbox: Outbox, incident: Incident, draft: Draft, confirmers: Sequence[str],
                           first: bool) -> None:
        """Post the draft in the incident channel as the page would show it, with Publish and Discard buttons
        for `confirmers`; `first`: it would put the incident on the page under its public title."""
        ...

    async def offer_resolved_notice(self, outbox: Outbox, incident: Incident) -> None:
        """Offer the resolved notice for the page in the incident channel (a button that opens its form)."""
        ...
