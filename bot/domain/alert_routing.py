"""Alert routing: from an alert group's labels to a service, a severity and what to do (pure).

The service comes from the `service` label, then `job`, then a route's matchers; the severity from the
`severity` label (critical -> SEV1, warning -> SEV2, info -> SEV3 by default). What happens depends on
the severity (seed 001: critical declares, warning posts a triage message in #alerts, info records
only); a route may override any of it for the alerts its matchers select.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.catalog import Catalog, Service


class AlertAction(StrEnum):
    """What an alert group causes."""

    DECLARE = "declare"  # declare an incident at once
    TRIAGE = "triage"  # post a triage message with Declare / Dismiss buttons
    RECORD = "record"  # only keep it (the dashboard shows it)


DEFAULT_SEVERITIES: Mapping[str, str] = {"critical": "SEV1", "warning": "SEV2", "info": "SEV3"}
DEFAULT_ACTIONS: Mapping[str, AlertAction] = {
    "SEV0": AlertAction.DECLARE, "SEV1": AlertAction.DECLARE, "SEV2": AlertAction.TRIAGE, "SEV3": AlertAction.RECORD}


@dataclass(frozen=True)
class Route:
    """Alerts whose labels equal every `match` entry get this route's settings (those it sets)."""

    match: Mapping[str, str]
    service: str = ""
    severity: str = ""
    action: AlertAction | None = None
    channel: str = ""
    auto_resolve: bool | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when every matcher equals the label of the same name."""
        return all(labels.get(name) == value for name, value in self.match.items())


@dataclass(frozen=True)
class AlertPolicy:
    """warroom.yaml `alerts`: the triage channel, the severity map, the action per severity, the routes."""

    channel: str = "#alerts"
    severities: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    default_severity: str = "SEV3"
    actions: Mapping[str, AlertAction] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    routes: tuple[Route, ...] = ()
    auto_resolve: bool = False  # resolve the incident when every alert has resolved (else: ask)
    team_id: str = ""  # the Slack workspace alerts go to (empty: the bot token's own)


@dataclass(frozen=True)
class Decision:
    """Where an alert group goes and what it causes."""

    service: str
    severity: str
    action: AlertAction
    channel: str
    auto_resolve: bool
    catalog_entry: Service | None = None


def decide(labels: Mapping[str, str], policy: AlertPolicy, catalog: Catalog) -> Decision:
    """The routing decision for an alert group with these labels."""
    route = next((r for r in policy.routes if r.matches(labels)), None)
    entry = catalog.first([labels.get("service", ""), labels.get("job", "")])
    if route is not None and route.service:
        entry = catalog.find(route.service) or entry
    service = entry.id if entry else (route.service if route and route.service else
                                      labels.get("service") or labels.get("job") or "")
    severity = policy.severities.get(labels.get("severity", "").strip().lower(), policy.default_severity)
    if route is not None and route.severity:
        severity = route.severity
    action = policy.actions.get(severity, AlertAction.RECORD)
    if route is not None and route.action is not None:
        action = route.action
    channel = (route.channel if route and route.channel else "") or (entry.channel if entry else "") or policy.channel
    auto_resolve = route.auto_resolve if route and route.auto_resolve is not None else policy.auto_resolve
    return Decision(service=service, severity=severity, action=action, channel=channel,
                    auto_resolve=auto_resolve, catalog_entry=entry)


def runbook_named_by_url(url: str, runbook_ids: frozenset[str]) -> str:
    """The runbook a `runbook_url` annotation points at: the id that is its path's last part (extension,
    query and fragment left off: `https://wiki.example/runbooks/api-high-latency.md#steps`), when a
    runbook has that id; "" otherwise (the URL stays a link on the card)."""
    path = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    last = path.rsplit("/", 1)[-1] if "://" in path else ""
    stem = last.rsplit(".", 1)[0] if "." in last else last
    return next((name for name in (last, stem) if name in runbook_ids), "")
