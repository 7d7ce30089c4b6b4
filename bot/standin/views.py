"""Modals and the App Home in the fake workspace: views.open, views.push, views.publish and views.update.

Mixed into SlackState. A stored view carries the keys of Slack's view object (id, hash, root_view_id, ...);
views.update finds it by ``view_id`` or ``external_id`` and refuses a stale ``hash`` as Slack does.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from .wire import Reply, err


class ViewsMixin:
    """views.open / push / publish / update."""

    team_id: str
    bot_id: str
    app_id: str
    views: dict[str, dict[str, Any]]
    _ids: itertools.count[int]

    def _store_view(self, view: Any, view_id: str | None = None, **extra: Any) -> Reply:
        view = json.loads(view) if isinstance(view, str) else dict(view or {})
        view_id = view_id or f"V{next(self._ids):08d}"
        stored = {"id": view_id, "team_id": self.team_id, "app_id": self.app_id,
                  "bot_id": self.bot_id, "private_metadata": "", "callback_id": "",
                  "external_id": "", "state": {"values": {}}, "hash": f"h{next(self._ids)}",
                  "clear_on_close": False, "notify_on_close": False, "root_view_id": view_id,
                  "previous_view_id": None, **view, **extra}
        stored["id"] = view_id
        self.views[view_id] = stored
        return {"ok": True, "view": stored}

    def m_views_open(self, p: dict) -> Reply:
        return self._store_view(p.get("view"))

    def m_views_push(self, p: dict) -> Reply:
        return self._store_view(p.get("view"))

    def m_views_publish(self, p: dict) -> Reply:
        return self._store_view(p.get("view"), user_id=p.get("user_id"))

    def m_views_update(self, p: dict) -> Reply:
        view_id = p.get("view_id")
        if not view_id and p.get("external_id"):
            view_id = next((v["id"] for v in self.views.values()
                            if v.get("external_id") == p["external_id"]), None)
        old = self.views.get(str(view_id))
        if old is None:
            return err("not_found")
        if p.get("hash") and p["hash"] != old["hash"]:
            return err("hash_conflict")
        return self._store_view(p.get("view"), old["id"], root_view_id=old["root_view_id"])
