"""The HTTP server: Slack's requests at /slack/events, plus /health and /metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import Warroom
from bot.chart_route import add_chart_routes
from bot.domain.alerts import AlertSource
from bot.domain.errors import StorageUnavailable
from bot.health import bearer_matches, may_see_details, public_view
from bot.metrics import SLACK_KINDS
from bot.slack_gate import MAX_BODY, signature_problem
from bot.status_route import add_status_routes
from handlers import shape

SLACK_PATH = "/slack/events"
ALERT_SOURCES = {source.value: source for source in AlertSource}
log = structlog.get_logger(__name__)


def request_kind(body: Any) -> str:
    """command, block_actions, view_submission, event_callback...: a metrics label from a fixed set."""
    if not isinstance(body, dict):
        return "other"
    if "command" in body:
        return "command"
    kind = body.get("type")
    return kind if isinstance(kind, str) and kind in SLACK_KINDS else "other"


def create_web_app(warroom: Warroom) -> web.Application:
    """An aiohttp application serving Warroom."""
    settings = warroom.settings
    secret = settings.slack_signing_secret.get_secret_value().encode() if settings.slack_signing_secret else b""

    def answered(kind: str, status: int, started: float, text: str) -> web.Response:
        warroom.metrics.observe_request(kind, status, time.perf_counter() - started)
        return web.Response(status=status, text=text)

    async def slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            raw = await request.read()  # once; aiohttp stops reading at client_max_size
        except web.HTTPRequestEntityTooLarge:
            return answered("too_large", 413, started, "request too large")
        problem = signature_problem(raw, request.headers.get("X-Slack-Request-Timestamp"),
                                    request.headers.get("X-Slack-Signature"), secret, time.time())
        if problem is not None:
            # Debug only: a flood of forged requests must not become a flood of log lines (/metrics counts them).
            log.debug("unsigned_request_refused", reason=problem)
            return answered("unsigned", 401, started, "invalid Slack signature")
        try:
            # Bolt takes a dict and lowercases the names itself, the last value of a repeated one winning, as here.
            headers: dict[str, str | Sequence[str]] = {
                name.lower(): value for name, value in request.headers.items()}
            bolt_request = AsyncBoltRequest(body=raw.decode("utf-8"), query=request.query_string, headers=headers)
        except (ValueError, RecursionError, KeyError, IndexError, TypeError, AttributeError) as exc:
            # Signed, so from Slack or someone holding the secret; still a bad request, not a server error.
            log.warning("malformed_slack_payload", kind="unparsed", error=type(exc).__name__)
            return answered("malformed", 400, started, "malformed Slack payload")
        kind = request_kind(bolt_request.body)
        if not shape.well_formed(bolt_request.body):
            # Before dispatch: Bolt's own middleware (authorization, self-events) runs before ours and reads
            # the envelope unchecked (`event` as a string is an AttributeError and a traceback inside Bolt).
            log.warning("malformed_slack_payload", kind=kind)
            return answered("malformed", 400, started, "malformed Slack payload")
        try:
            bolt_response = await warroom.bolt.async_dispatch(bolt_request)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            # Bolt reads some payload keys unchecked (view.type, a JSON null body...) before any middleware: a
            # malformed payload is a bad request, not a server error (found by tests/property/test_http_fuzz.py).
            log.warning("malformed_slack_payload", kind=kind, error=type(exc).__name__)
            return answered("malformed", 400, started, "malformed Slack payload")
        warroom.metrics.observe_request(kind, bolt_response.status, time.perf_counter() - started)
        return await to_aiohttp_response(bolt_response)

    async def health(request: web.Request) -> web.Response:
        ok, body = await warroom.health.run()
        token = settings.health_token.get_secret_value() if settings.health_token else None
        if not may_see_details(request.remote, request.headers, token):
            body = public_view(body)  # drivers, hosts, users and team ids help an attacker more than anyone
        return web.json_response(body, status=200 if ok else 503, dumps=json.dumps)

    async def metrics(_request: web.Request) -> web.Response:
        backlog = None
        try:
            warroom.metrics.set_incident_counts(await warroom.incidents.count_by_status())
            backlog = await warroom.outbox_store.backlog()
            if warroom.services.alerts is not None:
                warroom.metrics.alerts_pending.set(await warroom.services.alerts.pending())
        except StorageUnavailable:
            pass  # keep the last known counts; /health reports the database
        warroom.metrics.set_outbox(delivered=warroom.sender.delivered, failed=warroom.sender.failures, backlog=backlog)
        return web.Response(body=warroom.metrics.render(), content_type="text/plain", charset="utf-8")

    alerts_token = settings.alerts_token.get_secret_value() if settings.alerts_token else ""

    async def alerts(request: web.Request) -> web.Response:
        """POST /alerts/<source>: the token before the body is read; the notification stored before the answer."""
        started = time.perf_counter()
        source = ALERT_SOURCES.get(request.match_info["source"])
        if source is None or warroom.services.alerts is None:
            return answered("alerts_unknown", 404, started, "no such alert source")
        if not alerts_token or not bearer_matches(request.headers.get("Authorization", ""), alerts_token):
            log.debug("alert_refused", source=source.value, reason="token")
            return answered("alerts_unauthorized", 401, started, "missing or wrong bearer token")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return answered("too_large", 413, started, "request too large")
        try:
            stored = await warroom.services.alerts.receive(source, body)
        except (ValueError, UnicodeDecodeError) as exc:  # not a notification of this source: a retry cannot help
            log.warning("alert_payload_refused", source=source.value, error=str(exc)[:200])
            return answered("alerts_malformed", 400, started, f"not a {source.value} notification: {exc}"[:300])
        except StorageUnavailable:  # 5xx: Alertmanager and Grafana retry
            return answered("alerts_unavailable", 503, started, "not stored; try again")
        return answered("alerts", 200, started, "stored" if stored else "already stored")

    app = web.Application(client_max_size=MAX_BODY)
    if alerts_token:  # without WARROOM_ALERTS_TOKEN the receivers do not exist (404)
        app.router.add_post("/alerts/{source}", alerts)
    if not settings.socket_mode:
        # In Socket Mode requests come over the websocket and are not signed: taking HTTP ones
        # too would let anyone who reaches the port act as Slack.
        app.router.add_post(SLACK_PATH, slack_events)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    if warroom.chart_links is not None and warroom.services.insights is not None:
        add_chart_routes(app, warroom.chart_links, warroom.services.insights)
    if warroom.policy.status_page.dir:
        add_status_routes(app, Path(warroom.policy.status_page.dir))
    return app
