"""The sandbox page: static files, a JSON API to act as a person, and a server-sent change feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from bot.standin.live import LiveWorkspace

from .flags import SandboxFlags

STATIC = {"index.html": "text/html", "sandbox.js": "text/javascript",
          "blockkit.js": "text/javascript", "sandbox.css": "text/css"}
KEEPALIVE_SECONDS = 15.0
LIVE = web.AppKey("live", LiveWorkspace)
FLAGS = web.AppKey("flags", SandboxFlags)
FEEDS = web.AppKey("feeds", set)  # the tasks serving open feeds (one per open tab)
CLOSING = web.AppKey("closing", dict)

Verb = Callable[[LiveWorkspace, dict[str, Any]], Awaitable[Any]]


async def _add_person(live: LiveWorkspace, b: dict[str, Any]) -> Any:
    name = str(b.get("name") or "").strip()
    if not name:
        raise ValueError("a person needs a name")
    person = live.add_person(name.split()[0], name)
    return {"id": person.id}


VERBS: dict[str, Verb] = {  # what the page may do, each as one person ("as")
    "type": lambda live, b: live.type_in(b["as"], b["channel"], str(b["text"]), b.get("thread_ts")),
    "click": lambda live, b: live.click({**b["where"], "user": b["as"]}, int(b["block"]),
                                        None if b.get("element") is None else int(b["element"]),
                                        b.get("choice"), b.get("values")),
    "submit": lambda live, b: live.submit(b["as"], b["view_id"], dict(b.get("values") or {})),
    "close": lambda live, b: live.close(b["as"], b["view_id"]),
    "shortcut": lambda live, b: live.shortcut(b["as"], b["channel"], b["ts"], b["callback_id"]),
    "react": lambda live, b: live.react(b["as"], b["channel"], b["ts"], str(b["name"])),
    "pin": lambda live, b: live.pin(b["as"], b["channel"], b["ts"]),
    "home": lambda live, b: live.open_home(b["as"]),
    "person": _add_person,
}


async def _static(request: web.Request) -> web.Response:
    name = request.match_info.get("name", "index.html")
    if name not in STATIC:
        raise web.HTTPNotFound()
    body = resources.files("bot.sandbox").joinpath("static", name).read_bytes()
    return web.Response(body=body, content_type=STATIC[name], charset="utf-8",
                        headers={"Cache-Control": "no-store"})


async def _snapshot(app: web.Application) -> dict[str, Any]:
    """The workspace as the page renders it, with the sandbox's feature flags."""
    flags = app[FLAGS]
    return {**app[LIVE].snapshot(), "flags": {"file": str(flags.path), "values": await flags.current()}}


async def _state(request: web.Request) -> web.Response:
    return web.json_response(await _snapshot(request.app))


async def _act(request: web.Request) -> web.Response:
    verb = VERBS.get(request.match_info["verb"])
    if verb is None:
        raise web.HTTPNotFound()
    try:
        body = await request.json()
        result = await verb(request.app[LIVE], body)
    except (KeyError, IndexError, LookupError, ValueError, TypeError) as exc:
        return web.json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, status=400)
    return web.json_response({"ok": True, **(result or {})})


async def _feed(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the whole snapshot whenever something changed."""
    live, closing = request.app[LIVE], request.app[CLOSING]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store"})
    feeds = request.app[FEEDS]
    task = asyncio.current_task()
    feeds.add(task)
    try:
        await response.prepare(request)
        sent = -1
        while not closing["now"]:
            if live.revision != sent:
                sent = live.revision
                await response.write(f"data: {json.dumps(await _snapshot(request.app))}\n\n".encode())
            elif await live.wait_past(sent, KEEPALIVE_SECONDS) == sent:
                await response.write(b": keep-alive\n\n")
    except ConnectionResetError:  # the tab was closed or reloaded: nothing went wrong
        pass
    finally:
        feeds.discard(task)
    return response


def create_page_app(live: LiveWorkspace, flags: SandboxFlags) -> web.Application:
    """The aiohttp application serving the page for ``live`` and the sandbox's ``flags``."""
    app = web.Application()
    app[LIVE] = live
    app[FLAGS] = flags
    app[FEEDS] = set()
    app[CLOSING] = {"now": False}

    async def on_shutdown(_app: web.Application) -> None:
        app[CLOSING]["now"] = True  # open feeds end instead of holding the shutdown
        live.bump()

    app.on_shutdown.append(on_shutdown)
    app.router.add_get("/", _static)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/api/state", _state)
    app.router.add_get("/api/feed", _feed)
    app.router.add_post("/api/{verb}", _act)
    return app
