"""Alert notifications for tests and benchmarks, shaped as Alertmanager (payload version 4) and Grafana send them."""

from __future__ import annotations

import json
from typing import Any

EXTERNAL_URL = "http://alertmanager.example:9093"


def alert(fingerprint: str, status: str = "firing", *, name: str = "ImportsFailing", severity: str = "critical",
          summary: str = "", runbook: str = "", **labels: str) -> dict[str, Any]:
    """One alert of a notification."""
    annotations = {"summary": summary or f"{name} on {fingerprint}", "description": f"{name} is firing"}
    if runbook:
        annotations["runbook"] = runbook
    return {"status": status, "labels": {"alertname": name, "severity": severity, **labels},
            "annotations": annotations, "startsAt": "2026-12-04T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-04T10:05:00Z",
            "generatorURL": f"http://prometheus.example:9090/graph?g0.expr=up&fp={fingerprint}",
            "fingerprint": fingerprint}


def alertmanager(group: str, alerts: list[dict[str, Any]], *, receiver: str = "warroom") -> dict[str, Any]:
    """A webhook notification of the alert group `group` (its groupLabels: {alertname: group})."""
    firing = any(a["status"] == "firing" for a in alerts)
    common = dict(alerts[0]["labels"]) if alerts else {}
    for other in alerts[1:]:
        common = {k: v for k, v in common.items() if other["labels"].get(k) == v}
    return {"version": "4", "groupKey": f'{{}}:{{alertname="{group}"}}', "truncatedAlerts": 0,
            "status": "firing" if firing else "resolved", "receiver": receiver,
            "groupLabels": {"alertname": group}, "commonLabels": common, "commonAnnotations": {},
            "externalURL": EXTERNAL_URL, "alerts": alerts}


def grafana(alerts: list[dict[str, Any]], *, group_key: str = "{}:{}") -> dict[str, Any]:
    """Grafana's webhook notification (its documented example's shape: orgId, values and the per-alert URLs)."""
    for a in alerts:
        a.setdefault("silenceURL", "https://grafana.example/alerting/silence/new?matchers=alertname%3DX")
        a.setdefault("dashboardURL", "https://grafana.example/d/abc")
        a.setdefault("panelURL", "https://grafana.example/d/abc?viewPanel=2")
        a.setdefault("imageURL", "")
        a.setdefault("values", {"B": 44.2, "C": 1})
        a.setdefault("valueString", "[ var='B' labels={} value=44.2 ]")
    body = alertmanager("grafana", alerts, receiver="My Super Webhook")
    return {**body, "groupKey": group_key, "orgId": 1, "version": "1", "title": "[FIRING:1]", "state": "alerting",
            "message": "**Firing**", "externalURL": "https://grafana.example/"}


def body(payload: dict[str, Any]) -> bytes:
    """The notification as sent."""
    return json.dumps(payload).encode()
