"""Load the incident policy (`warroom.yaml`) into the domain's Policy, failing fast by key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config_access import PermissionsConfig, RedactionConfig
from bot.config_merge import entry_ids, merge_config
from bot.domain.errors import ConfigError
from bot.domain.lifecycle import Lifecycle, Status
from bot.domain.oncall import Rotation
from bot.domain.permissions import Capability
from bot.domain.policy import Policy, Role
from bot.domain.severity import EscalationLevel, Severity, SeverityScale

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
        if value is not None and not _BUSINESS.match(value):
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


class DuplicatesConfig(_Strict):
    window: Duration = timedelta(hours=1)
    similarity: float = Field(default=0.75, ge=0, le=1)


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


_BUSINESS = re.compile(r"^\s*(\d+)\s*business\s+days?\s*$")


def _review(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    match = _BUSINESS.match(text)
    return {"review_business_days": int(match.group(1))} if match else {"review_due": parse_duration(text)}


def _to_policy(cfg: WarroomConfig, base: Path | None = None) -> Policy:
    scale = SeverityScale(
        tuple(
            Severity(
                id=s.id, label=s.label, description=s.description, rank=rank,
                response_target=s.response_target, update_cadence=s.update_cadence,
                aliases=tuple(s.aliases), escalation_contacts=tuple(s.escalation_contacts),
                examples=tuple(s.examples),
                escalation_levels=tuple(EscalationLevel(e.after, tuple(e.notify))
                                        for e in sorted(s.escalation, key=lambda e: e.after)),
                **_review(s.review_due),
            )
            for rank, s in enumerate(cfg.severities)
        )
    )
    lifecycle = Lifecycle(
        statuses=tuple(
            Status(id=s.id, label=s.label, description=s.description, transitions=tuple(s.transitions),
                   closed=s.closed, emoji=s.emoji)
            for s in cfg.lifecycle.statuses
        ),
        initial=cfg.lifecycle.initial,
    )
    return Policy(
        severities=scale, lifecycle=lifecycle,
        announcements_channel=cfg.announcements_channel or None,
        announce_severity_lowered=cfg.announce_severity_lowered,
        channel_name_pattern=cfg.channel_name_pattern,
        duplicate_window=cfg.duplicates.window, duplicate_similarity=cfg.duplicates.similarity,
        timezone=cfg.timezone,
        roles=tuple(Role(r.id, r.label, r.duties, r.restricted) for r in cfg.roles),
        role_admins=tuple(cfg.role_admins), timeline_emoji=cfg.timeline_emoji,
        permissions=cfg.permissions.to_permissions(cfg.role_admins),
        review_template=_read_template(cfg.review_template, base),
        rotations=tuple(Rotation(id=r.id, name=r.name, members=tuple(r.members), start=r.start,
                                 handoff_time=time.fromisoformat(r.handoff.time), length_days=r.length_days,
                                 timezone=r.timezone, channel=r.channel) for r in cfg.oncall),
    )


def _read_template(path_text: str, base: Path | None) -> str | None:
    if not path_text:
        return None
    path = Path(path_text)
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"review_template: cannot read {path}: {exc.strerror}") from exc


def _describe(exc: ValidationError, source: str, data: Any = None) -> str:
    lines = [f"{source} is invalid:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in entry_ids(data, tuple(err["loc"]))) or "(top level)"
        lines.append(f"  {key}: {err['msg']}")
    return "\n".join(lines)


def default_policy_text() -> str:
    """The shipped, commented example policy (also Warroom's defaults)."""
    return resources.files("bot").joinpath("warroom.example.yaml").read_text(encoding="utf-8")


def parse_policy(text: str, source: str = "warroom.yaml", base: Path | None = None) -> Policy:
    """Parse policy YAML laid over the defaults key by key (bot.config_merge)."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must be a mapping of settings at the top level, got {type(data).__name__}")
    defaults = yaml.safe_load(default_policy_text())
    merged = merge_config(defaults, data)
    try:
        cfg = WarroomConfig.model_validate(merged)
        return _to_policy(cfg, base)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, merged)) from exc
    except ValueError as exc:
        raise ConfigError(f"{source} is invalid: {exc}") from exc


@dataclass(frozen=True)
class FlagSettings:
    """The flag providers configured in warroom.yaml (built by the composition root)."""

    providers: dict[str, dict[str, Any]]
    default: str | None
    base_dir: Path


def load_flag_settings(path: Path | None) -> FlagSettings:
    """The `flag_providers` section (validated with the rest of the file by load_policy)."""
    if path is None or not path.exists():
        return FlagSettings({}, None, Path.cwd())
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    providers = dict(data.get("flag_providers") or {})
    default = data.get("default_flag_provider") or (next(iter(providers)) if len(providers) == 1 else None)
    return FlagSettings(providers, default, path.parent)


def load_restricted_patterns(path: Path | None) -> dict[str, str]:
    """The restricted patterns in force (shipped defaults plus `redaction` in `path`), validated by name."""
    text, source = default_policy_text(), "built-in defaults"
    if path is not None and path.exists():
        text, source = path.read_text(encoding="utf-8"), str(path)
    parse_policy(text, source, None if path is None else path.parent)  # the whole file must be valid
    data = yaml.safe_load(text) or {}
    defaults = yaml.safe_load(default_policy_text())
    return RedactionConfig.model_validate(merge_config(defaults, data).get("redaction")).active()


def load_policy(path: Path | None) -> Policy:
    """Load the policy from `path`, or the defaults when `path` is None or does not exist."""
    if path is None or not path.exists():
        return parse_policy(default_policy_text(), "built-in defaults")
    return parse_policy(path.read_text(encoding="utf-8"), str(path), path.parent)
