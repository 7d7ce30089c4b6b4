"""Warroom's configuration, loaded once: the environment's Settings and `warroom.yaml`, validated by key.

The entry point calls `load_config(environ)` and passes the Config down; nothing else reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.config_alerts import build_catalog
from bot.config_merge import entry_ids, merge_config
from bot.config_schema import BUSINESS_DAYS, WarroomConfig, parse_duration
from bot.domain.classes import ClassField, FieldKind, IncidentClass
from bot.domain.errors import ConfigError
from bot.domain.lifecycle import Lifecycle, Status
from bot.domain.oncall import Rotation
from bot.domain.policy import Policy, Role
from bot.domain.severity import EscalationLevel, Severity, SeverityScale
from bot.settings import Settings, load_settings
from bot.validation_errors import error_message

__all__ = ["Config", "ConfigFile", "FlagSettings", "default_policy_text", "load_config", "load_policy",
           "parse_config", "parse_duration", "parse_policy", "read_config_file"]


def _review(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    match = BUSINESS_DAYS.match(text)
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
        alerts=cfg.alerts.to_policy(scale.ids()),
        catalog=build_catalog(cfg.services, cfg.catalog, base),
        status_page=cfg.status_page.to_policy(scale.ids(), cfg.timezone, base),
        classes=tuple(IncidentClass(c.id, c.label, c.description, tuple(
            ClassField(f.name, f.label or f.name, FieldKind(f.kind), tuple(f.options), f.required) for f in c.fields))
            for c in cfg.classes),
        class_required_at_resolve=cfg.class_required_at_resolve,
        recurrence_window=cfg.insights.recurrence_window,
        followup_overdue_after=cfg.insights.followup_overdue_after,
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
        lines.append(f"  {key}: {error_message(err)}")
    return "\n".join(lines)


def default_policy_text() -> str:
    """The shipped, commented example policy (also Warroom's defaults)."""
    return resources.files("bot").joinpath("warroom.example.yaml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class FlagSettings:
    """The flag providers configured in warroom.yaml (built by the composition root)."""

    providers: dict[str, dict[str, Any]]
    default: str | None
    base_dir: Path


@dataclass(frozen=True)
class ConfigFile:
    """What `warroom.yaml` says, laid over the shipped defaults and validated as a whole."""

    policy: Policy
    flags: FlagSettings
    restricted_patterns: dict[str, str]  # redaction: the patterns in force


def parse_config(text: str, source: str = "warroom.yaml", base: Path | None = None) -> ConfigFile:
    """Parse policy YAML laid over the defaults key by key (bot.config_merge); errors name file and key."""
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
        policy = _to_policy(cfg, base)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, merged)) from exc
    except ValueError as exc:
        raise ConfigError(f"{source} is invalid: {exc}") from exc
    providers = dict(cfg.flag_providers)
    default = cfg.default_flag_provider or (next(iter(providers)) if len(providers) == 1 else None)
    return ConfigFile(policy=policy, flags=FlagSettings(providers, default, base or Path.cwd()),
                      restricted_patterns=cfg.redaction.active())


def parse_policy(text: str, source: str = "warroom.yaml", base: Path | None = None) -> Policy:
    """The policy alone from policy YAML (see parse_config)."""
    return parse_config(text, source, base).policy


def read_config_file(path: Path | None) -> ConfigFile:
    """Read `path` once and parse it; the shipped defaults when `path` is None or does not exist."""
    if path is None or not path.exists():
        return parse_config(default_policy_text(), "built-in defaults")
    return parse_config(path.read_text(encoding="utf-8"), str(path), path.parent)


def load_policy(path: Path | None) -> Policy:
    """The policy alone from `path` (tests and benchmarks; the app reads its config with load_config)."""
    return read_config_file(path).policy


@dataclass(frozen=True)
class Config:
    """Everything the environment and warroom.yaml say, parsed and validated once at the entry point."""

    settings: Settings
    policy: Policy
    flags: FlagSettings
    restricted_patterns: Mapping[str, str]
    # What flag providers take their secrets from and runbook commands run with.
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_parts(cls, settings: Settings, file: ConfigFile | None = None, *, policy: Policy | None = None,
                   environ: Mapping[str, str] | None = None) -> Config:
        """A Config from parts already loaded (tests, doctor); the shipped defaults for what is not given."""
        file = file or parse_config(default_policy_text(), "built-in defaults")
        return cls(settings=settings, policy=policy or file.policy, flags=file.flags,
                   restricted_patterns=file.restricted_patterns, environ={} if environ is None else environ)


def load_config(environ: Mapping[str, str], *, env_file: Path | None = Path(".env")) -> Config:
    """Settings from `environ` (and `env_file`), then the warroom.yaml they name, read once."""
    settings = load_settings(environ, env_file)
    return Config.from_parts(settings, read_config_file(settings.warroom_config), environ=environ)
