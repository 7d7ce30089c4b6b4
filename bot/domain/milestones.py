"""Incident milestones: reading the times responders type, keeping milestones in order, durations.

Milestones live on `Incident.milestones` keyed by `Milestone` values. Every function here returns
a new dict and every datetime it returns is aware UTC; `now` is always passed in.

Daylight saving time: a typed wall-clock time is read in the workspace zone with zoneinfo.
- A time in the spring-forward gap (e.g. 02:30 in Europe/Berlin on the last Sunday of March)
  never appeared on a clock there, so it is refused with a suggestion, rather than silently
  guessing which instant was meant.
- A time in the autumn fold (02:30 happens twice) follows the same rule as a bare `HH:MM`: the
  most recent occurrence that is not in the future. Typing an offset (`02:30+01:00`) picks one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import ConfigError, InvalidCommand, InvalidInput
from bot.domain.incident import Milestone

# Slack clients and the server clock disagree by a few seconds; a minute keeps "now-ish" usable.
CLOCK_SKEW = timedelta(minutes=1)

_WHEN = re.compile(
    r"""^(?:(?P<yesterday>yesterday)\s+|(?P<date>\d{4}-\d{2}-\d{2})(?:\s+|t))?
    (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?
    \s*(?P<zone>z|utc|gmt|[+-]\d{2}(?::?\d{2})?|[a-z_]+(?:/[a-z0-9_+-]+)+)?$""",
    re.IGNORECASE | re.VERBOSE,
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})?$")

_ALIASES = {
    "start": Milestone.STARTED, "impact": Milestone.STARTED,
    "detect": Milestone.DETECTED,
    "ack": Milestone.ACKNOWLEDGED, "acked": Milestone.ACKNOWLEDGED,
    "mitigate": Milestone.MITIGATED,
    "resolve": Milestone.RESOLVED,
}

# Pairs (earlier, later); direct neighbours come first so a conflict names the closest milestone.
_ORDER = (
    (Milestone.STARTED, Milestone.DETECTED),
    (Milestone.DETECTED, Milestone.ACKNOWLEDGED),
    (Milestone.DETECTED, Milestone.MITIGATED),
    (Milestone.MITIGATED, Milestone.RESOLVED),
    (Milestone.DETECTED, Milestone.RESOLVED),
    (Milestone.STARTED, Milestone.ACKNOWLEDGED),
    (Milestone.STARTED, Milestone.MITIGATED),
    (Milestone.STARTED, Milestone.RESOLVED),
)
# Without the policy at hand these are the statuses that count as "no longer open".
_CLOSED_STATUSES = frozenset({"resolved", "closed"})


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or ConfigError naming the bad value."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"timezone {name!r} is not an IANA time zone name such as `Europe/Berlin` or `UTC`."
        ) from exc


def format_time(when: datetime, tz: str) -> str:
    """`when` as a wall-clock time in zone `tz`, e.g. `2026-11-22 14:02 CET`."""
    return as_utc(when).astimezone(time_zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


def as_utc(when: datetime) -> datetime:
    """`when` in UTC; a naive datetime is refused (it would be read in the machine's zone)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {when.isoformat()}")
    return when.astimezone(UTC)


def _hint(tz: str) -> str:
    return f"Give a time like `14:02`, `yesterday 23:50` or `2026-11-21 14:02` (times are in {tz})."


def _suffix_zone(text: str) -> tzinfo:
    if text.lower() in ("z", "utc", "gmt"):
        return UTC
    offset = _OFFSET.match(text)
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise InvalidCommand(f"`{text}` is not a UTC offset. Write offsets like `+02:00` or `-07:00`.")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidCommand(
            f"`{text}` is not a time zone. Use an offset like `+02:00`, `UTC`, "
            "or a zone name like `Europe/Berlin`."
        ) from exc


def _instants(day: date, clock: time, zone: tzinfo) -> list[datetime]:
    """Every UTC instant at which clocks in `zone` showed `day clock`: none in a gap, two in a fold."""
    wall = datetime.combine(day, clock)
    found: list[datetime] = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        # A wall time in the gap does not survive the round trip; that is how zoneinfo reveals it.
        if instant.astimezone(zone).replace(tzinfo=None) == wall and instant not in found:
            found.append(instant)
    return sorted(found)


def _resolve(day: date, clock: time, zone: tzinfo, *, now: datetime, zone_name: str) -> datetime:
    instants = _instants(day, clock, zone)
    if not instants:
        # fold=0 in a gap applies the offset from before the jump: the instant the clock "would" show.
        shifted = datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
        moved = shifted.astimezone(zone).strftime("%H:%M")
        raise InvalidCommand(
            f"`{clock:%H:%M}` on {day} did not happen in {zone_name}: the clocks jumped forward for "
            f"daylight saving time. Type `{day} {moved}` for the moment it would have been, or give "
            f"the time in UTC, e.g. `{day} {shifted:%H:%M} UTC`."
        )
    past = [instant for instant in instants if instant <= now + CLOCK_SKEW]
    return past[-1] if past else instants[0]


def parse_when(text: str, *, now: datetime, tz: str) -> datetime:
    """Read a typed milestone time in the workspace zone `tz`; aware UTC, never in the future."""
    now = as_utc(now)
    typed = " ".join(text.split())
    if typed.lower() == "now":
        return now
    match = _WHEN.match(typed)
    if not match:
        raise InvalidCommand(_hint(tz))
    zone_text = match.group("zone")
    zone = _suffix_zone(zone_text) if zone_text else time_zone(tz)
    zone_name = zone_text or tz
    try:
        clock = time(int(match.group("hour")), int(match.group("minute")), int(match.group("second") or 0))
        day = date.fromisoformat(match.group("date")) if match.group("date") else None
    except ValueError as exc:
        raise InvalidCommand(_hint(tz)) from exc
    today = now.astimezone(zone).date()
    if day is None and match.group("yesterday"):
        day = today - timedelta(days=1)
    elif day is None:
        # A bare time is the most recent occurrence: typed after midnight, 23:50 means yesterday.
        earliest_today = datetime.combine(today, clock, tzinfo=zone).astimezone(UTC)
        day = today if earliest_today <= now + CLOCK_SKEW else today - timedelta(days=1)
    when = _resolve(day, clock, zone, now=now, zone_name=zone_name)
    if when > now + CLOCK_SKEW:
        raise InvalidCommand(
            f"`{typed}` is in the future ({format_time(when, tz)}; it is now {format_time(now, tz)}). "
            "Milestones record what already happened."
        )
    return when


def parse_milestone(name: str) -> Milestone:
    """The milestone `name` refers to (case-insensitive, with short aliases like `ack`)."""
    wanted = name.strip().lower()
    if wanted in _ALIASES:
        return _ALIASES[wanted]
    try:
        return Milestone(wanted)
    except ValueError:
        names = ", ".join(m.value for m in Milestone)
        raise InvalidCommand(
            f"`{name}` is not a milestone. Use one of: {names} (e.g. `/incident milestone detected 14:02`)."
        ) from None


def on_declared(declared_at: datetime) -> dict[str, datetime]:
    """The milestones of a newly declared incident: detected when declared."""
    return {Milestone.DETECTED.value: as_utc(declared_at)}


def on_acknowledged(milestones: dict[str, datetime], now: datetime) -> dict[str, datetime]:
    """The milestones once a commander is first assigned: acknowledged, unless already set."""
    changed = dict(milestones)
    changed.setdefault(Milestone.ACKNOWLEDGED.value, as_utc(now))
    return changed


def on_status_change(
    milestones: dict[str, datetime], *, old_status: str, new_status: str, now: datetime
) -> dict[str, datetime]:
    """The milestones after a status change (monitoring and resolved mitigate; reopening un-resolves)."""
    changed = dict(milestones)
    now = as_utc(now)
    if old_status in _CLOSED_STATUSES and new_status not in _CLOSED_STATUSES:
        # Mitigation really happened; only the resolution turned out to be premature.
        changed.pop(Milestone.RESOLVED.value, None)
    if new_status in ("monitoring", "resolved"):
        changed.setdefault(Milestone.MITIGATED.value, now)
    if new_status == "resolved":
        changed[Milestone.RESOLVED.value] = now
    return changed


def set_milestone(
    milestones: dict[str, datetime], name: Milestone, when: datetime, *, tz: str = "UTC"
) -> dict[str, datetime]:
    """Back-fill one milestone, refusing a time out of order with the others (shown in zone `tz`)."""
    name = Milestone(name)
    when = as_utc(when)
    for earlier, later in _ORDER:
        if name not in (earlier, later):
            continue
        other = later if name == earlier else earlier
        other_at = milestones.get(other.value)
        if other_at is None:
            continue
        if (name == earlier and when > other_at) or (name == later and when < other_at):
            side = "after" if name == earlier else "before"
            must = "at or before" if name == earlier else "at or after"
            raise InvalidInput({
                "milestone": (
                    f"{name.value.capitalize()} at {format_time(when, tz)} would be {side} {other.value} "
                    f"at {format_time(other_at, tz)}; {name.value} must be {must} {other.value}. "
                    f"Pick another time or change {other.value} first."
                )
            })
    changed = dict(milestones)
    changed[name.value] = when
    return changed


@dataclass(frozen=True)
class Durations:
    """How long each phase of an incident took; None when either end is not recorded."""

    time_to_detect: timedelta | None
    time_to_acknowledge: timedelta | None
    time_to_mitigate: timedelta | None
    time_to_resolve: timedelta | None


def _between(milestones: dict[str, datetime], start: Milestone, end: Milestone) -> timedelta | None:
    if start.value in milestones and end.value in milestones:
        return milestones[end.value] - milestones[start.value]
    return None


def durations(milestones: dict[str, datetime]) -> Durations:
    """TTD (started→detected) and TTA/TTM/TTR measured from detection."""
    return Durations(
        time_to_detect=_between(milestones, Milestone.STARTED, Milestone.DETECTED),
        time_to_acknowledge=_between(milestones, Milestone.DETECTED, Milestone.ACKNOWLEDGED),
        time_to_mitigate=_between(milestones, Milestone.DETECTED, Milestone.MITIGATED),
        time_to_resolve=_between(milestones, Milestone.DETECTED, Milestone.RESOLVED),
    )


def format_duration(td: timedelta | None) -> str:
    """A duration for people: `—`, `45 s`, `12 min`, `1 h 05 min`, `2 d 3 h 10 min`."""
    if td is None:
        return "—"
    sign = "-" if td < timedelta(0) else ""
    # Rounded down to whole units so a phase never reads longer than it took.
    total = int(abs(td).total_seconds())
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h {minutes:02d} min"
    elif hours:
        text = f"{hours} h {minutes:02d} min"
    elif minutes:
        text = f"{minutes} min"
    else:
        text = f"{seconds} s"
    return sign + text


def format_span(td: timedelta) -> str:
    """A window or limit such as the recurrence window: `30 days` when whole days, else as format_duration."""
    if td % timedelta(days=1):
        return format_duration(td)
    return f"{td.days} day{'s' if td.days != 1 else ''}"
