"""Atlassian Statuspage's public API v2 shapes: each object's field names and the types of their values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

STR, INT, BOOL, LIST, DICT, NONE = str, int, bool, list, dict, type(None)
TIME = "time"  # an ISO 8601 string with its offset
OPTIONAL_TIME = "time?"

PAGE = {"id": STR, "name": STR, "url": STR, "time_zone": STR, "updated_at": TIME}
COMPONENT = {"id": STR, "name": STR, "status": STR, "created_at": TIME, "updated_at": TIME, "position": INT,
             "description": (STR, NONE), "showcase": BOOL, "start_date": (STR, NONE), "group_id": (STR, NONE),
             "page_id": STR, "group": BOOL, "only_show_if_degraded": BOOL}
AFFECTED = {"code": STR, "name": STR, "old_status": STR, "new_status": STR}
UPDATE = {"id": STR, "status": STR, "body": STR, "incident_id": STR, "created_at": TIME, "updated_at": TIME,
          "display_at": TIME, "affected_components": (LIST, NONE), "deliver_notifications": BOOL,
          "custom_tweet": (STR, NONE), "tweet_id": (STR, NONE)}
INCIDENT = {"id": STR, "name": STR, "status": STR, "created_at": TIME, "updated_at": TIME,
            "monitoring_at": OPTIONAL_TIME, "resolved_at": OPTIONAL_TIME, "impact": STR, "shortlink": STR,
            "started_at": TIME, "page_id": STR, "incident_updates": LIST, "components": LIST}
STATUS = {"indicator": STR, "description": STR}
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
IMPACTS = {"none", "minor", "major", "critical", "maintenance"}


def check(obj: Any, shape: dict[str, Any], where: str) -> None:
    """Assert `obj` has exactly the fields of `shape`, each of its type."""
    assert isinstance(obj, dict), f"{where}: not an object"
    missing = set(shape) - set(obj)
    assert not missing, f"{where}: missing {sorted(missing)}"
    for name, kind in shape.items():
        value = obj[name]
        if kind in (TIME, OPTIONAL_TIME):
            if value is None and kind == OPTIONAL_TIME:
                continue
            assert isinstance(value, str), f"{where}.{name}: {value!r} is not a time"
            assert datetime.fromisoformat(value).utcoffset() is not None, f"{where}.{name}: no offset"
        else:
            assert isinstance(value, kind) and not (kind is INT and isinstance(value, bool)), \
                f"{where}.{name}: {value!r} is not {kind}"


def check_component(c: Any, where: str) -> None:
    """A component (or a group of them)."""
    check(c, COMPONENT, where)
    assert c["status"] in COMPONENT_STATUSES, where
    if c["group"]:
        assert all(isinstance(i, str) for i in c["components"]), where


def check_incident(i: Any, where: str) -> None:
    """An incident, its updates and components."""
    check(i, INCIDENT, where)
    assert i["status"] in INCIDENT_STATUSES and i["impact"] in IMPACTS, where
    for n, u in enumerate(i["incident_updates"]):
        check(u, UPDATE, f"{where}.incident_updates[{n}]")
        assert u["status"] in INCIDENT_STATUSES and u["incident_id"] == i["id"]
        for a in u["affected_components"] or []:
            check(a, AFFECTED, f"{where}.incident_updates[{n}].affected_components")
    for n, c in enumerate(i["components"]):
        check_component(c, f"{where}.components[{n}]")
