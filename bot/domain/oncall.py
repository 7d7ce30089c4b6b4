"""On-call rotations: who is on call now and next, and when the handoffs are (wall-clock, time-zone aware)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rotation:
    """A rotation: members take turns of `length_days`, handing off at `handoff_time` local time."""

    id: str
    name: str
    members: tuple[str, ...]
    start: date  # the first handoff day (its local date); turns count from here
    handoff_time: time
    length_days: int
    timezone: str
    channel: str = ""


@dataclass(frozen=True)
class OnCall:
    """Who holds the pager now, who is next, and the handoff between them."""

    current: str
    next: str
    since: datetime
    until: datetime


def handoff_at(rotation: Rotation, turn: int) -> datetime:
    """The start of turn number `turn` (0 = the first), as an aware UTC-comparable datetime."""
    day = rotation.start + timedelta(days=turn * rotation.length_days)
    return datetime.combine(day, rotation.handoff_time, tzinfo=ZoneInfo(rotation.timezone))


def turn_at(rotation: Rotation, now: datetime) -> int:
    """The turn in force at `now` (negative before the rotation starts)."""
    length = timedelta(days=rotation.length_days)
    turn = int((now - handoff_at(rotation, 0)) // length)
    # Clock changes move wall-clock handoffs by an hour against UTC arithmetic: correct for it.
    while handoff_at(rotation, turn + 1) <= now:
        turn += 1
    while handoff_at(rotation, turn) > now:
        turn -= 1
    return turn


def on_call(rotation: Rotation, now: datetime) -> OnCall:
    """Who is on call at `now` and who takes over next."""
    turn = turn_at(rotation, now)
    members = rotation.members
    return OnCall(current=members[turn % len(members)], next=members[(turn + 1) % len(members)],
                  since=handoff_at(rotation, turn), until=handoff_at(rotation, turn + 1))
