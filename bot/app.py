"""The composition root: build Warroom from settings, with any part replaceable by tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chart_links import ChartLinks
from bot.config import Config
from bot.domain.errors import StorageUnavailable
from bot.domain.outbox import Pace, is_channel_name
from bot.domain.policy import Policy
from bot.domain.ports import Clock, FlagProvider
from bot.domain.repositories import SeenRequests
from bot.health import HealthReport
from bot.metrics import Metrics
from bot.redactor import build_redactor, slack_secrets
from bot.services.clock import SystemClock
from bot.services.container import Services
from bot.services.delivery import OutboxSender
from bot.services.incidents import IncidentService
from bot.services.people import PeopleNames
from bot.settings import Settings
from bot.slack_clients import create_sender_client, create_web_client
from bot.storage import start_storage
from bot.wiring import AlertPorts, build_services
from handlers import alert_payloads, dedupe, shape
from handlers.registry import register_all
from handlers.slack_alert_chat import SlackAlertChat
from handlers.slack_channels import SlackChannelNames
from handlers.slack_chat import SlackDirectory, SlackIncidentChat
from handlers.slack_people import SlackProfiles
from handlers.slack_runbook_chat import SlackRunbookChat
from handlers.slack_transport import SlackWebTransport
from handlers.surface import Surface
from runbooks.executors import StepRunner as SubprocessStepRunner
from runbooks.flags import build_providers, close_providers
from runbooks.loader import LoadReport, load_runbooks
from store.alerts import SqlAlertInbox
from store.dedupe import SqlSeenRequests
from store.engine import Engines, session_factory
from store.insights import SqlInsightsReader
from store.names import SqlNameCache
from store.outbox import PRUNE_AFTER as OUTBOX_PRUNE_AFTER
from store.outbox import SqlOutboxStore
from store.status_site.writer import StaticSite
from store.uow import SqlUnitOfWork

log = structlog.get_logger(__name__)

HANDOFF_POLL_SECONDS = 15.0
# Slack redelivers within minutes; a day of delivery records is plenty to recognise a redelivery.
SEEN_KEEP = timedelta(hours=24)
SEEN_PRUNE_SECONDS = 3600.0
OUTBOX_PRUNE_SECONDS = 3600.0
PAGE_REBUILD_SECONDS = 3600.0  # the page's uptime bars and history move on by themselves
STOP_SECONDS = 5.0
CHANNEL_WARM_SECONDS = 3.0  # startup waits this long at most to resolve channel names (Slack may be down)


def _step_runner(config: Config, providers: Mapping[str, FlagProvider], default: str | None) -> SubprocessStepRunner:
    """Runs runbook steps; what their commands print is redacted like the log before anyone sees it."""
    runner = SubprocessStepRunner.for_environment(providers, default, config.environ, slack_secrets(config.settings))
    runner.redactor = build_redactor(config)
    return runner


def configured_channels(policy: Policy) -> list[str]:
    """Every channel warroom.yaml names by name: announcements, escalation contacts and levels, rotation channels."""
    channels = [policy.announcements_channel or "", *(r.channel for r in policy.rotations)]
    for severity in policy.severities.levels:
        channels += [*severity.escalation_contacts, *(t for level in severity.escalation_levels for t in level.notify)]
    return list(dict.fromkeys(c for c in channels if is_channel_name(c)))


@dataclass
class Warroom:
    """Everything one running Warroom is made of."""

    settings: Settings
    policy: Policy
    bolt: AsyncApp
    client: AsyncWebClient
    engines: Engines
    incidents: IncidentService
    services: Services
    surface: Surface
    scheduler: AsyncIOScheduler
    metrics: Metrics
    health: HealthReport
    seen: SeenRequests
    sender: OutboxSender
    outbox_store: SqlOutboxStore  # the sender's store (prunes, counts the backlog)
    sender_client: AsyncWebClient  # the sender's transport's client (its HTTP session opens and closes here)
    providers: Mapping[str, FlagProvider] = field(default_factory=dict)
    runbook_report: LoadReport = field(default_factory=LoadReport)
    channels: SlackChannelNames | None = None
    alerts_worker: asyncio.Task[None] | None = None
    chart_links: ChartLinks | None = None  # App Home's chart images (served by bot/chart_route.py)

    @property
    def engine(self) -> AsyncEngine:
        """The engine of the units of work that change something."""
        return self.engines.write

    async def start_storage(self) -> None:
        """Bring the schema up to date (SQLite) or check that it is (PostgreSQL)."""
        await start_storage(self.engine, self.settings)

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
        if self.sender_client.session is None:
            self.sender_client.session = aiohttp.ClientSession()
        if self.channels is not None:  # the announcements channel by id from the first declare on
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CHANNEL_WARM_SECONDS):
                    await self.channels.warm(configured_channels(self.policy))
        self.sender.start()  # also delivers what an earlier run committed and did not send
        if self.services.status_page.site.publishing:  # the page is there before the first publish; bars move daily
            await self.services.status_page.site.rebuild()
        alerts = self.services.alerts
        if alerts is not None and self.alerts_worker is None:  # also handles what was stored before a crash
            alerts.stopped = False
            self.alerts_worker = asyncio.create_task(alerts.run(), name="alerts")
        if not self.scheduler.running:
            self.scheduler.add_job(self.prune_outbox, "interval", seconds=OUTBOX_PRUNE_SECONDS,
                                   id="outbox_prune", max_instances=1, coalesce=True)
            self.scheduler.add_job(self.forget_old_deliveries, "interval", seconds=SEEN_PRUNE_SECONDS,
                                   id="seen_requests", max_instances=1, coalesce=True)
            if self.services.alerts is not None:
                self.scheduler.add_job(self.services.alerts.prune, "interval", seconds=OUTBOX_PRUNE_SECONDS,
                                       id="alerts_prune", max_instances=1, coalesce=True)
            if self.services.status_page.site.publishing:
                self.scheduler.add_job(self.services.status_page.site.rebuild, "interval", seconds=PAGE_REBUILD_SECONDS,
                                       id="status_page", max_instances=1, coalesce=True)
            self.scheduler.start()
        log.info("warroom_started", database=self.engine.dialect.name, socket_mode=self.settings.socket_mode)

    async def forget_old_deliveries(self) -> None:
        """Prune the delivery records Slack can no longer redeliver (a scheduler job)."""
        try:
            forgotten = await self.seen.forget_before(datetime.now(UTC) - SEEN_KEEP)
        except StorageUnavailable as exc:
            log.warning("seen_requests_prune_skipped", error=str(exc))
            return
        log.info("seen_requests_pruned", count=forgotten)

    async def prune_outbox(self) -> None:
        """Forget delivered Slack calls after a while (a scheduler job)."""
        try:
            await self.outbox_store.prune(datetime.now(UTC) - OUTBOX_PRUNE_AFTER)
        except StorageUnavailable as exc:
            log.warning("outbox_prune_skipped", error=str(exc))

    async def stop_alerts(self) -> None:
        """Stop the alert worker: a notification being handled finishes (or is taken again after its lease)."""
        alerts, worker = self.services.alerts, self.alerts_worker
        if alerts is None or worker is None:
            return
        alerts.stopped = True
        alerts.wake()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(worker), STOP_SECONDS)
        worker.cancel()
        self.alerts_worker = None

    async def stop(self) -> None:
        """Stop timers, let Slack calls being made finish, release connections."""
        await self.stop_alerts()
        if self.scheduler.running:
            self.scheduler.pause()  # no new poll starts
        self.services.timers.stopped = True
        with contextlib.suppress(TimeoutError):  # a timer run in progress finishes before the engine goes
            async with asyncio.timeout(STOP_SECONDS), self.services.timers.running:
                pass
        if self.scheduler.running:  # after the run: shutting the scheduler down cancels the jobs it is running
            self.scheduler.shutdown(wait=False)
        await self.sender.stop()
        sender_session = self.sender_client.session
        if sender_session is not None and not sender_session.closed:
            await sender_session.close()
        await close_providers(self.providers)
        await self.seen.flush()  # delivery records written behind (SQLite) reach the database before it closes
        await self.engines.dispose()
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()


def create_app(
    config: Config,
    *,
    clock: Clock | None = None,
    client: AsyncWebClient | None = None,
    engine: AsyncEngine | None = None,
    providers: Mapping[str, FlagProvider] | None = None,
    default_provider: str | None = None,
) -> Warroom:
    """Build the Bolt app, engine, scheduler and services from the Config; nothing starts until `start()`.

    `providers` (with `default_provider`) replace the flag providers of warroom.yaml; an empty mapping
    (`warroom manifest`, which runs no steps) builds none, so their secrets are not needed. An `engine`
    given is used for everything; otherwise reads and delivery records get engines of their own (Engines).
    """
    settings, policy, flags = config.settings, config.policy, config.flags
    settings.require_slack()
    client = client or create_web_client(settings)
    engines = Engines.single(engine) if engine is not None else Engines.open(settings.database_url)
    engine = engines.write
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    bolt = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        name="warroom",
    )
    sessions, read_sessions = session_factory(engine), session_factory(engines.read)
    if providers is None:
        providers = build_providers(flags.providers, config.environ, flags.base_dir)
        default_provider = flags.default
    report = load_runbooks(settings.runbook_dirs, roles={r.id for r in policy.roles},
                           providers={*flags.providers, *providers},
                           severities=set(policy.severities.ids()), library=settings.runbook_library,
                           classes={c.id for c in policy.classes})
    for runbook_id, shipped in report.replaced.items():
        log.info("runbook_replaced", runbook=runbook_id, by=report.runbooks[runbook_id].source, shipped=shipped)
    for problem in report.problems:
        log.warning("runbook_invalid", file=problem.file, line=problem.line, field=problem.field, problem=problem.message)
    clock = clock or SystemClock()
    channels = SlackChannelNames(client)  # one cache of channel ids for what is queued and what is sent
    outbox_store, sender_client = SqlOutboxStore(sessions), create_sender_client(settings)
    sender = OutboxSender(store=outbox_store, transport=SlackWebTransport(sender_client),
                          clock=clock, pace=Pace(rate=settings.channel_rate, burst=settings.channel_burst),
                          first_retry=settings.slack_retry_seconds, channels=channels)
    services = build_services(
        uow=lambda: SqlUnitOfWork(sessions, now=clock.now, wake=sender.wake),  # stores its Slack calls, wakes the sender
        chat=SlackIncidentChat(client, policy, channels),
        clock=clock, policy=policy, directory=SlackDirectory(client),
        runbook_chat=SlackRunbookChat(channels), catalog=report.runbooks,
        runner=_step_runner(config, providers, default_provider),
        list_cache=timedelta(seconds=settings.list_cache_seconds),
        people=PeopleNames(cache=SqlNameCache(engine), lookup=SlackProfiles(client), clock=clock),
        reads=(None if engines.read is engine else lambda: SqlUnitOfWork(read_sessions, read_only=True)),
        site=StaticSite(Path(policy.status_page.dir)) if policy.status_page.dir else None,
        alerts=(AlertPorts(inbox=SqlAlertInbox(sessions, None if engines.deliveries is engine else engines.deliveries),
                           parse=alert_payloads.parse,
                           chat=SlackAlertChat(client, channels, policy.alerts.team_id),
                           groups_at_once=1 if engine.dialect.name == "sqlite" else 8)
                if settings.alerts_token is not None else None),
        insights=SqlInsightsReader(read_sessions),
    )
    links = ChartLinks.for_settings(settings)
    if services.insights is not None:
        services.insights.chart_link = links.url
    incidents = services.incidents
    seen = SqlSeenRequests(engines.deliveries)
    shape.install(bolt)  # first: nothing below reads an envelope Slack would not send
    dedupe.install(bolt, seen)
    surface = register_all(bolt, services)
    scheduler = AsyncIOScheduler(timezone=policy.timezone)
    return Warroom(
        settings=settings, policy=policy, bolt=bolt, client=client, engines=engines, incidents=incidents,
        services=services, providers=providers, runbook_report=report, seen=seen, sender=sender, channels=channels,
        outbox_store=outbox_store, sender_client=sender_client, chart_links=links,
        surface=surface, scheduler=scheduler, metrics=Metrics(), health=HealthReport(engine, client, scheduler, report),
    )
