"""What the KPIs read of an incident: the Measured protocol, met by Incident and by the lean IncidentFacts.

Its samples (detected -> acknowledged, detected -> resolved) are Incident's properties, taken from its milestones;
the store keeps them in seconds beside the milestones and reads a period's incidents as IncidentFacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class Measured(Protocol):
    """What the KPIs read of an incident: an Incident (its samples taken from its milestones), or the
    IncidentFacts the insights' reader builds from the samples stored beside them."""

    @property
    def id(self) -> int | None: ...
    @property
    def team_id(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def declared_at(self) -> datetime: ...
    @property
    def severity(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def incident_class(self) -> str | None: ...
    @property
    def acknowledged_after(self) -> timedelta | None: ...
    @property
    def resolved_after(self) -> timedelta | None: ...
    @property
    def has_root_cause(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """An incident as the KPIs read it, and no more: a year of a big workspace is tens of thousands of these."""

    id: int
    team_id: str
    number: int
    declared_at: datetime
    severity: str
    service: str
    status: str
    incident_class: str | None
    acknowledged_after: timedelta | None  # detected -> acknowledged (Incident.acknowledged_after)
    resolved_after: timedelta | None  # detected -> resolved (Incident.resolved_after)
    has_root_cause: bool = False  # its review has the root cause written (Incident.has_root_cause)
