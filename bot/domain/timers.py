"""Timers that keep an incident's rhythm: update reminders, the response target, escalation levels.

Timers are planned from the incident and the policy, stored, and checked again when they fire
(`still_applies`), so nothing is sent for an incident that was resolved, downgraded, already
updated or already has a commander. All of it is a function of (incident, policy, now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.incident import Incident
from bot.domain.policy import Policy

LATE_AFTER = timedelta(seconds=60)  # a timer sent later than this after it fell due is marked late


class TimerKind(StrEnum):
    """What a timer reminds about."""

    UPDATE_DUE = "update_due"  # the cadence passed without a status update: remind the comms lead
    UPDATE_OVERDUE = "update_overdue"  # still none a margin later: tell the commander
    RESPONSE_TARGET = "response_target"  # no commander within the severity's response time
    ESCALATION = "escalation"  # a level of the escalation matrix
    REVIEW = "review"  # the post-incident review: level 0 a day before it is due, 1 when due, 2+ after


REVIEW_STATUS = "resolved"  # resolved but not yet closed: the review is still to be done
REVIEW_REMINDERS_AFTER = 3  # reminders after the due date, one a day


def add_business_days(start: datetime, days: int, tz: str) -> datetime:
    """`days` working days (Monday to Friday in `tz`) after `start`, at the same local time of day."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    wall = datetime.combine(day, local.time().replace(tzinfo=None))
    return wall.replace(tzinfo=zone).astimezone(start.tzinfo or zone)


def review_due_at(incident: Incident, policy: Policy) -> datetime | None:
    """When the post-incident review of a resolved incident is due (None: the severity sets no date)."""
    severity = policy.severities.get(incident.severity)
    resolved = incident.resolved_at
    if resolved is None:
        return None
    if severity.review_business_days:
        return add_business_days(resolved, severity.review_business_days, policy.timezone)
    return resolved + severity.review_due if severity.review_due else None


@dataclass(frozen=True)
class Timer:
    """One pending (or sent) timer of an incident."""

    team_id: str
    incident_id: int
    kind: TimerKind
    due_at: datetime
    level: int = 0
    state: str = "pending"
    sent_at: datetime | None = None
    late: bool = False
    id: int | None = None

    @property
    def key(self) -> tuple[str, int, str, int, datetime]:
        """What makes a timer unique (planning twice creates nothing new)."""
        return (self.team_id, self.incident_id, self.kind.value, self.level, self.due_at)


def overdue_margin(cadence: timedelta) -> timedelta:
    """How long after an update fell due the commander is told: half a cadence, at least 5 minutes."""
    return max(cadence / 2, timedelta(minutes=5))


def plan(incident: Incident, policy: Policy) -> list[Timer]:
    """The timers the incident should have in its current state."""
    if incident.status == REVIEW_STATUS and incident.id is not None:
        due = review_due_at(incident, policy)
        if due is None:
            return []
        marks = [due - timedelta(days=1), due, *(due + timedelta(days=n) for n in range(1, REVIEW_REMINDERS_AFTER + 1))]
        return [Timer(team_id=incident.team_id, incident_id=incident.id, kind=TimerKind.REVIEW, due_at=at, level=level)
                for level, at in enumerate(marks)]
    if not policy.lifecycle.is_open(incident.status):
        return []
    severity = policy.severities.get(incident.severity)
    timers: list[Timer] = []

    def add(kind: TimerKind, due: datetime, level: int = 0) -> None:
        timers.append(Timer(team_id=incident.team_id, incident_id=incident.id, kind=kind, due_at=due, level=level))

    due = incident.next_update_due(policy)
    if due is not None:
        add(TimerKind.UPDATE_DUE, due)
        add(TimerKind.UPDATE_OVERDUE, due + overdue_margin(severity.update_cadence))
    if "commander" not in incident.roles:
        add(TimerKind.RESPONSE_TARGET, incident.declared_at + severity.response_target)
    for level, step in enumerate(severity.escalation_levels, start=2):
        add(TimerKind.ESCALATION, incident.declared_at + step.after, level)
    return timers


def still_applies(timer: Timer, incident: Incident | None, policy: Policy) -> bool:
    """Whether a timer that fell due should still be sent, given the incident as it is now."""
    if incident is None:
        return False
    planned = {t.key for t in plan(incident, policy)}
    return timer.key in planned


def is_late(timer: Timer, now: datetime) -> bool:
    """Sent well after it fell due (e.g. the bot was down)."""
    return now - timer.due_at > LATE_AFTER
