"""The HTTP server: Slack's requests at /slack/events, plus /health and /metrics."""

from __future__ import annotations

import json
import time
from typing import Any

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot.app import Warroom
from bot.domain.errors import StorageUnavailable

SLACK_PATH = "/slack/events"
log = structlog.get_logger(__name__)


def request_kind(body: dict[str, Any]) -> str:
    """command, block_actions, view_submission, event_callback... for metrics labels."""
    if not isinstance(body, dict):
        return "unknown"
    if "command" in body:
        return "command"
    kind = body.get("type")
    return kind if isinstance(kind, str) and len(kind) < 40 else "unknown"


def create_web_app(warroom: Warroom) -> web.Application:
    """An aiohttp application serving Warroom."""

    async def slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        bolt_request = None
        try:
            bolt_request = await to_bolt_request(request)
            bolt_response = await warroom.bolt.async_dispatch(bolt_request)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            # Bolt reads some payload keys unchecked (view.type, a JSON null body...) before any middleware: a
            # malformed payload is a bad request, not a server error (found by tests/property/test_http_fuzz.py).
            kind = request_kind(bolt_request.body) if bolt_request is not None else "unparsed"
            log.warning("malformed_slack_payload", kind=kind, error=type(exc).__name__)
            return web.Response(status=400, text="malformed Slack payload")
        warroom.metrics.observe_request(
            request_kind(bolt_request.body), bolt_response.status, time.perf_counter() - started
        )
        return await to_aiohttp_response(bolt_response)

    async def health(_request: web.Request) -> web.Response:
        ok, body = await warroom.health.run()
        return web.json_response(body, status=200 if ok else 503, dumps=json.dumps)

    async def metrics(_request: web.Request) -> web.Response:
        backlog = None
        try:
            warroom.metrics.set_incident_counts(await warroom.incidents.count_by_status())
            backlog = await warroom.outbox_store.backlog()
        except StorageUnavailable:
            pass  # keep the last known counts; /health reports the database
        warroom.metrics.set_outbox(delivered=warroom.sender.delivered, failed=warroom.sender.failures, backlog=backlog)
        return web.Response(body=warroom.metrics.render(), content_type="text/plain", charset="utf-8")

    app = web.Application()
    if not warroom.settings.socket_mode:
        # In Socket Mode requests come over the websocket and are not signed: taking HTTP ones
        # too would let anyone who reaches the port act as Slack.
        app.router.add_post(SLACK_PATH, slack_events)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    return app
