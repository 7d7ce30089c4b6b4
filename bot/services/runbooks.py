"""RunbookService: attach runbooks, run their steps once per click, guarded, approved, audited, undoable."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import replace

import structlog

from bot.domain.access import RunStep
from bot.domain.errors import ChatUnavailable, InvalidCommand, InvalidInput
from bot.domain.incident import Incident, TimelineKind
from bot.domain.permissions import Capability
from bot.domain.policy import Policy
from bot.domain.ports import (
    Clock,
    Directory,
    RunbookChat,
    StepRunner,
    UnitOfWorkFactory,
)
from bot.domain.runbook import (
    Attachment,
    Runbook,
    Step,
    StepKind,
    StepOutcome,
    StepRun,
    StepState,
    show_value,
)
from bot.services.incidents import IncidentService
from bot.services.recording import record
from bot.services.retry import retried
from bot.services.runbook_clicks import RunbookClicks, guarded
from bot.services.runbook_upkeep import UNKNOWN_RESULT, RunbookUpkeep

log = structlog.get_logger(__name__)

RUNNABLE = (StepState.PENDING, StepState.FAILED, StepState.SKIPPED, StepState.ROLLED_BACK)
ERROR_MAX = 2000  # the step_run.error column


class RunbookService(RunbookClicks, RunbookUpkeep):
    """Runbooks in an incident: attach, run, approve, roll back."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: RunbookChat, clock: Clock, incidents: IncidentService,
                 directory: Directory, runner: StepRunner, catalog: Mapping[str, Runbook]) -> None:
        self._uow, self._chat, self._clock, self._incidents = uow, chat, clock, incidents
        self._runner = runner
        self._permissions = incidents.permissions
        self.catalog = dict(catalog)

    @property
    def policy(self) -> Policy:
        """The incident policy."""
        return self._incidents.policy

    def find(self, name: str) -> Runbook:
        """A runbook by id, or by a unique part of its title."""
        if name in self.catalog:
            return self.catalog[name]
        matches = [r for r in self.catalog.values() if name.lower() in r.title.lower() or name.lower() in r.id]
        if len(matches) == 1:
            return matches[0]
        hint = ", ".join(f"`{r.id}`" for r in matches[:10]) if matches else "see `/incident runbook`"
        raise InvalidCommand(f"No single runbook matches `{name}`: {hint}.")

    def suggestions(self, incident: Incident) -> list[Runbook]:
        """Runbooks for the incident's service, or for an alert its title or summary names."""
        text = f"{incident.title} {incident.summary}".lower()
        found = []
        for runbook in self.catalog.values():
            alert = next((a for a in runbook.alerts if a.lower() in text), "")
            if runbook.applies_to(service=incident.service, alert=alert, severity=incident.severity):
                found.append(runbook)
        return found

    async def suggest(self, incident: Incident) -> list[Runbook]:
        """Offer the runbooks that match a new incident's service in its channel."""
        found = self.suggestions(incident)
        if found:
            await self._chat.suggest_runbooks(incident, found)
        return found

    @retried
    async def attach(self, team_id: str, channel_id: str, actor: str, name: str) -> tuple[Incident, Runbook]:
        """Attach a runbook and post its checklist (attaching twice posts nothing new)."""
        runbook = self.find(name)
        incident = await self._incidents.for_channel(team_id, channel_id)
        now = self._clock.now()
        async with self._uow() as uow:
            if await uow.runbooks.attachment(team_id, incident.id, runbook.id) is not None:  # type: ignore[arg-type]
                raise InvalidInput({"runbook": f"`{runbook.id}` is already attached to {incident.ref}."})
            attachment = await uow.runbooks.attach(
                Attachment(team_id=team_id, incident_id=incident.id, runbook_id=runbook.id,  # type: ignore[arg-type]
                           attached_by=actor, attached_at=now, channel_id=channel_id), [s.id for s in runbook.steps()])
            await record(uow, incident, actor=actor, action="runbook.attached", at=now, kind=TimelineKind.ACTION,
                         text=f"Runbook attached: {runbook.title}", after={"runbook": runbook.id})
            runs = await uow.runbooks.steps(team_id, incident.id, runbook.id)  # type: ignore[arg-type]
            # Queued in this transaction: its ts is written back to the attachment once Slack has it.
            await self._chat.post_checklist(incident, attachment, runbook, runs)
            await uow.commit()
        return incident, runbook

    async def request(self, team_id: str, channel_id: str, actor: str, runbook_id: str, step_id: str,
                      *, rollback: bool = False, attempt: int | None = None) -> StepRun:
        """A click on a step's button (showing `attempt`): check who, then run it or ask for approval."""
        async with self._uow() as uow:
            incident, runbook, step, attachment, run, runs = await self._load(uow, team_id, channel_id, runbook_id, step_id, actor)
            if attempt is not None and attempt != run.attempt:
                raise InvalidInput({"step": await self._busy(uow, run, step)})
        what = "roll back" if rollback else "run"
        await self._check(actor, incident, runbook, step, *guarded(step, Capability.RUN_GUARDED_STEPS),
                          RunStep(step.guard, step.title, what), op=what)
        from_states = (StepState.DONE,) if rollback else RUNNABLE
        if rollback and step.kind is not StepKind.FLAG:
            raise InvalidCommand("Only flag steps can be rolled back.")
        if not rollback:
            done = {r.step_id for r in runs if r.state is StepState.DONE}
            waiting = [s.title for s in runbook.steps() if s.id in step.depends_on and s.id not in done]
            if waiting:
                raise InvalidInput({"step": f"Do “{waiting[0]}” first: “{step.title}” depends on it."})
        if step.guard is not None and step.guard.approval:
            return await self._ask_approval(incident, runbook, step, attachment, run, actor, rollback, from_states)
        return await self._execute(incident, runbook, step, attachment, run, from_states, actor=actor,
                                   approver=None, rollback=rollback)

    @retried
    async def skip(self, team_id: str, channel_id: str, actor: str, runbook_id: str, step_id: str) -> StepRun:
        """Mark a step as not needed (who may run a guarded step may skip it); recorded like a run."""
        async with self._uow() as uow:
            incident, runbook, step, attachment, run, _ = await self._load(uow, team_id, channel_id, runbook_id, step_id, actor)
        await self._check(actor, incident, runbook, step, *guarded(step, Capability.RUN_GUARDED_STEPS),
                          RunStep(step.guard, step.title, "skip"), op="skip")
        now = self._clock.now()
        async with self._uow() as uow:
            won = await uow.runbooks.claim(run, (StepState.PENDING, StepState.FAILED), state=StepState.SKIPPED,
                                           actor=actor, finished_at=now)
            if not won:
                raise InvalidInput({"step": await self._busy(uow, run, step)})
            await record(uow, incident, actor=actor, action="runbook.step_skipped", at=now, kind=TimelineKind.ACTION,
                         text=f"Skipped “{step.title}”", after={"runbook": runbook.id, "step": step.id})
            runs = await uow.runbooks.steps(team_id, run.incident_id, runbook_id)
            await self._chat.update_checklist(incident, attachment, runbook, runs)
            await uow.commit()
        return next(r for r in runs if r.step_id == step_id)

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
            await self._chat.update_checklist(incident, attachment, runbook, runs)
            await uow.commit()
        running = replace(run, state=StepState.RUNNING, attempt=attempt)
        try:
            outcome = await self._outcome(incident, step, rollback)
        except BaseException:  # cancelled (shutdown): never leave the step RUNNING
            await asyncio.shield(self._finish(incident, runbook, step, attachment, running,
                                              StepOutcome(ok=False, error=UNKNOWN_RESULT), actor=actor,
                                              approver=approver, rollback=rollback))
            raise
        return await self._finish(incident, runbook, step, attachment, running, outcome, actor=actor,
                                  approver=approver, rollback=rollback)

    async def _outcome(self, incident: Incident, step: Step, rollback: bool) -> StepOutcome:
        try:
            if step.kind is StepKind.NOTIFY:
                return await self._chat.notify_targets(incident, step)
            return await self._runner.run(step, rollback=rollback)
        except ChatUnavailable as exc:
            return StepOutcome(ok=False, error=str(exc))
        except Exception as exc:
            ref = uuid.uuid4().hex[:8]
            log.error("step_crashed", step=step.id, ref=ref, exc_info=exc)
            return StepOutcome(ok=False, error=f"the step crashed ({type(exc).__name__}, ref {ref}); see Warroom's log")

    @retried
    async def _finish(self, incident: Incident, runbook: Runbook, step: Step, attachment: Attachment, run: StepRun,
                      outcome: StepOutcome, *, actor: str, approver: str | None, rollback: bool) -> StepRun:
        now = self._clock.now()
        done = StepState.ROLLED_BACK if rollback else StepState.DONE
        state = done if outcome.ok else (StepState.DONE if rollback else StepState.FAILED)
        verb = "Rolled back" if rollback else "Ran"
        change = (f": {step.flag} {show_value(outcome.before)} → {show_value(outcome.after)}"
                  if step.kind is StepKind.FLAG and outcome.ok else "")
        approved = f" (approved by <@{approver}>)" if approver else ""
        result = "done" if outcome.ok else f"failed: {outcome.error}"
        # A failed rollback keeps the values of the run it tried to undo.
        values = {"before": outcome.before, "after": outcome.after} if outcome.ok or not rollback else {}
        async with self._uow() as uow:
            await uow.runbooks.claim(run, (StepState.RUNNING,), state=state, finished_at=now, output=outcome.output,
                                     error=outcome.error[:ERROR_MAX], **values)
            await record(uow, incident, actor=actor, at=now, kind=TimelineKind.ACTION,
                         action="runbook.step_rolled_back" if rollback else "runbook.step_run",
                         text=f"{verb} “{step.title}”{change}{approved} — {result}",
                         before={"value": outcome.before} if step.kind is StepKind.FLAG else {},
                         after={"runbook": runbook.id, "step": step.id, "title": step.title, "kind": step.kind.value,
                                "ok": outcome.ok, "flag": step.flag or None,
                                "value": outcome.after, "approver": approver, "error": outcome.error[:ERROR_MAX],
                                "attempt": run.attempt})
            runs = await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
            await self._chat.update_checklist(incident, attachment, runbook, runs)
            if outcome.output or outcome.error:
                await self._chat.post_step_output(incident, attachment, step, outcome)
            await uow.commit()
        log.info("runbook_step_finished", incident=incident.ref, runbook=runbook.id, step=step.id, ok=outcome.ok,
                 rollback=rollback)
        return next(r for r in runs if r.step_id == step.id)
