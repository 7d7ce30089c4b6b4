"""warroom.yaml's `alerts` (routing of monitoring alerts) and `services` (the service catalog), with the
catalog files a `catalog:` directory holds (Warroom's own service entries or Backstage `catalog-info.yaml`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.alert_routing import AlertAction, AlertPolicy, Route
from bot.domain.catalog import Catalog, Service
from bot.domain.errors import ConfigError
from bot.validation_errors import error_message

Channel = Annotated[str, Field(pattern=r"^(#[a-z0-9_-]+|[CG][A-Z0-9]+)$")]
Action = Literal["declare", "triage", "record"]
# Backstage annotations Warroom reads from a Component's metadata.annotations.
BACKSTAGE = {"channel": "warroom.io/slack-channel", "usergroup": "warroom.io/slack-usergroup",
             "oncall": "warroom.io/oncall", "runbooks": "warroom.io/runbooks",
             "status_component": "warroom.io/status-component", "tier": "warroom.io/tier"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouteConfig(_Strict):
    match: dict[str, str] = Field(min_length=1)
    service: str = ""
    severity: str = ""
    action: Action | None = None
    channel: Channel | Literal[""] = ""
    auto_resolve: bool | None = None


class AlertsConfig(_Strict):
    channel: Channel = "#alerts"
    team_id: str = Field(default="", pattern=r"^(T[A-Z0-9]+)?$")
    severities: dict[str, str] = {"critical": "SEV1", "warning": "SEV2", "info": "SEV3"}
    default_severity: str = "SEV3"
    actions: dict[str, Action] = {"SEV0": "declare", "SEV1": "declare", "SEV2": "triage", "SEV3": "record"}
    auto_resolve: bool = False
    routes: list[RouteConfig] = []

    def to_policy(self, severity_ids: list[str]) -> AlertPolicy:
        """The domain's AlertPolicy; severities must name the policy's own."""
        named = {**{k: v for k, v in self.severities.items()}, "default_severity": self.default_severity,
                 **{f"routes[{n}].severity": r.severity for n, r in enumerate(self.routes) if r.severity}}
        for where, severity in named.items():
            if severity not in severity_ids:
                raise ValueError(f"alerts.{where if where.startswith(('routes', 'default')) else 'severities.' + where}:"
                                 f" {severity!r} is not a severity ({', '.join(severity_ids)})")
        return AlertPolicy(
            channel=self.channel, team_id=self.team_id, default_severity=self.default_severity,
            severities={k.lower(): v for k, v in self.severities.items()}, auto_resolve=self.auto_resolve,
            actions={k: AlertAction(v) for k, v in self.actions.items()},
            routes=tuple(Route(match=dict(r.match), service=r.service, severity=r.severity,
                               action=AlertAction(r.action) if r.action else None, channel=r.channel,
                               auto_resolve=r.auto_resolve) for r in self.routes))


class ServiceConfig(_Strict):
    id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    owner: str = ""
    oncall: str = ""
    channel: Channel | Literal[""] = ""
    usergroup: str = Field(default="", pattern=r"^(S[A-Z0-9]+)?$")
    runbooks: list[str] = []
    status_component: str = ""
    tier: int | None = None
    aliases: list[str] = []

    def to_service(self) -> Service:
        """The domain's Service."""
        return Service(id=self.id, name=self.name, owner=self.owner, oncall=self.oncall, channel=self.channel,
                       usergroup=self.usergroup, runbooks=tuple(self.runbooks), status_component=self.status_component,
                       tier=self.tier, aliases=tuple(self.aliases))


def _from_backstage(doc: dict[str, Any]) -> dict[str, Any]:
    """A Warroom service entry from a Backstage Component (`metadata`, `spec`, Warroom's annotations)."""
    meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
    notes = meta.get("annotations") or {}
    entry: dict[str, Any] = {"id": meta.get("name", ""), "name": meta.get("title", ""),
                             "owner": str(spec.get("owner", "")).removeprefix("group:")}
    for key, annotation in BACKSTAGE.items():
        if notes.get(annotation):
            value = notes[annotation]
            entry[key] = [v.strip() for v in value.split(",") if v.strip()] if key == "runbooks" else value
    return entry


def catalog_files(directory: Path) -> list[dict[str, Any]]:
    """Service entries of every YAML file in `directory` (Backstage Components included; other kinds skipped)."""
    entries: list[dict[str, Any]] = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        for doc in docs:
            if "apiVersion" in doc:
                if doc.get("kind") == "Component":
                    entries.append(_from_backstage(doc))
            else:
                entries.append(doc)
    return entries


def build_catalog(services: list[dict[str, Any]], directory: str, base: Path | None) -> Catalog:
    """The catalog from warroom.yaml's `services` and the files of its `catalog` directory (ids must be unique)."""
    entries = list(services)
    if directory:
        path = (base or Path.cwd()) / directory
        if not path.is_dir():
            raise ConfigError(f"catalog: {path} is not a directory")
        entries += catalog_files(path)
    found: dict[str, Service] = {}
    for entry in entries:
        try:
            service = ServiceConfig.model_validate(entry).to_service()
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {error_message(e)}" for e in exc.errors())
            raise ConfigError(f"services: the entry {entry.get('id', '?')!r} is invalid: {problems}") from None
        if service.id in found:
            raise ConfigError(f"services: {service.id!r} is defined twice")
        found[service.id] = service
    return Catalog(tuple(found.values()))
