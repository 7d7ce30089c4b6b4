"""TimerService: keep each incident's timers planned, and send the ones that fall due exactly once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog

from bot.domain.chat import TimerChat
from bot.domain.errors import StorageUnavailable
from bot.domain.grouping import COUNT, Notice
from bot.domain.incident import Incident, TimelineEntry, TimelineKind
from bot.domain.milestones import format_duration
from bot.domain.oncall import on_call, turn_at
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.text import escape, mention
from bot.domain.timers import Timer, TimerKind, is_late, plan, still_applies
from bot.services.retry import retried

log = structlog.get_logger(__name__)

LEASE = timedelta(seconds=60)  # a claimed timer whose sender died is taken again after this
BATCH = 50  # timers claimed in one transaction and sent in the next (queued in the outbox, not waited for)


class TimerService:
    """Reminders, the response target and the escalation matrix, from the database."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: TimerChat, clock: Clock, policy: Policy) -> None:
        self._uow, self._chat, self._clock, self.policy = uow, chat, clock, policy
        self.running = asyncio.Lock()  # held while a dispatch runs: shutdown waits for it, not kills it
        self.stopped = False  # set at shutdown: a poll that starts afterwards does nothing

    async def replan(self, uow: UnitOfWork, incident: Incident) -> None:
        """Bring the incident's stored timers in line with its current state, in the transaction that changed it."""
        await uow.timers.replan(incident.team_id, incident.id, plan(incident, self.policy))

    async def dispatch_due(self, limit: int = 2000) -> int:
        """Send every timer that has fallen due (at most `limit`), a batch at a time: each batch is
        claimed in one transaction and sent in one more; returns how many were sent."""
        async with self.running:
            sent = handled = 0
            while not self.stopped and handled < limit:
                now = self._clock.now()
                async with self._uow() as uow:
                    batch = await uow.timers.claim_due(now, now + LEASE, min(BATCH, limit - handled))
                    await uow.commit()
                if not batch:
                    break
                handled += len(batch)
                sent += await self._fire_all(batch)
                if len(batch) < BATCH:
                    break
            return sent

    async def _fire_all(self, batch: list[Timer]) -> int:
        """Send a claimed batch in one transaction; if that fails for good, each timer on its own, so one
        timer that cannot be sent holds no other back (it stays claimed and is tried again after its lease)."""
        try:
            return await self._fire(batch)
        except StorageUnavailable:
            raise
        except Exception:
            if len(batch) == 1:
                raise
            log.exception("timer_batch_failed", timers=len(batch))
        sent = 0
        for timer in batch:
            try:
                sent += await self._fire([timer])
            except StorageUnavailable:
                raise
            except Exception:
                log.exception("timer_failed", timer=timer.id, kind=timer.kind.value)
        return sent

    @retried
    async def _fire(self, batch: list[Timer]) -> int:
        now = self._clock.now()
        outcomes: list[tuple[Timer, str, datetime | None, bool]] = []
        entries: list[TimelineEntry] = []
        async with self._uow() as uow:
            incidents = await uow.incidents.get_many([(t.team_id, t.incident_id) for t in batch])
            for timer in batch:
                incident = incidents.get((timer.team_id, timer.incident_id))
                if not still_applies(timer, incident, self.policy):
                    outcomes.append((timer, "skipped", None, False))
                    continue
                assert incident is not None
                text, targets, notice = self._message(timer, incident)
                late = is_late(timer, now)
                if late:
                    text += f" _(late: this was due {format_duration(now - timer.due_at)} ago, while Warroom was not running)_"
                # Queued in the transaction that marks the timer sent: it goes out exactly once.
                await self._chat.post_timer(uow.outbox, incident, text, targets, notice=notice,
                                            offer_update=timer.kind in (TimerKind.UPDATE_DUE, TimerKind.UPDATE_OVERDUE))
                outcomes.append((timer, "sent", now, late))
                # On the timeline only: a reminder changes nothing, and an audit append would queue every
                # sender on the workspace's audit-chain lock.
                entries.append(TimelineEntry(incident_id=incident.id, team_id=incident.team_id,
                                             kind=TimelineKind.UPDATE, text=text, author="warroom", occurred_at=now,
                                             source=f"timer.{timer.kind.value}"))
            await uow.timers.finish_many(outcomes)
            await uow.timeline.add_many(entries)
            await uow.commit()
        for timer, state, _, late in outcomes:
            if state == "sent":
                log.info("timer_sent", incident=incidents[(timer.team_id, timer.incident_id)].ref,
                         kind=timer.kind.value, level=timer.level, late=late)
        return len(entries)

    def _message(self, timer: Timer, incident: Incident) -> tuple[str, tuple[str, ...], Notice | None]:
        """The reminder's text, who else hears it, and how its copies read grouped in a shared channel."""
        severity = self.policy.severities.get(incident.severity)
        title = f"{incident.ref} ({severity.id}: {escape(incident.title)})"
        match timer.kind:
            case TimerKind.UPDATE_DUE:
                return (f":bell: {self._to(incident, 'comms')}: a status update for {incident.ref} is due "
                        f"({severity.id} updates every {format_duration(severity.update_cadence)})."), (), None
            case TimerKind.UPDATE_OVERDUE:
                return f":warning: {self._to(incident, 'commander')}: the status update for {incident.ref} is overdue.", (), None
            case TimerKind.RESPONSE_TARGET:
                now = self._clock.now()
                on_call_now = tuple(on_call(r, now).current for r in self.policy.rotations if turn_at(r, now) >= 0)
                channels = tuple(c for c in (*on_call_now, *severity.escalation_contacts,
                                             self.policy.announcements_channel or "") if c)
                after = format_duration(severity.response_target)
                notice = Notice(key=f"response_target/{severity.id}",
                                heading=f":rotating_light: {COUNT} {severity.id} incidents have no incident commander "
                                        f"after {after}. `/incident role commander @you` in their channels:",
                                line=title)
                return (f":rotating_light: {title} has no incident commander "
                        f"after {after}. `/incident role commander @you`"), channels, notice
        if timer.kind is TimerKind.REVIEW:
            when = {0: "is due in a day", 1: "is due now"}.get(timer.level, f"is {timer.level - 1} day(s) overdue")
            return (f":memo: {self._to(incident, 'commander')}: the post-incident review of {incident.ref} {when}. "
                    f"Export it with `warroom export {incident.ref}`; `/incident status closed` marks it done."), (), None
        # Stored levels start at 2 (the response target is the first call to act); people count from 1.
        number, levels = timer.level - 1, severity.escalation_levels
        level = levels[number - 1]
        lead = f"Escalation level {number} of {len(levels)}"
        after = format_duration(level.after)
        notice = Notice(key=f"escalation/{severity.id}/{number}",
                        heading=f":rotating_light: {lead}: {COUNT} {severity.id} incidents are unresolved after {after}:",
                        line=title)
        return (f":rotating_light: {lead}: {title} is unresolved after {after}.",
                tuple(dict.fromkeys((*level.notify, *self._service_targets(incident)))), notice)

    def _service_targets(self, incident: Incident) -> tuple[str, ...]:
        """Whom the service catalog adds to an escalation: the service's on-call and its team's user group."""
        entry = self.policy.catalog.find(incident.service)
        if entry is None:
            return ()
        now = self._clock.now()
        oncall = tuple(on_call(r, now).current for r in self.policy.rotations
                       if r.id == entry.oncall and r.members and turn_at(r, now) >= 0)
        return (*oncall, *((entry.usergroup,) if entry.usergroup else ()))

    def _to(self, incident: Incident, role_id: str) -> str:
        """A reminder's addressee: the role's holder, or whoever covers the unfilled role (saying so)."""
        who = mention(incident.covered_by(role_id))
        if incident.roles.get(role_id):
            return who
        label = next((r.label for r in self.policy.roles if r.id == role_id), role_id)
        return f"{who} (covering: no {label[0].lower()}{label[1:]} yet)"

    async def pending(self) -> int:
        """Timers not sent yet (for /health)."""
        async with self._uow() as uow:
            return await uow.timers.pending_count()
