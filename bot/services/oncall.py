"""OnCallService: who is on call, and a handoff brief at every handoff, announced once."""

from __future__ import annotations

import structlog

from bot.domain.chat import OnCallChat
from bot.domain.oncall import OnCall, Rotation, on_call, turn_at
from bot.domain.oncall import handoff_at as handoff_time
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWorkFactory
from bot.domain.text import escape
from bot.domain.timers import LATE_AFTER

log = structlog.get_logger(__name__)


class OnCallService:
    """Rotations from warroom.yaml."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: OnCallChat, clock: Clock, policy: Policy) -> None:
        self._uow, self._chat, self._clock, self.policy = uow, chat, clock, policy

    def now_and_next(self) -> list[tuple[Rotation, OnCall]]:
        """Each rotation with who is on call now and next."""
        now = self._clock.now()
        return [(r, on_call(r, now)) for r in self.policy.rotations if turn_at(r, now) >= 0]

    async def brief(self) -> str:
        """Open incidents (state and owners) and their open follow-ups, for the incoming engineer."""
        open_ids = [s.id for s in self.policy.lifecycle.statuses if not s.closed]
        lines = []
        async with self._uow() as uow:
            for team_id in await uow.incidents.workspaces():
                for incident in await uow.incidents.list_by_status(team_id, open_ids):
                    owner = incident.roles.get("commander")
                    lines.append(f"• *{incident.ref}* {escape(incident.title)} — {incident.severity}, {incident.status}, "
                                 f"commander {f'<@{owner}>' if owner else 'none'}")
                    for item in await uow.followups.list_for(team_id, incident.id):
                        if item.open:
                            lines.append(f"   ◦ follow-up: {escape(item.text)}" + (f" (<@{item.owner}>)" if item.owner else ""))
        return "\n".join(lines) or "No open incidents."

    async def dispatch_handoffs(self) -> int:
        """Announce every handoff that is due and not announced yet (by any process); returns how many."""
        now = self._clock.now()
        sent = 0
        for rotation in self.policy.rotations:
            turn = turn_at(rotation, now)
            if turn < 0:
                continue
            at = handoff_time(rotation, turn)
            members = rotation.members
            incoming, outgoing = members[turn % len(members)], members[(turn - 1) % len(members)]
            late = " _(late: Warroom was not running at handoff time)_" if now - at > LATE_AFTER else ""
            text = (f":pager: *{rotation.name}* handoff: <@{outgoing}> → <@{incoming}>{late}\n"
                    f"{await self.brief()}")
            async with self._uow() as uow:
                won = await uow.handoffs.claim(rotation.id, at, now)
                if won:  # the brief and DMs are queued with the claim: announced once, by one process
                    await self._chat.post_handoff(uow.outbox, rotation.channel, text, incoming, outgoing)
                await uow.commit()
            if not won:
                continue
            log.info("oncall_handoff", rotation=rotation.id, incoming=incoming, outgoing=outgoing)
            sent += 1
        return sent
