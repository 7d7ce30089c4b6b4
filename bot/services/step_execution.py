"""Running a claimed step with its kind's executor, and recording the outcome once, whatever happens."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import replace
from typing import TypedDict

import structlog

from bot.domain.chat import RunbookChat
from bot.domain.errors import ChatUnavailable, InvalidInput
from bot.domain.incident import Incident, TimelineKind
from bot.domain.ports import Clock, StepRunner
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.runbook import (
    Attachment,
    FlagValue,
    NotifyStep,
    Runbook,
    Step,
    StepOutcome,
    StepRun,
    StepState,
    show_value,
)
from bot.services.recording import record
from bot.services.retry import retried
from bot.services.runbook_upkeep import UNKNOWN_RESULT

log = structlog.get_logger(__name__)

ERROR_MAX = 2000  # the step_run.error column


class _FlagValues(TypedDict, total=False):
    """The flag values a finished step run records (none for a failed rollback)."""

    before: FlagValue
    after: FlagValue


class StepExecution:
    """Mixed into RunbookService: needs `_uow`, `_chat`, `_clock` and `_runner`."""

    _uow: UnitOfWorkFactory
    _chat: RunbookChat
    _clock: Clock
    _runner: StepRunner

    async def _busy(self, uow: UnitOfWork, run: StepRun, step: Step) -> str:
        current = next((r for r in await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
                        if r.step_id == run.step_id), run)
        who = current.actor or current.requested_by
        by = f" (<@{who}>)" if who else ""
        state = current.state.value.replace("_", " ")
        return f"“{step.title}” is {state}{by}; nothing was started twice."

    @retried  # only until its claim commits: a step that ran is never run again by a retry
    async def _execute(self, incident: Incident, runbook: Runbook, step: Step, attachment: Attachment, run: StepRun,
                       from_states: tuple[StepState, ...], *, actor: str, approver: str | None, rollback: bool,
                       at_attempt: int | None = None) -> StepRun:
        started = self._clock.now()
        attempt = run.attempt if at_attempt is not None else run.attempt + 1
        async with self._uow() as uow:
            won = await uow.runbooks.claim(run, from_states, at_attempt=at_attempt if at_attempt is not None else run.attempt,
                                           state=StepState.RUNNING, actor=actor, approver=approver,
                                           started_at=started, finished_at=None, error="", attempt=attempt)
            if not won:  # someone else's click, or Slack delivering this one again
                raise InvalidInput({"step": await self._busy(uow, run, step)})
            runs = await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
            await self._chat.update_checklist(uow.outbox, incident, attachment, runbook, runs)
            await uow.commit()
        running = replace(run, state=StepState.RUNNING, attempt=attempt)
        try:  # a notify step (None) queues its messages in the transaction that records it
            outcome = None if isinstance(step, NotifyStep) else await self._outcome(step, self._runner.run(step, rollback=rollback))
        except BaseException:  # cancelled (shutdown): never leave the step RUNNING
            await asyncio.shield(self._finish(incident, runbook, step, attachment, running,
                                              StepOutcome(ok=False, error=UNKNOWN_RESULT), actor=actor,
                                              approver=approver, rollback=rollback))
            raise
        return await self._finish(incident, runbook, step, attachment, running, outcome, actor=actor,
                                  approver=approver, rollback=rollback)

    async def _outcome(self, step: Step, running: Awaitable[StepOutcome]) -> StepOutcome:
        try:
            return await running
        except ChatUnavailable as exc:
            return StepOutcome(ok=False, error=str(exc))
        except Exception as exc:
            ref = uuid.uuid4().hex[:8]
            log.error("step_crashed", step=step.id, ref=ref, exc_info=exc)
            return StepOutcome(ok=False, error=f"the step crashed ({type(exc).__name__}, ref {ref}); see Warroom's log")

    @retried
    async def _finish(self, incident: Incident, runbook: Runbook, step: Step, attachment: Attachment, run: StepRun,
                      outcome: StepOutcome | None, *, actor: str, approver: str | None, rollback: bool) -> StepRun:
        now = self._clock.now()
        async with self._uow() as uow:
            if outcome is None:  # a notify step: a notification is a message, queued to commit with its record
                assert isinstance(step, NotifyStep)
                outcome = await self._outcome(step, self._chat.notify_targets(uow.outbox, incident, step))
            done = StepState.ROLLED_BACK if rollback else StepState.DONE
            state = done if outcome.ok else (StepState.DONE if rollback else StepState.FAILED)
            verb = "Rolled back" if rollback else "Ran"
            setting = step.setting  # what the step changes (a flag), recorded with its value before and after
            change = (f": {setting} {show_value(outcome.before)} → {show_value(outcome.after)}"
                      if setting is not None and outcome.ok else "")
            approved = f" (approved by <@{approver}>)" if approver else ""
            result = "done" if outcome.ok else f"failed: {outcome.error}"
            # A failed rollback keeps the values of the run it tried to undo.
            values: _FlagValues = {"before": outcome.before, "after": outcome.after} if outcome.ok or not rollback else {}
            await uow.runbooks.claim(run, (StepState.RUNNING,), state=state, finished_at=now, output=outcome.output,
                                     error=outcome.error[:ERROR_MAX], **values)
            await record(uow, incident, actor=actor, at=now, kind=TimelineKind.ACTION,
                         action="runbook.step_rolled_back" if rollback else "runbook.step_run",
                         text=f"{verb} “{step.title}”{change}{approved} — {result}",
                         before={"value": outcome.before} if setting is not None else {},
                         after={"runbook": runbook.id, "step": step.id, "title": step.title, "kind": step.kind.value,
                                "ok": outcome.ok, "flag": setting,
                                "value": outcome.after, "approver": approver, "error": outcome.error[:ERROR_MAX],
                                "attempt": run.attempt})
            runs = await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
            await self._chat.update_checklist(uow.outbox, incident, attachment, runbook, runs)
            if outcome.output or outcome.error:
                await self._chat.post_step_output(uow.outbox, incident, attachment, step, outcome)
            await uow.commit()
        log.info("runbook_step_finished", incident=incident.ref, runbook=runbook.id, step=step.id, ok=outcome.ok,
                 rollback=rollback)
        return next(r for r in runs if r.step_id == step.id)
