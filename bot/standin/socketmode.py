"""Socket Mode server side: hello, envelopes, acks, disconnect (README "Socket Mode").

URLs from apps.connections.open are single use, like Slack's.  How the real Bolt
AsyncSocketModeHandler reaches this server is documented in server.py's docstring.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


class SocketModeMixin:
    """Mixed into FakeSlack; needs ``self.base_url``, ``self.app_id``, ``self._changed``."""

    app_id: str
    violations: list[str]
    _changed: asyncio.Condition

    if TYPE_CHECKING:  # provided by FakeSlack and PayloadsMixin
        @property
        def base_url(self) -> str: ...

        def command_payload(self, *, command: str = "/incident", text: str = "",
                            user_id: str = "U1", channel_id: str = "CGENERAL",
                            team_id: str | None = None) -> dict[str, Any]: ...

        def event_payload(self, event: dict, *, event_id: str | None = None,
                          team_id: str | None = None) -> dict[str, Any]: ...

    def _init_socket_mode(self) -> None:
        self._socket_ids: set[str] = set()  # issued by apps.connections.open, not yet used
        self._sockets: list[web.WebSocketResponse] = []  # live connections, newest last
        self._acks: dict[str, asyncio.Future] = {}
        self.socket_connections = 0  # connections that got their hello, ever
        self.socket_messages: list[dict[str, Any]] = []  # everything clients sent us

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _issue_socket_url(self) -> str:
        # Single use, like Slack's: a reconnect must ask apps.connections.open again.
        socket_id = uuid.uuid4().hex
        self._socket_ids.add(socket_id)
        return self.base_url.replace("http://", "ws://", 1) + f"/socket/{socket_id}"

    async def _socket_route(self, request: web.Request) -> web.StreamResponse:
        socket_id = request.match_info["id"]
        if socket_id not in self._socket_ids:
            self.violations.append(f"socket: unknown or already used websocket URL {socket_id}")
            raise web.HTTPNotFound(text="unknown or already used websocket URL")
        self._socket_ids.discard(socket_id)
        ws = web.WebSocketResponse()  # autoping: answers the SDK's keep-alive pings
        await ws.prepare(request)
        await ws.send_json({
            "type": "hello", "num_connections": len(self._sockets) + 1,
            "debug_info": {"host": "fakeslack", "build_number": 1,
                           "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        })
        self._sockets.append(ws)
        self.socket_connections += 1
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_socket_text(msg.data)
        finally:
            self._sockets.remove(ws)
            await self._notify()
        return ws

    def _on_socket_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            self.violations.append(f"socket: client sent non-JSON text {data[:80]!r}")
            return
        self.socket_messages.append(message)
        future = self._acks.get(message.get("envelope_id", ""))
        if future is None:
            self.violations.append(f"socket: message for no pending envelope: {data[:120]}")
        elif not future.done():
            future.set_result(message)

    async def wait_for_socket(self, timeout: float = 5.0, count: int = 1) -> None:
        """Wait until ``count`` connections in total got their hello and one is still live."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(
                    lambda: self.socket_connections >= count and bool(self._sockets)), timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"no Socket Mode client (wanted connection #{count}, saw "
                    f"{self.socket_connections}, live {len(self._sockets)}) within {timeout}s"
                ) from None

    async def _live_socket(self, timeout: float) -> web.WebSocketResponse:
        await self.wait_for_socket(timeout)
        return self._sockets[-1]

    async def socket_send(self, type_: str, payload: dict, timeout: float = 5.0) -> dict:
        """Send an envelope to the newest connection and return the client's ack message."""
        if type_ not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}, not {type_!r}")
        ws = await self._live_socket(timeout)
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        try:
            await ws.send_json({
                "envelope_id": envelope_id, "type": type_, "payload": payload,
                "accepts_response_payload": True, "retry_attempt": 0, "retry_reason": "",
            })
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"no ack for {type_} envelope {envelope_id} within {timeout}s "
                               "(Slack retries after 3s)") from None
        finally:
            self._acks.pop(envelope_id, None)

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the newest connection to reconnect, as Slack does every few hours."""
        ws = await self._live_socket(5.0)
        await ws.send_json({"type": "disconnect", "reason": reason,
                            "debug_info": {"host": "fakeslack"}})

    async def socket_drop(self) -> None:
        """Cut the newest connection with no goodbye (a network failure, not Slack's `disconnect`)."""
        ws = await self._live_socket(5.0)
        await ws.close(code=1011, message=b"connection lost")

    async def socket_command(self, text: str = "", *, command: str = "/incident",
                             user_id: str = "U1", channel_id: str = "CGENERAL",
                             team_id: str | None = None, timeout: float = 5.0) -> dict:
        """Send a slash command over Socket Mode (same payload as send_command); return ack."""
        payload = self.command_payload(command=command, text=text, user_id=user_id,
                                       channel_id=channel_id, team_id=team_id)
        return await self.socket_send("slash_commands", payload, timeout)

    async def socket_interaction(self, payload: dict, timeout: float = 5.0) -> dict:
        """Send an interactive payload (block_actions, view_submission...); return the ack."""
        return await self.socket_send("interactive", payload, timeout)

    async def socket_event(self, event: dict, timeout: float = 5.0, **kw: Any) -> dict:
        """Send an Events API event (wrapped in event_callback); return the ack."""
        return await self.socket_send("events_api", self.event_payload(event, **kw),
                                      timeout)

    async def _close_sockets(self) -> None:
        for future in self._acks.values():
            future.cancel()
        for ws in list(self._sockets):
            await ws.close()
