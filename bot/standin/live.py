"""A live view of the stand-in's workspace for people in a browser (``warroom sandbox``).

FakeSlack keeps what the bot did through the Web API (channels, messages, views). Slack also
shows things the Web API state does not hold: ephemeral messages, replies sent to response URLs,
which person a modal was opened for, the errors a modal shows. ``LiveWorkspace`` follows the
stand-in's calls and response POSTs and keeps those, counts every change in ``revision`` (the
page's change feed waits on it), and collects contract violations for the page's banner.
People act through the methods of ``ActingMixin`` (acting.py) and ``InteractivityMixin``
(interactivity.py).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from .acting import ActingMixin, Route
from .interactivity import InteractivityMixin
from .nospec import NOTICE
from .server import FakeSlack
from .webapi import Call


@dataclass
class Person:
    """Someone the page can act as."""

    id: str
    name: str
    real_name: str
    title: str = ""


class LiveWorkspace(ActingMixin, InteractivityMixin):
    """The workspace as the page shows it, fed by what the bot does on ``fake``."""

    def __init__(self, fake: FakeSlack, *, bot_url: str, signing_secret: str,
                 commands: list[dict[str, Any]] | None = None,
                 shortcuts: list[dict[str, Any]] | None = None,
                 bot_events: set[str] | None = None,
                 on_violation: Callable[[str], None] | None = None) -> None:
        """``commands``/``shortcuts``/``bot_events`` are what the bot's manifest declares."""
        self.fake, self.state = fake, fake.state
        self.bot_url, self.signing_secret = bot_url, signing_secret
        self.commands = list(commands or [])
        self.shortcuts = list(shortcuts or [])
        self.bot_events = set(bot_events or ())
        self.on_violation = on_violation or (lambda _: None)
        self.people: dict[str, Person] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.modals: dict[str, list[str]] = {}  # person -> view ids, bottom first
        self.view_errors: dict[str, dict[str, str]] = {}
        self.banners: list[str] = [NOTICE] if fake.spec_missing else []
        self.triggers: dict[str, str] = {}  # trigger_id -> person
        self.routes: dict[str, Route] = {}  # response_url name -> route
        self.revision = 0
        self._ids = itertools.count(1)
        self._seen = {"calls": 0, "responses": 0, "violations": 0}
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        if fake.spec_missing:
            self.on_violation(NOTICE)

    # -- people ------------------------------------------------------------------------------
    def add_person(self, name: str, real_name: str | None = None, title: str = "",
                   user_id: str | None = None) -> Person:
        """Add someone to act as (and to users.info); the id is made up from the name."""
        clean = "".join(ch for ch in name.upper() if ch.isalnum())[:8] or "PERSON"
        user_id = user_id or f"U{clean}"
        while user_id in self.people and self.people[user_id].name != name.lower():
            user_id = f"U{clean}{next(self._ids)}"
        person = Person(user_id, name.lower(), real_name or name.title(), title)
        self.people[user_id] = person
        self.state.add_user(user_id, name=person.name, real_name=person.real_name, title=title)
        for channel in self.state.channels.values():
            if not channel["is_private"]:
                channel["members"].add(user_id)
        self.bump()
        return person

    # -- following the stand-in --------------------------------------------------------------
    def start(self) -> None:
        """Follow the stand-in in a background task (call inside the running loop)."""
        self._task = asyncio.create_task(self._follow(), name="live-workspace")

    async def stop(self) -> None:
        """Stop following."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _behind(self) -> bool:
        fake = self.fake
        return (len(fake.calls), len(fake.responses), len(fake.violations)) != (
            self._seen["calls"], self._seen["responses"], self._seen["violations"])

    async def _follow(self) -> None:
        changed = self.fake._changed  # signalled on every call and POST
        while True:
            async with changed:
                await changed.wait_for(self._behind)
            self.catch_up()

    def catch_up(self) -> None:
        """Take in calls, response POSTs and violations the stand-in recorded since last time."""
        fake, seen = self.fake, self._seen
        for call in fake.calls[seen["calls"]:]:
            self._take_call(call)
        for response in fake.responses[seen["responses"]:]:
            self._take_response(response)
        for violation in fake.violations[seen["violations"]:]:
            self.banners.append(violation)
            self.on_violation(violation)
        seen.update(calls=len(fake.calls), responses=len(fake.responses),
                    violations=len(fake.violations))
        self.bump()

    def _take_call(self, call: Call) -> None:
        if not call.response.get("ok"):
            return
        p = call.params
        if call.method in ("views.open", "views.push"):
            person = self.triggers.get(str(p.get("trigger_id")))
            if person is not None:
                self.modals.setdefault(person, []).append(call.response["view"]["id"])
        elif call.method == "views.update":
            self.view_errors.pop(call.response["view"]["id"], None)
        elif call.method == "chat.postEphemeral":
            channel = self.state.resolve(p.get("channel"))
            self.add_ephemeral(str(p.get("user")), channel["id"] if channel else str(p.get("channel")),
                               p.get("text") or "", p.get("blocks"), p.get("thread_ts"))

    def _take_response(self, response: dict[str, Any]) -> None:
        body, route = response.get("body"), self.routes.get(str(response.get("name")))
        if not isinstance(body, dict) or route is None:
            return
        text, blocks = body.get("text") or "", body.get("blocks")
        original = self._original(route)
        if body.get("delete_original"):
            self._delete(route)
        elif str(body.get("replace_original")).lower() == "true" and original is not None:
            original["text"] = text
            if blocks:
                original["blocks"] = blocks
            else:
                original.pop("blocks", None)
        elif body.get("response_type") == "in_channel":
            self.state.handle("chat.postMessage", {"channel": route.channel, "text": text,
                                                   "blocks": blocks})
        else:
            shown = self.add_ephemeral(route.user, route.channel, text, blocks, None)
            if route.message_ts is None and route.ephemeral_id is None:
                # A reply that beat the command's ack here: the ack, once shown, is already replaced.
                route.replaced = str(body.get("replace_original")).lower() == "true"
                route.ephemeral_id = shown["id"]

    def _original(self, route: Route) -> dict[str, Any] | None:
        if route.ephemeral_id is not None:
            return next((e for e in self.ephemerals if e["id"] == route.ephemeral_id), None)
        if route.message_ts is not None:
            return self.state.find_message(route.channel, route.message_ts)
        return None

    def _delete(self, route: Route) -> None:
        original = self._original(route)
        if original is None:
            return
        if route.ephemeral_id is not None:
            self.ephemerals.remove(original)
        else:
            self.state.channels[route.channel]["messages"].remove(original)

    # -- changes -----------------------------------------------------------------------------
    def add_ephemeral(self, user: str, channel: str, text: str, blocks: Any,
                      thread_ts: Any) -> dict[str, Any]:
        """A message only ``user`` sees in ``channel`` ("Only visible to you")."""
        ephemeral = {"id": f"E{next(self._ids)}", "user": user, "channel": channel,
                     "ts": self.state.next_ts(), "text": text, "ephemeral": True}
        if blocks:
            ephemeral["blocks"] = blocks
        if thread_ts:
            ephemeral["thread_ts"] = thread_ts
        self.ephemerals.append(ephemeral)
        self.bump()
        return ephemeral

    def bump(self) -> None:
        """Count a change and wake whoever waits for one."""
        self.revision += 1
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_past(self, revision: int, timeout: float) -> int:
        """Wait until ``revision`` is out of date (or ``timeout``); return the current one."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self.revision > revision),
                                       timeout)
            except TimeoutError:
                pass
        return self.revision

    # -- what the page shows -----------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything the page renders, JSON-ready; the page picks what one person sees."""
        state = self.state
        channels = [{"id": c["id"], "name": c["name"], "topic": c["topic"],
                     "is_private": c["is_private"], "is_dm": c["id"].startswith("D"),
                     "members": sorted(c["members"])} for c in state.channels.values()]
        messages = {c["id"]: [{**m, "pinned": (c["id"], m["ts"]) in state.pins}
                              for m in c["messages"]] for c in state.channels.values()}
        homes = {str(v.get("user_id")): v for v in state.views.values() if v.get("type") == "home"}
        modals = {person: [{"view": state.views[v], "errors": self.view_errors.get(v, {})}
                           for v in stack if v in state.views]
                  for person, stack in self.modals.items()}
        users = {u: {"id": u, "name": rec["name"], "real_name": rec["real_name"]}
                 for u, rec in state.users.items()}
        return {"revision": self.revision, "banners": list(self.banners),
                "people": [asdict(p) for p in self.people.values()], "users": users,
                "bot": {"id": state.bot_user_id, "name": "Warroom"},
                "commands": self.commands, "shortcuts": self.shortcuts,
                "channels": channels, "messages": messages, "ephemerals": self.ephemerals,
                "modals": modals, "homes": homes}
