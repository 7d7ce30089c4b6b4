"""Atlassian Statuspage's public API v2, as static files: the same paths, shapes and field names.

`api/v2/summary.json`, `status.json`, `components.json`, `incidents.json` and `incidents/unresolved.json`,
so widgets and monitors that read a Statuspage page read this one unchanged.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.status_page import Page, PageComponent, PageIncident

INCIDENTS_LISTED = 50  # incidents.json lists the 50 most recent, as Statuspage does


def stamp(when: datetime | None, tz: str) -> str | None:
    """ISO 8601 with milliseconds in the page's zone, as Statuspage writes times."""
    if when is None:
        return None
    return when.astimezone(ZoneInfo(tz)).isoformat(timespec="milliseconds")


def page_id(page: Page) -> str:
    """The page's id (stable for its name)."""
    return hashlib.sha256(f"page:{page.settings.name}".encode()).hexdigest()[:12]


def page_object(page: Page) -> dict[str, Any]:
    """The `page` object every endpoint starts with."""
    return {"id": page_id(page), "name": page.settings.name, "url": page.settings.url,
            "time_zone": page.settings.time_zone, "updated_at": stamp(page.updated_at, page.settings.time_zone)}


def _group_id(group: str) -> str:
    return hashlib.sha256(f"group:{group}".encode()).hexdigest()[:12]


def _component(page: Page, c: PageComponent) -> dict[str, Any]:
    tz = page.settings.time_zone
    return {"id": c.id, "name": c.name, "status": c.status.value, "created_at": stamp(page.updated_at, tz),
            "updated_at": stamp(c.updated_at, tz), "position": c.position, "description": c.description or None,
            "showcase": True, "start_date": None, "group_id": _group_id(c.group) if c.group else None,
            "page_id": page_id(page), "group": False, "only_show_if_degraded": False}


def components(page: Page) -> list[dict[str, Any]]:
    """Every component, with a group entry (`group: true`, its members' ids) for each group."""
    listed: list[dict[str, Any]] = []
    position = len(page.components)
    for group, members in page.groups:
        if group:
            position += 1
            entry = _component(page, members[0]) | {
                "id": _group_id(group), "name": group, "group": True, "group_id": None, "position": position,
                "description": None, "components": [m.id for m in members],
                "status": max((m.status for m in members), key=_rank).value}
            listed.append(entry)
        listed.extend(_component(page, m) for m in members)
    return listed


def _rank(status: Any) -> int:
    return ["operational", "under_maintenance", "degraded_performance", "partial_outage",
            "major_outage"].index(status.value)


def incident(page: Page, i: PageIncident) -> dict[str, Any]:
    """One incident with its updates (newest first) and the components it affects."""
    tz = page.settings.time_zone
    affected = [c for c in page.components if c.name in i.components]
    base = page.settings.url.rstrip("/")
    return {
        "id": i.id, "name": i.name, "status": i.status.value, "created_at": stamp(i.created_at, tz),
        "updated_at": stamp(i.updated_at, tz), "monitoring_at": stamp(i.monitoring_at, tz),
        "resolved_at": stamp(i.resolved_at, tz), "impact": i.impact.value,
        "shortlink": f"{base}/#incident-{i.id}" if base else f"#incident-{i.id}",
        "started_at": stamp(i.created_at, tz), "page_id": page_id(page),
        "incident_updates": [{
            "id": u.id, "status": u.status.value, "body": u.body, "incident_id": i.id,
            "created_at": stamp(u.at, tz), "updated_at": stamp(u.at, tz), "display_at": stamp(u.at, tz),
            "affected_components": [{"code": c.id, "name": c.name, "old_status": c.status.value,
                                     "new_status": c.status.value} for c in affected] or None,
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
        } for u in i.updates],
        "components": [_component(page, c) for c in affected],
    }


def status(page: Page) -> dict[str, str]:
    """The rolled-up indicator and its description."""
    return {"indicator": page.indicator, "description": page.description}


def endpoints(page: Page) -> dict[str, dict[str, Any]]:
    """Each API file's path under the site and its document."""
    head = {"page": page_object(page)}
    unresolved = [incident(page, i) for i in page.unresolved]
    return {
        "api/v2/summary.json": head | {"components": components(page), "incidents": unresolved,
                                       "scheduled_maintenances": [], "status": status(page)},
        "api/v2/status.json": head | {"status": status(page)},
        "api/v2/components.json": head | {"components": components(page)},
        "api/v2/incidents.json": head | {"incidents": [incident(page, i)
                                                       for i in page.incidents[:INCIDENTS_LISTED]]},
        "api/v2/incidents/unresolved.json": head | {"incidents": unresolved},
    }


def render(page: Page) -> dict[str, bytes]:
    """The API files, as bytes."""
    return {path: json.dumps(doc, ensure_ascii=False, indent=1).encode() for path, doc in endpoints(page).items()}
