"""The webhook payloads of alert sources, parsed into the domain's AlertNotification (pure, never raises
anything but PayloadError).

- Alertmanager, payload version 4: `groupKey`, `status`, `receiver`, `groupLabels`, `commonLabels`,
  `commonAnnotations`, `externalURL`, `truncatedAlerts`, `alerts[]` (`status`, `labels`, `annotations`,
  `startsAt`, `endsAt`, `generatorURL`, `fingerprint`).
- Grafana's unified alerting webhook: the same, plus `orgId`, and per alert `values`, `silenceURL`,
  `dashboardURL`, `panelURL`, `imageURL`; its `groupKey` may be the uninformative `{}:{}`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bot.domain.alerts import FIRING, RESOLVED, Alert, AlertNotification, AlertSource
from bot.domain.text import control_character

MAX_ALERTS = 5000
MAX_TEXT = 4000  # one label or annotation value
GRAFANA_LINKS = {"dashboardURL": "Dashboard", "panelURL": "Panel", "silenceURL": "Silence", "imageURL": "Image"}


class PayloadError(ValueError):
    """The body is not a notification of this source; says which field is wrong."""


def _text(value: Any, where: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{where}: expected a string")
    if len(value) > MAX_TEXT or control_character(value):
        raise PayloadError(f"{where}: too long or holds a control character")
    return value


def _mapping(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where}: expected an object of strings")
    return {_text(k, where): _text(v, f"{where}.{k}") for k, v in value.items()}


def _status(value: Any, where: str) -> str:
    if value not in (FIRING, RESOLVED):
        raise PayloadError(f"{where}: expected firing or resolved")
    return str(value)


def _alert(raw: Any, n: int, source: AlertSource) -> Alert:
    where = f"alerts[{n}]"
    if not isinstance(raw, Mapping):
        raise PayloadError(f"{where}: expected an object")
    labels = _mapping(raw.get("labels"), f"{where}.labels")
    fingerprint = _text(raw.get("fingerprint"), f"{where}.fingerprint")
    if not fingerprint:  # Alertmanager always sends one; derived from the labels as it does, if not
        fingerprint = hashlib.sha256(json.dumps(sorted(labels.items())).encode()).hexdigest()[:16]
    links: dict[str, str] = {}
    if source is AlertSource.GRAFANA:
        links = {label: url for key, label in GRAFANA_LINKS.items()
                 if (url := _text(raw.get(key), f"{where}.{key}"))}
    return Alert(fingerprint=fingerprint[:64], status=_status(raw.get("status"), f"{where}.status"), labels=labels,
                 annotations=_mapping(raw.get("annotations"), f"{where}.annotations"),
                 starts_at=_text(raw.get("startsAt"), f"{where}.startsAt"),
                 ends_at=_text(raw.get("endsAt"), f"{where}.endsAt"),
                 generator_url=_text(raw.get("generatorURL"), f"{where}.generatorURL"), links=links)


def parse(source: AlertSource, body: bytes | str) -> AlertNotification:
    """The notification in `body` (JSON) from `source`, or PayloadError naming the first bad field."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PayloadError("the body is not JSON") from exc
    if not isinstance(data, Mapping):
        raise PayloadError("expected a JSON object")
    if source is AlertSource.ALERTMANAGER and str(data.get("version", "4")) != "4":
        raise PayloadError(f"version: expected 4, got {str(data.get('version'))[:10]!r}")
    alerts = data.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise PayloadError("alerts: expected a list with at least one alert")
    if len(alerts) > MAX_ALERTS:
        raise PayloadError(f"alerts: at most {MAX_ALERTS}")
    truncated = data.get("truncatedAlerts", 0)
    return AlertNotification(
        source=source, receiver=_text(data.get("receiver"), "receiver"),
        group_key=_text(data.get("groupKey"), "groupKey"), status=_status(data.get("status"), "status"),
        group_labels=_mapping(data.get("groupLabels"), "groupLabels"),
        common_labels=_mapping(data.get("commonLabels"), "commonLabels"),
        common_annotations=_mapping(data.get("commonAnnotations"), "commonAnnotations"),
        external_url=_text(data.get("externalURL"), "externalURL"),
        alerts=tuple(_alert(raw, n, source) for n, raw in enumerate(alerts)),
        truncated_alerts=truncated if isinstance(truncated, int) and not isinstance(truncated, bool) else 0,
    )
