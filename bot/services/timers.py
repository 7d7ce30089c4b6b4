"""TimerService: keep each incident's timers planned, and send the ones that fall due exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from bot.domain.chat import TimerChat
from bot.domain.incident import Incident, TimelineEntry, TimelineKind
from bot.domain.milestones import format_duration
from bot.domain.oncall import on_call, turn_at
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.text import escape
from bot.domain.timers import Timer, TimerKind, is_late, plan, still_applies
from bot.services.retry import retried

log = structlog.get_logger(__name__)

LEASE = timedelta(seconds=60)  # a claimed timer whose sender died is taken again after this
WORKERS = 64  # timers sent at once (each mostly waits on Slack)
CLAIM_BATCH = 50  # timers claimed per transaction


class TimerService:
    """Reminders, the response target and the escalation matrix, from the database."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: TimerChat, clock: Clock, policy: Policy) -> None:
        self._uow, self._chat, self._clock, self.policy = uow, chat, clock, policy
        self.running = asyncio.Lock()  # held while a dispatch runs: shutdown waits for it, not kills it
        self.stopped = False  # set at shutdown: a poll that starts afterwards does nothing

    async def replan(self, uow: UnitOfWork, incident: Incident) -> None:
        """Bring the incident's stored timers in line with its current state, in the transaction that changed it."""
        await uow.timers.replan(incident.team_id, incident.id, plan(incident, self.policy))

    async def dispatch_due(self, limit: int = 2000, workers: int = WORKERS) -> int:
        """Claim every timer that has fallen due (at most `limit`), then send them `workers` at a time,
        so one slow Slack call holds no other back; returns how many were sent."""
        async with self.running:
            return 0 if self.stopped else await self._dispatch_due(limit, workers)

    async def _dispatch_due(self, limit: int, workers: int) -> int:
        claimed: list[Timer] = []
        while len(claimed) < limit:
            now = self._clock.now()
            async with self._uow() as uow:
                batch = await uow.timers.claim_due(now, now + LEASE, min(CLAIM_BATCH, limit - len(claimed)))
                await uow.commit()
            claimed += batch
            if len(batch) < CLAIM_BATCH:
                break
        gate = asyncio.Semaphore(workers)

        async def fire(timer: Timer) -> int:
            async with gate:
                return await self._fire(timer)

        return sum(await asyncio.gather(*(fire(t) for t in claimed)))

    @retried
    async def _fire(self, timer: Timer) -> int:
        async with self._uow() as uow:
            incident = await uow.incidents.get(timer.team_id, timer.incident_id)
        if not still_applies(timer, incident, self.policy):
            async with self._uow() as uow:
                await uow.timers.finish(timer, "skipped", None, False)
                await uow.commit()
            return 0
        assert incident is not None
        text, targets = self._message(timer, incident)
        now = self._clock.now()
        late = is_late(timer, now)
        if late:
            text += f" _(late: this was due {format_duration(now - timer.due_at)} ago, while Warroom was not running)_"
        async with self._uow() as uow:
            # The message is queued in the transaction that marks the timer sent: it goes out exactly once.
            await self._chat.post_timer(uow.outbox, incident, text, targets,
                                        offer_update=timer.kind in (TimerKind.UPDATE_DUE, TimerKind.UPDATE_OVERDUE))
            await uow.timers.finish(timer, "sent", now, late)
            # On the timeline only: a reminder changes nothing, and an audit append would queue every
            # sender on the workspace's audit-chain lock.
            await uow.timeline.add(TimelineEntry(incident_id=incident.id, team_id=incident.team_id,
                                                 kind=TimelineKind.UPDATE, text=text, author="warroom", occurred_at=now,
                                                 source=f"timer.{timer.kind.value}"))
            await uow.commit()
        log.info("timer_sent", incident=incident.ref, kind=timer.kind.value, level=timer.level, late=late)
        return 1

    def _message(self, timer: Timer, incident: Incident) -> tuple[str, tuple[str, ...]]:
        severity = self.policy.severities.get(incident.severity)
        match timer.kind:
            case TimerKind.UPDATE_DUE:
                return (f":bell: {self._to(incident, 'comms')}: a status update for {incident.ref} is due "
                        f"({severity.id} updates every {format_duration(severity.update_cadence)})."), ()
            case TimerKind.UPDATE_OVERDUE:
                return f":warning: {self._to(incident, 'commander')}: the status update for {incident.ref} is overdue.", ()
            case TimerKind.RESPONSE_TARGET:
                now = self._clock.now()
                on_call_now = tuple(on_call(r, now).current for r in self.policy.rotations if turn_at(r, now) >= 0)
                channels = tuple(c for c in (*on_call_now, *severity.escalation_contacts,
                                             self.policy.announcements_channel or "") if c)
                return (f":rotating_light: {incident.ref} ({severity.id}: {escape(incident.title)}) has no incident commander "
                        f"after {format_duration(severity.response_target)}. `/incident role commander @you`"), channels
        if timer.kind is TimerKind.REVIEW:
            when = {0: "is due in a day", 1: "is due now"}.get(timer.level, f"is {timer.level - 1} day(s) overdue")
            return (f":memo: {self._to(incident, 'commander')}: the post-incident review of {incident.ref} {when}. "
                    f"Export it with `warroom export {incident.ref}`; `/incident status closed` marks it done."), ()
        # Stored levels start at 2 (the response target is the first call to act); people count from 1.
        number, levels = timer.level - 1, severity.escalation_levels
        level = levels[number - 1]
        return (f":rotating_light: Escalation level {number} of {len(levels)}: {incident.ref} ({severity.id}: "
                f"{escape(incident.title)}) is unresolved after {format_duration(level.after)}."), level.notify

    def _to(self, incident: Incident, role_id: str) -> str:
        """A reminder's addressee: the role's holder, or whoever covers the unfilled role (saying so)."""
        who = f"<@{incident.covered_by(role_id)}>"
        if incident.roles.get(role_id):
            return who
        label = next((r.label for r in self.policy.roles if r.id == role_id), role_id)
        return f"{who} (covering: no {label[0].lower()}{label[1:]} yet)"

    async def pending(self) -> int:
        """Timers not sent yet (for /health)."""
        async with self._uow() as uow:
            return await uow.timers.pending_count()
