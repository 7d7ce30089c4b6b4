"""The fake's Web API endpoint, ``/api/{method}``: each call is checked against Slack's contract, its token
and its trigger_id, meets any fault ``fail_next`` queued for it, and is answered from the workspace state
(state.py) and recorded as a ``Call``."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import contract, nospec
from .state import SlackState
from .wire import bearer_token, read_params

TRIGGER_METHODS = ("views.open", "views.push")


@dataclass
class Call:
    """One Web API call the bot made; ``at`` is time.monotonic() when it arrived."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    response: dict[str, Any]
    status: int = 200
    violations: list[str] = field(default_factory=list)
    answered_at: float = 0.0  # time.monotonic() when the reply was sent (after the latency)


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    error: str
    times: int
    applied: bool = False  # Slack did the work, then the answer was lost (a 5xx, a drop or a timeout)
    drop: bool = False  # close the connection instead of answering
    delay: float = 0.0  # answer this much later (longer than the client's timeout: a timeout)


class WebApiMixin:
    """Mixed into FakeSlack: the Web API route, and the faults ``fail_next`` queues for it."""

    state: SlackState
    latency: float
    bot_token: str
    app_token: str
    trigger_ttl: float
    spec_missing: str | None
    calls: list[Call]
    violations: list[str]

    if TYPE_CHECKING:  # provided by SocketModeMixin
        async def _notify(self) -> None: ...

        def _issue_socket_url(self) -> str: ...

    def _init_web_api(self) -> None:
        self._faults: dict[str, deque[_Fault]] = {}
        self._triggers: dict[str, float] = {}

    def fail_next(self, method: str, status: int = 429, retry_after: int | None = 1,
                  error: str = "ratelimited", times: int = 1, *, applied: bool = False, drop: bool = False,
                  delay: float = 0.0) -> None:
        """The next ``times`` calls to ``method`` get HTTP ``status`` and ``ok: false``
        (with ``Retry-After`` when the status is 429). With ``applied`` the call takes effect
        first (a message is posted) and only its answer fails; ``drop`` closes the connection
        without an answer; ``delay`` holds the answer back (past the client's timeout)."""
        self._faults.setdefault(method, deque()).append(
            _Fault(status, retry_after, error, times, applied, drop, delay))

    def reset_faults(self) -> None:
        """Forget the faults still queued by ``fail_next``: Slack is healthy again."""
        self._faults.clear()

    def _answer(self, method: str, params: dict, headers: dict,
                problems: list[str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        token = bearer_token(headers)
        specless = self.spec_missing is not None
        call_v = problems + (nospec.check_call(method, params, headers) if specless
                             else contract.check_call(method, params, headers))
        known = specless or contract.known_method(method)
        content_v = contract.check_content(method, params) if known else []
        if token is not None and token != expected:
            call_v.append(f"invalid_auth: wants the {expected.split('-')[0]}- token")
        trigger_at = self._triggers.get(str(params.get("trigger_id")))
        if method in TRIGGER_METHODS and trigger_at is not None \
                and time.monotonic() - trigger_at > self.trigger_ttl:
            call_v.append(f"expired_trigger_id: used after {self.trigger_ttl}s")
        violations = call_v + content_v
        self.violations.extend(f"{method}: {v}" for v in violations)
        queue = self._faults.get(method)
        if queue:
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            extra = {"Retry-After": str(fault.retry_after)} \
                if fault.status == 429 and fault.retry_after is not None else {}
            done = self.state.handle(method, params) if fault.applied and not violations and token == expected \
                else None
            if fault.drop:
                extra["X-Standin-Drop"] = "1"
            if fault.delay:
                extra["X-Standin-Delay"] = str(fault.delay)
            if done is not None and fault.status == 200:  # the answer is only lost on the way (drop, delay)
                return 200, done, extra
            return fault.status, {"ok": False, "error": fault.error}, extra
        meta = {"response_metadata": {"messages": [f"[ERROR] {v}" for v in violations]}}
        if token != expected:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        if not known:
            return 200, {"ok": False, "error": "unknown_method", **meta}, {}
        if any(v.startswith("expired_trigger_id") for v in call_v):
            return 200, {"ok": False, "error": "expired_trigger_id", **meta}, {}
        if call_v:
            return 200, {"ok": False, "error": "invalid_arguments", **meta}, {}
        if content_v:
            error = "invalid_arguments" if method.startswith("views.") else "invalid_blocks"
            return 200, {"ok": False, "error": error, **meta}, {}
        if method == "apps.connections.open":
            return 200, {"ok": True, "url": self._issue_socket_url()}, {}
        return 200, self.state.handle(method, params), {}

    async def _api_route(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        at = time.monotonic()
        problems: list[str] = []
        params = await read_params(request, problems)
        headers = dict(request.headers)
        before = len(self.violations)
        status, reply, extra_headers = self._answer(method, params, headers, problems)
        mine = self.violations[before:]  # taken before any await: concurrent calls interleave
        if self.latency:
            await asyncio.sleep(self.latency)  # simulated network + Slack processing time
        self.calls.append(Call(method, params, headers, at, reply, status, mine, time.monotonic()))
        await self._notify()
        delay = extra_headers.pop("X-Standin-Delay", None)
        if delay is not None:
            await asyncio.sleep(float(delay))  # the client times out first
        if extra_headers.pop("X-Standin-Drop", None) is not None and request.transport is not None:
            request.transport.close()  # the client sees the connection drop with no answer
            return web.Response(status=status)
        return web.json_response(reply, status=status, headers=extra_headers)
