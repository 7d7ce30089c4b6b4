"""The composition root: build Warroom from settings, with any part replaceable by tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_flag_settings, load_policy
from bot.domain.policy import Policy
from bot.domain.ports import (
    Clock,
    Directory,
    FlagProvider,
    IncidentChat,
    RunbookChat,
    StepRunner,
    UnitOfWorkFactory,
)
from bot.domain.runbook import Runbook
from bot.health import HealthReport
from bot.metrics import Metrics
from bot.services.clock import SystemClock
from bot.services.container import Services
from bot.services.incidents import IncidentService
from bot.services.oncall import OnCallService
from bot.services.postmortem import ReviewService
from bot.services.roles import RoleService
from bot.services.runbooks import RunbookService
from bot.services.timeline import TimelineService
from bot.services.timers import TimerService
from bot.services.updates import UpdateService
from bot.settings import Settings
from handlers.registry import register_all
from handlers.slack_chat import SlackDirectory, SlackIncidentChat
from handlers.slack_runbook_chat import SlackRunbookChat
from handlers.surface import Surface
from runbooks.executors import StepRunner as SubprocessStepRunner
from runbooks.flags import build_providers, close_providers
from runbooks.loader import LoadReport, load_runbooks
from store.engine import create_engine, session_factory
from store.migrate import ensure_current, upgrade
from store.uow import SqlUnitOfWork

log = structlog.get_logger(__name__)

HANDOFF_POLL_SECONDS = 15.0


def _secrets(settings: Settings) -> tuple[str, ...]:
    return tuple(s.get_secret_value() for s in (settings.slack_bot_token, settings.slack_signing_secret,
                                                settings.slack_app_token) if s is not None)


def create_web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: honours SLACK_API_URL and retries 429 (Retry-After), 5xx and network errors."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_services(*, uow: UnitOfWorkFactory, chat: IncidentChat, clock: Clock, policy: Policy,
                   directory: Directory, runbook_chat: RunbookChat, runner: StepRunner,
                   catalog: Mapping[str, Runbook], list_cache: timedelta = timedelta(seconds=2)) -> Services:
    """Every use case over the same ports."""
    timers = TimerService(uow=uow, chat=chat, clock=clock, policy=policy)  # type: ignore[arg-type]
    incidents = IncidentService(uow=uow, chat=chat, clock=clock, policy=policy, list_cache=list_cache,
                                on_change=timers.replan)
    return Services(
        timers=timers,
        oncall=OnCallService(uow=uow, chat=chat, clock=clock, policy=policy),  # type: ignore[arg-type]
        updates=UpdateService(uow=uow, chat=chat, clock=clock, incidents=incidents),  # type: ignore[arg-type]
        runbooks=RunbookService(uow=uow, chat=runbook_chat, clock=clock, incidents=incidents, directory=directory,
                                runner=runner, catalog=catalog),
        incidents=incidents,
        roles=RoleService(uow=uow, chat=chat, clock=clock, policy=policy, directory=directory, incidents=incidents),
        timeline=TimelineService(uow=uow, chat=chat, clock=clock, incidents=incidents),
        reviews=ReviewService(uow=uow, chat=chat, clock=clock, incidents=incidents,
                              review_template=policy.review_template),
    )


@dataclass
class Warroom:
    """Everything one running Warroom is made of."""

    settings: Settings
    policy: Policy
    bolt: AsyncApp
    client: AsyncWebClient
    engine: AsyncEngine
    incidents: IncidentService
    services: Services
    surface: Surface
    scheduler: AsyncIOScheduler
    metrics: Metrics
    health: HealthReport
    providers: Mapping[str, FlagProvider] = field(default_factory=dict)
    runbook_report: LoadReport = field(default_factory=LoadReport)

    async def start_storage(self) -> None:
        """Bring the schema up to date (SQLite) or check that it is (PostgreSQL)."""
        if self.settings.migrate_on_start:
            await upgrade(self.engine)
        else:
            await ensure_current(self.engine)

    async def start(self) -> None:
        """Prepare storage, open the Web API's HTTP session and start the scheduler."""
        await self.start_storage()
        recovered = await self.services.runbooks.recover()
        if recovered:
            log.warning("runbook_steps_recovered", failed=recovered)
        if self.client.session is None:  # one keep-alive session instead of a connection per call
            self.client.session = aiohttp.ClientSession()
        if not self.scheduler.running and self.settings.timer_poll_seconds > 0:
            # Timers live in the database; this only decides when to look. Due ones (also those that
            # fell due while Warroom was down) go out at once, then as they fall due.
            self.scheduler.add_job(self.services.timers.dispatch_due, "interval",
                                   seconds=self.settings.timer_poll_seconds,
                                   id="timers", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))
            self.scheduler.add_job(self.services.oncall.dispatch_handoffs, "interval", seconds=HANDOFF_POLL_SECONDS,
                                   id="handoffs", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))
        if not self.scheduler.running:
            self.scheduler.start()
        log.info("warroom_started", database=self.engine.dialect.name, socket_mode=self.settings.socket_mode)

    async def stop(self) -> None:
        """Release connections and stop timers."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await close_providers(self.providers)
        await self.engine.dispose()
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()


def create_app(
    settings: Settings,
    *,
    policy: Policy | None = None,
    clock: Clock | None = None,
    client: AsyncWebClient | None = None,
    engine: AsyncEngine | None = None,
    environ: Mapping[str, str] | None = None,
) -> Warroom:
    """Build the Bolt app, engine, scheduler and services; nothing starts until `start()`."""
    settings.require_slack()
    policy = policy or load_policy(settings.warroom_config)
    client = client or create_web_client(settings)
    engine = engine or create_engine(settings.database_url)
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    bolt = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        name="warroom",
    )
    sessions = session_factory(engine)
    flags = load_flag_settings(settings.warroom_config)
    providers = build_providers(flags.providers, environ or os.environ, flags.base_dir)
    report = load_runbooks(settings.runbook_dirs, roles={r.id for r in policy.roles}, providers=set(providers),
                           severities=set(policy.severities.ids()))
    for problem in report.problems:
        log.warning("runbook_invalid", file=problem.file, line=problem.line, field=problem.field, problem=problem.message)
    services = build_services(
        uow=lambda: SqlUnitOfWork(sessions), chat=SlackIncidentChat(client, policy),
        clock=clock or SystemClock(), policy=policy, directory=SlackDirectory(client),
        runbook_chat=SlackRunbookChat(client), catalog=report.runbooks,
        runner=SubprocessStepRunner.for_environment(providers, flags.default, environ or os.environ, _secrets(settings)),
        list_cache=timedelta(seconds=settings.list_cache_seconds),
    )
    incidents = services.incidents
    surface = register_all(bolt, services)
    scheduler = AsyncIOScheduler(timezone=policy.timezone)
    return Warroom(
        settings=settings, policy=policy, bolt=bolt, client=client, engine=engine, incidents=incidents,
        services=services, providers=providers, runbook_report=report,
        surface=surface, scheduler=scheduler, metrics=Metrics(), health=HealthReport(engine, client, scheduler, report),
    )
