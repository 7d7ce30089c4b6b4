"""The public status page: components, public incidents and their published updates, as customers see them.

Only what this module's `Page` holds is ever published, and it is built from public records alone: a
public title (never the internal one), the text of each update someone confirmed for the page, statuses
and times. Internal notes, people, runbook output and internal titles have no field here to travel in,
and a private incident is dropped before anything is built from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.status_uptime import DayBar, Outage, uptime_bars

HISTORY_DAYS = 90
PUBLIC_TITLE_MAX = 200


class ComponentStatus(StrEnum):
    """A component's status, as Statuspage names them."""

    OPERATIONAL = "operational"
    DEGRADED = "degraded_performance"
    PARTIAL = "partial_outage"
    MAJOR = "major_outage"
    MAINTENANCE = "under_maintenance"

    @property
    def label(self) -> str:
        """How the page says it."""
        return self.value.replace("_", " ").capitalize()


class PageStatus(StrEnum):
    """A public incident's status."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Impact(StrEnum):
    """How bad a public incident is (Statuspage's `impact` and the page's `indicator`)."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class PublishRule(StrEnum):
    """What the policy asks of a severity's status page updates."""

    REQUIRED = "required"  # reminders and the resolve offer the page; updates are published
    OPTIONAL = "optional"  # updates for the status_page audience are published when confirmed
    SKIP = "skip"  # never published: the status_page audience stays in Slack


IMPACT_OF_RANK = (Impact.CRITICAL, Impact.CRITICAL, Impact.MAJOR)  # rank 0, 1, 2; lower severities: minor
COMPONENT_OF_IMPACT = {Impact.CRITICAL: ComponentStatus.MAJOR, Impact.MAJOR: ComponentStatus.PARTIAL,
                       Impact.MINOR: ComponentStatus.DEGRADED, Impact.NONE: ComponentStatus.OPERATIONAL}
_WORST = [ComponentStatus.OPERATIONAL, ComponentStatus.MAINTENANCE, ComponentStatus.DEGRADED,
          ComponentStatus.PARTIAL, ComponentStatus.MAJOR]
_INDICATOR = {
    ComponentStatus.OPERATIONAL: ("none", "All Systems Operational"),
    ComponentStatus.MAINTENANCE: ("maintenance", "Service Under Maintenance"),
    ComponentStatus.DEGRADED: ("minor", "Minor Service Outage"),
    ComponentStatus.PARTIAL: ("major", "Partial System Outage"),
    ComponentStatus.MAJOR: ("critical", "Major System Outage"),
}


def impact_for_rank(rank: int) -> Impact:
    """The public impact of a severity by its rank (0 is the most severe)."""
    return IMPACT_OF_RANK[rank] if rank < len(IMPACT_OF_RANK) else Impact.MINOR


def page_status_for(lifecycle_status: str, closed: bool) -> PageStatus:
    """The public status of an internal lifecycle status (a closed one is resolved)."""
    if closed:
        return PageStatus.RESOLVED
    try:
        return PageStatus(lifecycle_status)
    except ValueError:
        return PageStatus.INVESTIGATING


def worst(statuses: Sequence[ComponentStatus]) -> ComponentStatus:
    """The worst of `statuses` (operational when there are none)."""
    return max(statuses, key=_WORST.index, default=ComponentStatus.OPERATIONAL)


def public_id(team_id: str, incident_id: int) -> str:
    """A stable public id that says nothing of the workspace or how many incidents it had."""
    return hashlib.sha256(f"warroom:{team_id}:{incident_id}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ComponentSpec:
    """A component of the page: a catalog service's `status_component`, in its group."""

    name: str
    group: str = ""
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class PublicIncident:
    """What an incident shows on the page: stored when it is first published."""

    team_id: str
    incident_id: int
    public_title: str
    impact: Impact
    components: tuple[str, ...]
    created_at: datetime
    private: bool = False  # never on the page, whatever was published before it was marked


@dataclass(frozen=True, kw_only=True)
class PublishedUpdate:
    """One update someone confirmed for the page: its text and status, and who confirmed it (never published)."""

    team_id: str
    incident_id: int
    status: PageStatus
    body: str
    published_at: datetime
    published_by: str
    id: int | None = None


@dataclass(frozen=True)
class PageUpdate:
    """An update as the page shows it."""

    id: str
    status: PageStatus
    body: str
    at: datetime


@dataclass(frozen=True)
class PageIncident:
    """A public incident as the page shows it."""

    id: str
    name: str
    status: PageStatus
    impact: Impact
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    updates: tuple[PageUpdate, ...]  # newest first, as Statuspage lists them
    components: tuple[str, ...]
    next_update_at: datetime | None = None

    @property
    def resolved(self) -> bool:
        """Over."""
        return self.status is PageStatus.RESOLVED


@dataclass(frozen=True)
class PageComponent:
    """A component with its current status and its daily uptime bars (oldest first)."""

    id: str
    name: str
    group: str
    description: str
    status: ComponentStatus
    position: int
    updated_at: datetime
    days: tuple[DayBar, ...] = ()


@dataclass(frozen=True)
class PageSettings:
    """The page's name, its public address and time zone."""

    name: str = "Status"
    url: str = ""
    time_zone: str = "UTC"


@dataclass(frozen=True)
class Page:
    """The whole public page at one moment: everything the site is written from."""

    settings: PageSettings
    updated_at: datetime
    components: tuple[PageComponent, ...]
    incidents: tuple[PageIncident, ...]  # the last HISTORY_DAYS days, newest first
    indicator: str
    description: str

    @property
    def unresolved(self) -> tuple[PageIncident, ...]:
        """The incidents still open."""
        return tuple(i for i in self.incidents if not i.resolved)

    @property
    def groups(self) -> list[tuple[str, list[PageComponent]]]:
        """Components by group, in order of first appearance ("" is the ungrouped)."""
        grouped: dict[str, list[PageComponent]] = {}
        for component in self.components:
            grouped.setdefault(component.group, []).append(component)
        return list(grouped.items())


@dataclass(frozen=True)
class PublicRecord:
    """A public incident with its published updates (any order) and when its next update is expected."""

    incident: PublicIncident
    updates: Sequence[PublishedUpdate]
    next_update_at: datetime | None = None


def _page_incident(record: PublicRecord) -> PageIncident | None:
    updates = sorted(record.updates, key=lambda u: (u.published_at, u.id or 0))
    if not updates:
        return None
    first, last = updates[0], updates[-1]
    base = public_id(record.incident.team_id, record.incident.incident_id)
    monitoring = next((u.published_at for u in updates if u.status is PageStatus.MONITORING), None)
    resolved_at = last.published_at if last.status is PageStatus.RESOLVED else None
    return PageIncident(
        id=base, name=record.incident.public_title, status=last.status, impact=record.incident.impact,
        created_at=first.published_at, updated_at=last.published_at, monitoring_at=monitoring,
        resolved_at=resolved_at,
        updates=tuple(PageUpdate(id=f"{base}-{n}", status=u.status, body=u.body, at=u.published_at)
                      for n, u in reversed(list(enumerate(updates, start=1)))),
        components=record.incident.components,
        next_update_at=None if resolved_at else record.next_update_at,
    )


def build_page(settings: PageSettings, specs: Sequence[ComponentSpec], records: Sequence[PublicRecord],
               manual: Mapping[str, ComponentStatus], now: datetime) -> Page:
    """The page at `now`: public incidents of the last 90 days (private ones dropped), and components whose
    status follows their open incidents unless someone set it by hand."""
    since = now - timedelta(days=HISTORY_DAYS)
    shown = [i for r in records if not r.incident.private and (i := _page_incident(r)) is not None
             and (i.resolved_at is None or i.resolved_at >= since)]
    shown.sort(key=lambda i: i.created_at, reverse=True)
    known = {s.name for s in specs}
    components = []
    for position, spec in enumerate(specs, start=1):
        mine = [i for i in shown if spec.name in i.components]
        status = manual.get(spec.name) or worst([COMPONENT_OF_IMPACT[i.impact] for i in mine if not i.resolved])
        touched = [i.updated_at for i in mine]
        components.append(PageComponent(
            id=hashlib.sha256(f"component:{spec.name}".encode()).hexdigest()[:12], name=spec.name,
            group=spec.group, description=spec.description, status=status, position=position,
            updated_at=max(touched, default=since), days=uptime_bars(
                [Outage(i.created_at, i.resolved_at or now, COMPONENT_OF_IMPACT[i.impact].value) for i in mine],
                now, HISTORY_DAYS, settings.time_zone)))
    overall = worst([c.status for c in components] + [COMPONENT_OF_IMPACT[i.impact] for i in shown
                                                       if not i.resolved and not set(i.components) & known])
    indicator, description = _INDICATOR[overall]
    return Page(settings=settings, updated_at=now, components=tuple(components), incidents=tuple(shown),
                indicator=indicator, description=description)


class SitePublisher(Protocol):
    """Where the page is written: a whole static site, replaced at once."""

    async def publish(self, page: Page) -> None:
        """Write the complete site for `page` and swap it in (a reader sees the old site or the new)."""
        ...
