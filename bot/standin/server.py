"""FakeSlack: Slack's Web API, response URLs and Socket Mode on 127.0.0.1, over real sockets.

Every Web API call is checked against Slack's contract (shared/slack, webapi.py); a violation is recorded
in ``fake.violations`` *and* answered with ``ok: false`` so the bot sees the failure as it would
against Slack.  Waiting helpers are event-driven (an asyncio.Condition signalled on every call,
response POST and socket change) so tests never poll with sleeps.

How the real Socket Mode client finds the fake (read in slack_bolt 1.30 / slack_sdk 3.47):
``slack_bolt.adapter.socket_mode.async_handler.AsyncSocketModeHandler`` is the aiohttp one; it
builds ``slack_sdk.socket_mode.aiohttp.SocketModeClient(app_token, web_client=web_client if
web_client is not None else app.client)``.  The client asks for its websocket URL with
``web_client.apps_connections_open(app_token=...)``: the SDK pops the ``token`` param into
``Authorization: Bearer xapp-...`` and POSTs to ``web_client.base_url + "apps.connections.open"``
(so retry handlers of the app's client apply too).  Hence
``AsyncApp(client=AsyncWebClient(token=..., base_url=fake.api_url))`` is enough and no
``web_client=`` is needed; an AsyncApp built from ``token=`` alone has a client on
https://slack.com/api/ and then needs ``web_client=`` pointed at the fake.  The client opens its
own aiohttp.ClientSession in ``__init__`` (build the handler inside the running loop and always
``await handler.close_async()``, before ``fake.stop()``), connects with ``ws_connect(url)`` to
whatever URL the fake returned (ws:// works), and on ``{"type": "disconnect"}`` calls
apps.connections.open again, closes the old websocket and connects to the new URL.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Self

import aiohttp
from aiohttp import web

from . import contract
from .payloads import PayloadsMixin
from .sender import HttpSenderMixin
from .socketmode import SocketModeMixin
from .state import SlackState
from .webapi import Call, WebApiMixin

DEFAULT_CHANNELS = {"incidents": "CANNOUNCE", "general": "CGENERAL"}


class FakeSlack(SocketModeMixin, HttpSenderMixin, PayloadsMixin, WebApiMixin):
    """A fake Slack workspace on an ephemeral port; ``async with FakeSlack() as fake:``."""

    def __init__(self, *, latency: float = 0.0, team_id: str = "T0001",
                 bot_user_id: str = "UBOT", bot_token: str = "xoxb-test",
                 app_token: str = "xapp-test", channels: dict[str, str] | None = None,
                 bot_id: str = "B0001", app_id: str = "A0001",
                 trigger_ttl: float = 3.0, require_spec: bool = True) -> None:
        """``channels`` maps pre-existing channel names to ids (default incidents, general).

        ``require_spec=False`` (the sandbox on a clone without shared/slack) starts anyway and
        checks calls against Block Kit's limits only; ``spec_missing`` then says why.
        """
        self.require_spec = require_spec
        self.spec_missing: str | None = None
        self.latency, self.bot_token, self.app_token = latency, bot_token, app_token
        self.app_id, self.trigger_ttl = app_id, trigger_ttl
        self.state = SlackState(team_id=team_id, bot_user_id=bot_user_id, bot_id=bot_id,
                                channels=DEFAULT_CHANNELS if channels is None else channels,
                                app_id=app_id)
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port = 0
        self._init_socket_mode()
        self._init_web_api()

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> Self:
        """Listen on 127.0.0.1 (ephemeral port) and open the session used to call the bot."""
        try:
            contract.load_spec()  # a missing shared/slack folder fails here, loudly, not mid-test
        except contract.SharedContractMissing as exc:
            if self.require_spec:
                raise
            self.spec_missing = str(exc)
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api_route)
        app.router.add_post("/respond/{name}", self._respond_route)
        app.router.add_get("/socket/{id}", self._socket_route)
        app.router.add_post("/upload/{file_id}", self._upload_route)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self.state.upload_base = f"{self.base_url}/upload"
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        """Close websockets, the client session and the server (close Socket Mode apps first)."""
        await self._close_sockets()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """What the bot's AsyncWebClient ``base_url`` must be set to."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "x") -> str:
        """A response_url on the fake; ``respond()`` POSTs land in ``fake.responses``."""
        return f"{self.base_url}/respond/{name}"

    def new_trigger_id(self) -> str:
        """A trigger_id the fake remembers, so views.open can reject it once expired."""
        trigger_id = super().new_trigger_id()
        self._triggers[trigger_id] = time.monotonic()
        return trigger_id

    # -- state accessors ---------------------------------------------------------------------
    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        """id -> {"id", "name", "topic", "members": set, "messages": list, ...}"""
        return self.state.channels

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        """The channel record for "name" or "#name", or None."""
        return self.state.channel_by_name(name)

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages currently in a channel (chat.update replaces them in place)."""
        return self.state.channels[channel_id]["messages"]

    def add_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """Register a user for users.info (name=, real_name=, tz=...)."""
        return self.state.add_user(user_id, **fields)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to one Web API method, oldest first."""
        return [c for c in self.calls if c.method == method]

    def reset(self, *, state: bool = False) -> None:
        """Forget recorded calls, responses, violations and faults; ``state=True`` also
        restores the initial workspace (channels, messages, views)."""
        self.calls.clear()
        self.responses.clear()
        self.violations.clear()
        self.socket_messages.clear()
        self._faults.clear()
        if state:
            self.state.reset()

    def assert_no_violations(self) -> None:
        """Raise ContractViolation listing every contract violation seen so far."""
        if self.violations:
            raise contract.ContractViolation("Slack contract violations:\n  " +
                                             "\n  ".join(self.violations))

    # -- waiting -----------------------------------------------------------------------------
    async def _wait(self, ready: Callable[[], bool], timeout: float, what: Callable[[], str]):
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout)
            except TimeoutError:
                raise TimeoutError(f"{what()} within {timeout}s") from None

    async def wait_for(self, method: str, predicate: Callable[[Call], bool] | None = None,
                       timeout: float = 5.0, count: int = 1) -> list[Call]:
        """Wait until ``count`` calls to ``method`` (matching ``predicate``) were recorded since
        the last reset — earlier ones count too — and return all matching calls."""
        def matching() -> list[Call]:
            return [c for c in self.calls
                    if c.method == method and (predicate is None or predicate(c))]

        def what() -> str:
            seen = Counter(c.method for c in self.calls)
            return (f"expected {count} call(s) to {method}, got {len(matching())}; "
                    f"methods seen: {dict(seen) or 'none'}")
        await self._wait(lambda: len(matching()) >= count, timeout, what)
        return matching()

    async def wait_for_response(self, predicate: Callable[[dict], bool] | None = None,
                                timeout: float = 5.0) -> dict[str, Any]:
        """Wait for a response_url POST ({"name", "body"}) matching ``predicate``; return it."""
        def first() -> dict[str, Any] | None:
            return next((r for r in self.responses if predicate is None or predicate(r)), None)
        await self._wait(lambda: first() is not None, timeout,
                         lambda: f"no matching response_url POST (got {len(self.responses)})")
        found = first()
        assert found is not None  # _wait returned: one matched
        return found

    # -- response URLs and uploads -----------------------------------------------------------
    async def _upload_route(self, request: web.Request) -> web.Response:
        """An upload URL from files.getUploadURLExternal: the file's bytes, raw or as a multipart `file`."""
        if request.content_type == "multipart/form-data":
            part = (await request.post()).get("file")
            data = part.file.read() if isinstance(part, web.FileField) else str(part or "").encode()
        else:
            data = await request.read()
        problem = self.state.receive(request.match_info["file_id"], data)
        if problem:
            self.violations.append(f"upload: {problem}")
        await self._notify()
        return web.Response(status=400 if problem else 200, text=problem or f"OK - {len(data)}")

    async def _respond_route(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            body = await request.json()
        except ValueError:
            body = {"_raw": await request.text()}
            self.violations.append(f"respond: body for {name} is not JSON")
        problems = contract.check_content("respond", body) if isinstance(body, dict) else []
        self.violations.extend(f"respond: {v}" for v in problems)
        self.responses.append({"name": name, "body": body})
        await self._notify()
        if problems:
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")
