"""The schema of `warroom.yaml`: every key, its type and its checks (pydantic models, frozen, strict)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.config_access import PermissionsConfig, RedactionConfig
from bot.config_alerts import AlertsConfig
from bot.config_status_page import StatusPageConfig
from bot.domain.permissions import Capability
from bot.domain.policy import FOLLOWUP_OVERDUE_AFTER, RECURRENCE_WINDOW

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(value: Any) -> timedelta:
    """`15m`, `1h30m`, `2d`, `45s` or a number of seconds -> timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        if value.strip() == "0":
            return timedelta(0)
        match = _DURATION.match(value)
        if match and any(match.groups()):
            d, h, m, s = (int(g or 0) for g in match.groups())
            return timedelta(days=d, hours=h, minutes=m, seconds=s)
    raise ValueError("expected a duration such as 30s, 15m, 1h or 2h30m")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EscalationLevelConfig(_Strict):
    after: Duration
    notify: list[Annotated[str, Field(pattern=r"^(role:[a-z0-9_-]+|[SUW][A-Z0-9]+|#[a-z0-9_-]+|C[A-Z0-9]+)$")]] = Field(
        min_length=1)


class SeverityConfig(_Strict):
    id: str = Field(min_length=1, max_length=20)
    label: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=1, max_length=500)
    aliases: list[str] = []
    examples: list[str] = []
    response_target: Duration
    update_cadence: Duration
    escalation_contacts: list[str] = []
    escalation: list[EscalationLevelConfig] = []
    review_due: str | None = Field(default=None, description="e.g. 48h or '3 business days'")

    @field_validator("review_due")
    @classmethod
    def _review_due(cls, value: str | None) -> str | None:
        if value is not None and not BUSINESS_DAYS.match(value):
            parse_duration(value)
        return value


class StatusConfig(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=30)
    label: str = Field(min_length=1, max_length=40)
    description: str = ""
    emoji: str = ""
    closed: bool = False
    transitions: list[str] = []


class LifecycleConfig(_Strict):
    initial: str
    statuses: list[StatusConfig] = Field(min_length=2)

    @model_validator(mode="after")
    def _transitions_known(self) -> LifecycleConfig:
        ids = [s.id for s in self.statuses]
        if self.initial not in ids:
            raise ValueError(f"initial status {self.initial!r} must be one of {ids}")
        for s in self.statuses:
            unknown = [t for t in s.transitions if t not in ids]
            if unknown:
                raise ValueError(f"status {s.id!r} lists unknown transitions {unknown}; known: {ids}")
        return self


class RoleConfig(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=30)
    label: str = Field(min_length=1, max_length=40)
    duties: str = Field(min_length=1, max_length=1000)
    restricted: bool = False


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class HandoffConfig(_Strict):
    day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class RotationConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)
    name: str = Field(min_length=1, max_length=80)
    members: list[Annotated[str, Field(pattern=r"^[UW][A-Z0-9]+$")]] = Field(min_length=1)
    channel: str = ""
    length_days: int = Field(default=7, ge=1, le=90)
    handoff: HandoffConfig = HandoffConfig()
    timezone: str = "UTC"
    start: date = Field(description="a handoff date (on the handoff day) from which turns are counted")

    @model_validator(mode="after")
    def _start_on_handoff_day(self) -> RotationConfig:
        ZoneInfo(self.timezone)
        if self.length_days % 7 == 0 and _WEEKDAYS[self.start.weekday()] != self.handoff.day:
            raise ValueError(f"start {self.start} is a {_WEEKDAYS[self.start.weekday()]}, but handoffs are on "
                             f"{self.handoff.day}s")
        return self


class ClassFieldConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    label: str = Field(default="", max_length=80)  # default: the name
    kind: Literal["text", "select", "user", "number"] = "text"
    options: list[Annotated[str, Field(min_length=1, max_length=75)]] = Field(default=[], max_length=100)
    required: bool = False  # must be set before the incident is resolved

    @model_validator(mode="after")
    def _options_only_for_select(self) -> ClassFieldConfig:
        if (self.kind == "select") != bool(self.options):
            raise ValueError(f"field {self.name!r}: a select needs `options`, and only a select has them")
        return self


class ClassConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    label: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=300)
    fields: list[ClassFieldConfig] = Field(default=[], max_length=20)  # custom fields of its incidents

    @model_validator(mode="after")
    def _field_names_unique(self) -> ClassConfig:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"class {self.id!r}: field names must be unique, got {names}")
        return self


class DuplicatesConfig(_Strict):
    window: Duration = timedelta(hours=1)
    similarity: float = Field(default=0.75, ge=0, le=1)


KPI_SPAN_MAX = timedelta(days=365)


def kpi_span(value: timedelta) -> timedelta:
    """A KPI duration (a window or a limit): more than zero and at most a year."""
    if value <= timedelta(0):
        raise ValueError("must be a duration more than zero, such as 30d or 7d")
    if value > KPI_SPAN_MAX:
        raise ValueError(f"must be at most {KPI_SPAN_MAX.days}d (a year), such as 30d or 90d")
    return value


KpiSpan = Annotated[Duration, AfterValidator(kpi_span)]


class InsightsConfig(_Strict):
    recurrence_window: KpiSpan = RECURRENCE_WINDOW  # an earlier incident of the class this recent: a recurrence
    followup_overdue_after: KpiSpan = FOLLOWUP_OVERDUE_AFTER  # an open follow-up this old is overdue


class WarroomConfig(_Strict):
    announcements_channel: str | None = None
    announce_severity_lowered: bool = False
    channel_name_pattern: str = "inc-{number}-{title}"
    timezone: str = "UTC"
    duplicates: DuplicatesConfig = DuplicatesConfig()
    severities: list[SeverityConfig] = Field(min_length=1)
    lifecycle: LifecycleConfig
    roles: list[RoleConfig] = Field(min_length=1)
    role_admins: list[Annotated[str, Field(pattern=r"^[USW][A-Z0-9]+$")]] = []  # the older name of permissions.admins
    permissions: PermissionsConfig = PermissionsConfig()
    timeline_emoji: str = Field(default="pushpin", pattern=r"^[a-z0-9_+\-']+$")
    review_template: str = ""
    oncall: list[RotationConfig] = []
    flag_providers: dict[str, dict[str, Any]] = {}
    default_flag_provider: str | None = None
    redaction: RedactionConfig = RedactionConfig()
    alerts: AlertsConfig = AlertsConfig()
    services: list[dict[str, Any]] = []  # checked entry by entry (bot.config_alerts), with the catalog directory's
    catalog: str = ""  # a directory of service files (Warroom's or Backstage catalog-info.yaml), relative to this file
    status_page: StatusPageConfig = StatusPageConfig()
    classes: list[ClassConfig] = []  # incident classes (the shipped ones are in warroom.example.yaml)
    class_required_at_resolve: bool = False  # resolving needs the incident's class
    insights: InsightsConfig = InsightsConfig()  # the KPIs' recurrence window and follow-up overdue limit

    @model_validator(mode="after")
    def _default_provider_exists(self) -> WarroomConfig:
        if self.default_flag_provider and self.default_flag_provider not in self.flag_providers:
            raise ValueError(f"default_flag_provider {self.default_flag_provider!r} is not one of flag_providers "
                             f"({sorted(self.flag_providers) or 'none configured'})")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"expected an IANA time zone such as UTC or Europe/Berlin, got {value!r}") from None
        return value

    @model_validator(mode="after")
    def _permission_roles_exist(self) -> WarroomConfig:
        known = [r.id for r in self.roles]
        for cap in Capability:
            for entry in getattr(self.permissions, cap.value):
                if entry.startswith("role:") and entry[5:] not in known:
                    raise ValueError(f"permissions.{cap.value}: {entry!r} names no role; roles are {known}")
        return self

    @model_validator(mode="after")
    def _commander_exists(self) -> WarroomConfig:
        if "commander" not in [r.id for r in self.roles]:
            raise ValueError("roles must include one with id `commander` (handover and escalation need it)")
        return self

    @model_validator(mode="after")
    def _pattern_fields(self) -> WarroomConfig:
        try:
            self.channel_name_pattern.format(number=1, title="t", severity="s", date="d")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"channel_name_pattern may only use {{number}} {{title}} {{severity}} {{date}} ({exc})"
            ) from exc
        if "{number}" not in self.channel_name_pattern:
            raise ValueError("channel_name_pattern must contain {number} so every channel name is unique")
        return self


BUSINESS_DAYS = re.compile(r"^\s*(\d+)\s*business\s+days?\s*$")

