"""Keeping attached runbooks healthy: failing steps a dead process left running, listing open steps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWorkFactory
from bot.domain.runbook import Runbook, StepState
from bot.services.recording import audit

# A step left RUNNING by a process that died is failed this long after its own timeout.
STUCK_MARGIN = timedelta(minutes=2)
UNKNOWN_RESULT = "Warroom stopped before the result was known; check the step's effect before retrying."


class RunbookUpkeep:
    """Mixed into RunbookService: needs `_uow`, `_clock` and `catalog`."""

    _uow: UnitOfWorkFactory
    _clock: Clock
    catalog: Mapping[str, Runbook]

    async def recover(self) -> int:
        """Fail steps a dead process left RUNNING past their timeout; returns how many."""
        now = self._clock.now()
        async with self._uow() as uow:
            stuck = await uow.runbooks.running_since(now - STUCK_MARGIN)
        failed = 0
        for run in stuck:
            runbook = self.catalog.get(run.runbook_id)
            timeout = next((s.timeout_seconds for s in runbook.steps() if s.id == run.step_id), 30.0) if runbook else 30.0
            if run.started_at and run.started_at > now - STUCK_MARGIN - timedelta(seconds=timeout):
                continue
            async with self._uow() as uow:
                if await uow.runbooks.claim(run, (StepState.RUNNING,), at_attempt=run.attempt,
                                            state=StepState.FAILED, finished_at=now, error=UNKNOWN_RESULT):
                    incident = await uow.incidents.get(run.team_id, run.incident_id)
                    if incident is not None:
                        await audit(uow, incident, actor="warroom", action="runbook.step_recovered", at=now,
                                    after={"runbook": run.runbook_id, "step": run.step_id, "error": UNKNOWN_RESULT})
                    await uow.commit()
                    failed += 1
        return failed

    async def open_steps(self, team_id: str, incident_id: int) -> list[str]:
        """Titles of steps not done yet, for handovers."""
        async with self._uow() as uow:
            attachments = await uow.runbooks.attachments(team_id, incident_id)
            pending = []
            for attachment in attachments:
                runbook = self.catalog.get(attachment.runbook_id)
                for run in await uow.runbooks.steps(team_id, incident_id, attachment.runbook_id):
                    if runbook and run.state not in (StepState.DONE, StepState.ROLLED_BACK, StepState.SKIPPED):
                        step = next((s for s in runbook.steps() if s.id == run.step_id), None)
                        if step:
                            pending.append(f"{runbook.title}: {step.title} ({run.state.value.replace('_', ' ')})")
        return pending
