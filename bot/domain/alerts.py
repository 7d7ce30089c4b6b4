"""Alerts from monitoring (Alertmanager, Grafana): one notification, its alert group and what changed in it.

A source sends a *notification* for an *alert group*: every alert of the group, firing or resolved, each
time. Warroom keeps one open incident (or triage message) per group and remembers each alert's last
status by fingerprint, so a notification only adds what changed: a fingerprint firing anew, one resolving.
A redelivery (Alertmanager retries, and re-sends every `repeat_interval`) changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

FIRING = "firing"
RESOLVED = "resolved"
# Grafana sends this uninformative group key (e.g. for a contact point test or `group_by: [...]`).
EMPTY_GROUP_KEYS = frozenset({"", "{}:{}", "{}"})


class AlertSource(StrEnum):
    """Where alerts come from; each has its receiver at POST /alerts/<source>."""

    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"


@dataclass(frozen=True)
class Alert:
    """One alert of a notification."""

    fingerprint: str
    status: str  # firing | resolved
    labels: Mapping[str, str]
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at: str = ""
    ends_at: str = ""
    generator_url: str = ""
    links: Mapping[str, str] = field(default_factory=dict)  # Grafana: dashboard, panel, silence, image

    @property
    def name(self) -> str:
        """The alert's name (`alertname`), or its fingerprint when it has none."""
        return self.labels.get("alertname") or self.fingerprint

    @property
    def summary(self) -> str:
        """What the alert says: its summary annotation, else its description, else its name."""
        return self.annotations.get("summary") or self.annotations.get("description") or self.name


@dataclass(frozen=True)
class AlertNotification:
    """One webhook notification of one alert group."""

    source: AlertSource
    receiver: str
    group_key: str
    status: str
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    common_annotations: Mapping[str, str]
    external_url: str
    alerts: tuple[Alert, ...]
    truncated_alerts: int = 0

    @property
    def dedup_key(self) -> str:
        """The group's identity: source, receiver and group key; the set of fingerprints when the key says nothing."""
        key = self.group_key
        if key.strip() in EMPTY_GROUP_KEYS:
            key = "fingerprints:" + ",".join(sorted({a.fingerprint for a in self.alerts}))
        digest = hashlib.sha256(f"{self.source}\x1f{self.receiver}\x1f{key}".encode()).hexdigest()
        return digest[:40]

    @property
    def firing(self) -> tuple[Alert, ...]:
        """The alerts still firing."""
        return tuple(a for a in self.alerts if a.status == FIRING)

    def labels(self) -> dict[str, str]:
        """The labels routing reads: the group's common labels, else the first alert's."""
        first = self.alerts[0].labels if self.alerts else {}
        return {**first, **self.group_labels, **self.common_labels}

    def annotation(self, name: str) -> str:
        """An annotation common to the group, else the first firing (or first) alert's."""
        if self.common_annotations.get(name):
            return self.common_annotations[name]
        for alert in (*self.firing, *self.alerts):
            if alert.annotations.get(name):
                return alert.annotations[name]
        return ""

    def title(self) -> str:
        """The incident or triage title: the summary annotation, else the alert's name."""
        first = self.firing[0] if self.firing else (self.alerts[0] if self.alerts else None)
        summary = self.annotation("summary") or (first.name if first else "") or "Alert"
        return " ".join(summary.split())[:120]

    def links(self) -> dict[str, str]:
        """Links for the card: the alert's source, its runbook, its dashboards (label -> URL)."""
        found: dict[str, str] = {}
        for alert in (*self.firing, *self.alerts):
            if alert.generator_url:
                found.setdefault("Alert source", alert.generator_url)
            for label, url in alert.links.items():
                found.setdefault(label, url)
        if self.annotation("runbook_url"):
            found["Runbook"] = self.annotation("runbook_url")
        if self.external_url:
            found.setdefault(self.source.value.title(), self.external_url)
        return {label: url for label, url in found.items() if url.startswith(("http://", "https://"))}


@dataclass(frozen=True)
class AlertChanges:
    """What a notification changes in its group: alerts firing anew, alerts resolved."""

    fired: tuple[Alert, ...]
    resolved: tuple[Alert, ...]
    statuses: dict[str, str]  # every fingerprint's status after the notification

    @property
    def all_resolved(self) -> bool:
        """Every alert of the group has resolved (and there was at least one)."""
        return bool(self.statuses) and all(s == RESOLVED for s in self.statuses.values())

    @property
    def any(self) -> bool:
        """Something changed."""
        return bool(self.fired or self.resolved)


def changes(known: Mapping[str, str], alerts: Sequence[Alert]) -> AlertChanges:
    """Compare the group's known statuses (fingerprint -> status) with a notification's alerts."""
    statuses = dict(known)
    fired, resolved = [], []
    for alert in alerts:
        before = statuses.get(alert.fingerprint)
        if alert.status == FIRING and before != FIRING:
            fired.append(alert)
        elif alert.status == RESOLVED and before == FIRING:
            resolved.append(alert)
        elif alert.status == RESOLVED and before is None:
            pass  # resolved before Warroom saw it fire: recorded, not news
        statuses[alert.fingerprint] = alert.status
    return AlertChanges(fired=tuple(fired), resolved=tuple(resolved), statuses=statuses)


def describe(alert: Alert) -> str:
    """How an alert reads on a timeline and in a triage message: its name, its summary, its fingerprint (data:
    escaped where it is shown)."""
    summary = alert.summary if alert.summary != alert.name else ""
    return f"{alert.name}" + (f" · {summary}" if summary else "") + f" ({alert.fingerprint})"
