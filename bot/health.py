"""Health checks for /health and `warroom doctor`: database, Slack auth, scheduler."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from runbooks.loader import LoadReport
from store.migrate import current_revision, head_revision

CHECK_TIMEOUT = 3.0
SLACK_CACHE_SECONDS = 60.0
# A reverse proxy on the same host adds one of these: its callers are not local, though it connects from loopback.
PROXY_HEADERS = frozenset({"forwarded", "x-forwarded-for", "x-real-ip"})


@dataclass
class Check:
    """One dependency's state; a warning is reported but does not make Warroom unhealthy."""

    ok: bool
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)
    warning: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        status = "fail" if not self.ok else "warn" if self.warning else "ok"
        return {"status": status, "detail": self.detail, **self.extra}


def check_runbooks(report: LoadReport) -> Check:
    """Runbooks loaded; broken files are a warning (they are skipped, the rest still work)."""
    if not report.problems:
        return Check(True, f"{len(report.runbooks)} runbooks loaded")
    broken = report.broken_files
    return Check(True, f"{len(report.runbooks)} runbooks loaded, {len(broken)} broken (see `warroom runbooks check`)",
                 {"broken": broken, "problems": [str(p) for p in report.problems[:20]]}, warning=True)


async def check_database(engine: AsyncEngine) -> Check:
    """The database answers and its schema is at the code's migration head."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            current = await current_revision(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to answer is "unreachable", with its cause
        orig = getattr(exc, "orig", None) if isinstance(exc, SQLAlchemyError) else None  # the driver's error
        cause = orig or exc
        return Check(False, f"unreachable ({engine.url.render_as_string(hide_password=True)}): "
                            f"{type(cause).__name__}: {str(cause)[:200]}")
    head = head_revision()
    if current != head:
        return Check(False, f"schema at {current or 'empty'}, needs {head}: run `warroom migrate`")
    return Check(True, f"{engine.dialect.name}, schema {current}")


async def check_slack(client: AsyncWebClient) -> Check:
    """auth.test succeeds with the bot token."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            response = await client.auth_test()
    except SlackApiError as exc:
        body = exc.response.data
        if isinstance(body, dict):
            return Check(False, f"auth.test failed: {body.get('error', 'unknown_error')}")
        # Not Slack's JSON (a 404 page, a proxy's error): most likely SLACK_API_URL points elsewhere.
        return Check(False, f"auth.test at {client.base_url} answered HTTP {exc.response.status_code} that is not "
                            "Slack's API: check SLACK_API_URL")
    except (OSError, TimeoutError, aiohttp.ClientError, SlackClientError) as exc:
        return Check(False, f"Slack unreachable at {client.base_url}: {type(exc).__name__}")
    return Check(True, f"authenticated as {response.get('user')} in {response.get('team')}",
                 {"team_id": response.get("team_id")})


def check_scheduler(scheduler: AsyncIOScheduler) -> Check:
    """The scheduler is running."""
    return Check(scheduler.running, "running" if scheduler.running else "not running")


class HealthReport:
    """Runs the checks, caching Slack's so /health never hammers auth.test."""

    def __init__(self, engine: AsyncEngine, client: AsyncWebClient, scheduler: AsyncIOScheduler,
                 runbooks: LoadReport | None = None) -> None:
        self._engine, self._client, self._scheduler = engine, client, scheduler
        self._runbooks = runbooks or LoadReport()
        self._slack: tuple[float, Check] | None = None

    async def _slack_check(self) -> Check:
        now = time.monotonic()
        if self._slack is None or now - self._slack[0] > SLACK_CACHE_SECONDS or not self._slack[1].ok:
            self._slack = (now, await check_slack(self._client))
        return self._slack[1]

    async def run(self) -> tuple[bool, dict[str, Any]]:
        """(all ok, JSON body)."""
        database, slack = await asyncio.gather(check_database(self._engine), self._slack_check())
        checks = {"database": database, "slack": slack, "scheduler": check_scheduler(self._scheduler),
                  "runbooks": check_runbooks(self._runbooks)}
        ok = all(c.ok for c in checks.values())
        return ok, {"status": "ok" if ok else "degraded", "checks": {k: c.as_dict() for k, c in checks.items()}}


def bearer_matches(authorization: str, token: str) -> bool:
    """`Authorization: Bearer <token>`, the scheme in any case (RFC 9110 11.1), the token compared in constant time."""
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"),
                                                             token.encode())


def _loopback(remote: str | None) -> bool:
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return bool((mapped or address).is_loopback)


def may_see_details(remote: str | None, headers: Mapping[str, str], token: str | None) -> bool:
    """Whether a /health caller sees each check's detail: WARROOM_HEALTH_TOKEN as a bearer token, or a local,
    unproxied caller (a probe or an operator on the host)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if token and bearer_matches(lowered.get("authorization", ""), token):
        return True
    return not PROXY_HEADERS & lowered.keys() and _loopback(remote)


def public_view(body: dict[str, Any]) -> dict[str, Any]:
    """/health for anyone: the overall status and each check's status, nothing about what or where they are."""
    checks = body.get("checks", {})
    return {"status": body["status"], "checks": {name: {"status": check["status"]} for name, check in checks.items()}}
