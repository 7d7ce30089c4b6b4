"""AlertService: notifications from monitoring are stored first, then handled from the database.

`receive` checks the notification's shape and stores it (a retried delivery is stored once) before the
source is answered; a worker in every replica claims stored notifications (a lease: one whose worker died
is taken again) and handles each in the transaction that marks it processed. A group's notifications are
handled one at a time under its row lock, so a redelivery, a restart or a second replica never opens a
second incident or triage message for it; a notification older than one already handled changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from datetime import timedelta

import structlog

from bot.domain.alert_ports import AlertChat, AlertGroup, AlertInbox, GroupState, StoredNotification
from bot.domain.alert_routing import AlertAction, decide
from bot.domain.alerts import AlertChanges, AlertNotification, AlertSource, changes, describe
from bot.domain.errors import StorageUnavailable
from bot.domain.incident import Incident
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWorkFactory
from bot.services.alert_incidents import DECLARE_LEASE, AlertIncidents
from bot.services.retry import retried

log = structlog.get_logger(__name__)

Parse = Callable[[AlertSource, bytes | str], AlertNotification]
LEASE = timedelta(seconds=60)  # a claimed notification whose worker died is handled again after this
BATCH = 100
GROUPS_AT_ONCE = 8  # groups handled concurrently (one group's notifications always in order); SQLite: 1
MAX_ATTEMPTS = 20
POLL_SECONDS = 1.0  # also looks without being woken: another replica's notifications, retries falling due
KEEP = timedelta(days=7)  # handled notifications kept this long (what came in, for a look afterwards)
RECHECK = timedelta(seconds=0.5)  # a notification whose group is being declared is looked at again after this


class AlertService:
    """Alerts in: receive, then declare, triage, record or update, once per alert group."""

    def __init__(self, *, uow: UnitOfWorkFactory, inbox: AlertInbox, chat: AlertChat, clock: Clock,
                 incidents: AlertIncidents, parse: Parse, groups_at_once: int = GROUPS_AT_ONCE) -> None:
        self._uow, self._inbox, self._chat, self._clock = uow, inbox, chat, clock
        self.incidents = incidents
        self._parse = parse
        # One writer connection (SQLite): more at once only queue for it, and the receivers queue behind them.
        self._groups_at_once = groups_at_once
        self._wakeup = asyncio.Event()
        self.stopped = False
        self.handled = 0  # notifications handled by this process (tests and the bench wait on it)

    async def receive(self, source: AlertSource, body: bytes) -> bool:
        """Check and store a notification (ValueError, nothing stored, when it is not one); False for a retry
        of one already stored. The worker is woken; nothing else happens before the source is answered."""
        self._parse(source, body)
        digest = hashlib.sha256(source.value.encode() + b"\x1f" + body).hexdigest()
        stored = await self._inbox.add(source.value, body.decode("utf-8"), digest, self._clock.now())
        self.wake()
        return stored

    async def pending(self) -> int:
        """Notifications stored and not handled yet."""
        return await self._inbox.pending()

    async def prune(self) -> int:
        """Forget notifications handled more than KEEP ago (a scheduler job); how many."""
        return await self._inbox.prune(self._clock.now() - KEEP)

    def wake(self) -> None:
        """Tell the worker that notifications were stored."""
        self._wakeup.set()

    async def run(self, poll: float = POLL_SECONDS) -> None:
        """The worker: handle what is stored, then wait to be woken (or `poll` seconds)."""
        try:  # known before the first alert: a declare's critical path stays two Slack round trips
            await self._chat.workspace()
        except Exception as exc:  # Slack unreachable now: asked again when the first alert needs it
            log.warning("alerts_workspace_unknown", error=repr(exc))
        while not self.stopped:
            self._wakeup.clear()
            try:
                await self.process_pending()
            except StorageUnavailable as exc:
                log.warning("alerts_not_processed", error=str(exc))
            except Exception:
                log.exception("alerts_worker_failed")
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=poll)
            except TimeoutError:
                pass

    async def process_pending(self) -> int:
        """Handle every stored notification that is due, a batch at a time; returns how many were handled."""
        handled = 0
        while not self.stopped:
            now = self._clock.now()
            batch = await self._inbox.claim(now, now + LEASE, BATCH)
            by_group: dict[str, list[tuple[StoredNotification, AlertNotification]]] = {}
            for stored in batch:
                try:
                    parsed = self._parse(AlertSource(stored.source), stored.body)
                except ValueError as exc:
                    await self._inbox.fail(stored.id, str(exc), now)
                    continue
                by_group.setdefault(parsed.dedup_key, []).append((stored, parsed))
            turns = asyncio.Semaphore(self._groups_at_once)
            await asyncio.gather(*(self._one_group(turns, items) for items in by_group.values()))
            handled += len(batch)
            if len(batch) < BATCH:
                break
        return handled

    async def _one_group(self, turns: asyncio.Semaphore,
                         items: list[tuple[StoredNotification, AlertNotification]]) -> None:
        """One group's notifications in the order they came, when a turn is free."""
        async with turns:
            for stored, parsed in items:
                await self._handle_safely(stored, parsed)

    async def _handle_safely(self, stored: StoredNotification, parsed: AlertNotification) -> None:
        try:
            outcome = await self.handle(stored, parsed)
        except Exception as exc:
            attempts = stored.attempts + 1
            log.warning("alert_notification_failed", notification=stored.id, attempts=attempts, error=repr(exc))
            if attempts >= MAX_ATTEMPTS:
                await self._inbox.fail(stored.id, repr(exc), self._clock.now())
            else:
                wait = timedelta(seconds=min(60.0, 0.5 * 2 ** attempts))
                await self._inbox.retry(stored.id, self._clock.now() + wait, repr(exc))
            return
        self.handled += 1
        log.info("alert_notification_handled", notification=stored.id, source=parsed.source.value, outcome=outcome)

    async def handle(self, stored: StoredNotification, parsed: AlertNotification) -> str:
        """Apply one notification to its group; returns what it did (stale, deferred, updated, declared...)."""
        team_id = await self._chat.workspace()
        outcome, declaring, resolving = await self._apply(team_id, stored, parsed)
        if resolving is not None:  # every alert resolved and its route resolves by itself
            await self.incidents.resolve(resolving, parsed.source.value)
        if outcome == "deferred":  # its group is being declared: after that (or after the lease), see again
            await self._inbox.retry(stored.id, self._clock.now() + RECHECK, outcome, count=False)
        if declaring is not None:
            try:
                incident = await self.incidents.declare(declaring, actor=parsed.source.value, automated=True,
                                                        notification_id=stored.id)
            except Exception:
                # Released for the notification's retry (a crash instead leaves the hold to run out: its lease).
                with contextlib.suppress(Exception):
                    await self.incidents.release(declaring)
                raise
            log.info("alert_declared", team_id=team_id, incident=incident.ref, group=declaring.id)
        return outcome

    @retried
    async def _apply(self, team_id: str, stored: StoredNotification,
                     parsed: AlertNotification) -> tuple[str, AlertGroup | None, Incident | None]:
        """The notification's effect on its group, in one transaction; a group to declare is returned held,
        an incident to resolve (its route says so) returned to be resolved after the commit."""
        now = self._clock.now()
        policy = self.incidents.policy
        async with self._uow() as uow:
            group = await uow.alerts.lock(team_id, parsed.source.value, parsed.dedup_key)
            if stored.id < group.last_notification_id:  # equal: this one again, its declare not finished
                await uow.alerts.finish(stored.id, now)
                await uow.commit()
                return "stale", None, None
            held = group.state is GroupState.DECLARING
            if held and group.lease_until is not None and group.lease_until > now:
                return "deferred", None, None  # rolled back: the lock is released before the notification is
            change = changes(group.statuses, parsed.alerts)
            lines = {**group.lines, **{a.fingerprint: describe(a) for a in parsed.alerts}}
            group = group.with_changes(statuses=change.statuses, lines=lines, last_notification_id=stored.id)
            incident = await uow.incidents.get(team_id, group.incident_id) if group.incident_id else None
            outcome, declaring, resolving = "recorded", None, None
            if group.state is GroupState.INCIDENT and incident and policy.lifecycle.is_open(incident.status):
                auto = decide(parsed.labels(), policy.alerts, policy.catalog).auto_resolve
                if await self.incidents.update(uow, group, incident, change, parsed.source.value, now,
                                               auto_resolve=auto):
                    resolving = incident
                outcome = "updated"
            elif group.state is GroupState.TRIAGE:
                if change.all_resolved:  # settled by itself: a later firing gets a triage message of its own
                    group = group.with_changes(state=GroupState.QUIET)
                    await self._chat.update_triage(uow.outbox, group, "Every alert resolved; nothing was declared.")
                elif change.any:
                    await self._chat.update_triage(uow.outbox, group)
                outcome = "triage_updated"
            elif group.state in (GroupState.DISMISSED, GroupState.RECORDED) and not change.all_resolved:
                outcome = "recorded"
            elif change.fired or (held and parsed.firing):  # (held: a declare that did not finish, again)
                group, outcome = self._opened(group, parsed, change)
                if group.state is GroupState.TRIAGE:
                    await self._chat.post_triage(uow.outbox, group)
                elif group.state is GroupState.DECLARING:
                    group, declaring = group.with_changes(lease_until=now + DECLARE_LEASE), group
            elif change.all_resolved and group.state is not GroupState.INCIDENT:
                group = group.with_changes(state=GroupState.QUIET)
            settled = group.state is GroupState.QUIET or (
                group.state is GroupState.INCIDENT and not (incident and policy.lifecycle.is_open(incident.status)))
            if change.all_resolved and settled:  # nothing open and nothing firing: its alerts need not be kept
                group = group.with_changes(statuses={}, lines={})
            await uow.alerts.save(group, now)
            if declaring is None:
                await uow.alerts.finish(stored.id, now)
            await uow.commit()
        return outcome, (group if declaring is not None else None), resolving

    def _opened(self, group: AlertGroup, parsed: AlertNotification, change: AlertChanges) -> tuple[AlertGroup, str]:
        """A group that fires anew with nothing open: declare, triage or record it, as its route says."""
        policy = self.incidents.policy
        decision = decide(parsed.labels(), policy.alerts, policy.catalog)
        recurred = group.incident_id if group.state in (GroupState.INCIDENT, GroupState.DECLARING) else None
        state = {AlertAction.DECLARE: GroupState.DECLARING, AlertAction.TRIAGE: GroupState.TRIAGE,
                 AlertAction.RECORD: GroupState.RECORDED}[decision.action]
        entry = decision.catalog_entry
        runbook = parsed.annotation("runbook") or (entry.runbooks[0] if entry and entry.runbooks else "")
        summary = parsed.annotation("description")
        if parsed.truncated_alerts:
            summary += f"\n({parsed.truncated_alerts} more alerts were left out of the notification.)"
        opened = group.with_changes(
            state=state, title=parsed.title(), summary=summary.strip()[:2000], service=decision.service[:80],
            severity=decision.severity, channel=decision.channel, runbook=runbook, links=parsed.links(),
            incident_id=None if recurred else group.incident_id,
            previous_incident_id=recurred if recurred else group.previous_incident_id)
        return opened, decision.action.value
