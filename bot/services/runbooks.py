"""RunbookService: attach runbooks, run their steps once per click, guarded, approved, audited, undoable."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Mapping
from dataclasses import replace

import structlog

from bot.domain.errors import (
    ChatUnavailable,
    IncidentNotFound,
    InvalidCommand,
    InvalidInput,
    PermissionDenied,
)
from bot.domain.incident import AuditEvent, Incident, TimelineKind
from bot.domain.permissions import Capability
from bot.domain.policy import Policy
from bot.domain.ports import (
    Clock,
    Directory,
    RunbookChat,
    StepRunner,
    UnitOfWork,
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
from bot.services.guards import GuardCheck
from bot.services.incidents import IncidentService
from bot.services.recording import audit, record
from bot.services.retry import retried
from bot.services.runbook_upkeep import UNKNOWN_RESULT, RunbookUpkeep

log = structlog.get_logger(__name__)

RUNNABLE = (StepState.PENDING, StepState.FAILED, StepState.SKIPPED, StepState.ROLLED_BACK)
ERROR_MAX = 2000  # the step_run.error column
REQUEST_REFUSED = "request.refused"  # a button naming a runbook, step or request that is not there


class RunbookService(RunbookUpkeep):
    """Runbooks in an incident: attach, run, approve, roll back."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: RunbookChat, clock: Clock, incidents: IncidentService,
                 directory: Directory, runner: StepRunner, catalog: Mapping[str, Runbook]) -> None:
        self._uow, self._chat, self._clock, self._incidents = uow, chat, clock, incidents
        self._runner = runner
        self._guards = GuardCheck(directory, incidents.policy, incidents.permissions)
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

    async def suggest(self, uow: UnitOfWork, incident: Incident) -> list[Runbook]:
        """Offer the runbooks that match a new incident's service in its channel (queued in `uow`)."""
        found = self.suggestions(incident)
        if found:
            await self._chat.suggest_runbooks(uow.outbox, incident, found)
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
            await self._chat.post_checklist(uow.outbox, incident, attachment, runbook, runs)
            await uow.commit()
        return incident, runbook

    async def _refused(self, uow: UnitOfWork, team_id: str, actor: str, incident: Incident | None,
                       error: Exception, **after: object) -> Exception:
        """Audit a button that names what is not there (stale or tampered), commit that, hand back `error`."""
        await uow.audit.add(AuditEvent(team_id=team_id, incident_id=incident.id if incident else None, actor=actor,
                                       action=REQUEST_REFUSED, at=self._clock.now(),
                                       after={**after, "reason": str(error)}))
        await uow.commit()
        return error

    async def _load(self, uow: UnitOfWork, team_id: str, channel_id: str, runbook_id: str,
                    step_id: str, actor: str = "") -> tuple[Incident, Runbook, Step, Attachment, StepRun, list[StepRun]]:
        incident = await uow.incidents.get_by_channel(team_id, channel_id)
        runbook = self.catalog.get(runbook_id)
        attachment = await uow.runbooks.attachment(team_id, incident.id, runbook_id) if incident else None  # type: ignore[arg-type]
        named = {"channel": channel_id, "runbook": runbook_id[:100], "step": step_id[:100]}
        if incident is None or runbook is None or attachment is None:
            raise await self._refused(uow, team_id, actor, incident, IncidentNotFound(
                "That runbook is not attached to an incident in this channel."), **named)
        try:
            step = runbook.step(step_id)
        except KeyError:
            raise await self._refused(uow, team_id, actor, incident, InvalidCommand(
                "That step is not in the runbook any more; run `/incident runbook` again."), **named) from None
        runs = await uow.runbooks.steps(team_id, incident.id, runbook_id)  # type: ignore[arg-type]
        run = next((r for r in runs if r.step_id == step_id), None)
        if run is None:
            raise InvalidCommand(f"“{step.title}” was added to the runbook after it was attached to this incident.")
        return incident, runbook, step, attachment, run, runs

    async def request(self, team_id: str, channel_id: str, actor: str, runbook_id: str, step_id: str,
                      *, rollback: bool = False, attempt: int | None = None) -> StepRun:
        """A click on a step's button (showing `attempt`): check who, then run it or ask for approval."""
        async with self._uow() as uow:
            incident, runbook, step, attachment, run, runs = await self._load(uow, team_id, channel_id, runbook_id, step_id, actor)
            if attempt is not None and attempt != run.attempt:
                raise InvalidInput({"step": await self._busy(uow, run, step)})
        await self._require(Capability.RUN_GUARDED_STEPS, actor, incident, step)
        allowed = await self._guards.permitted(step.guard, incident, actor)
        now = self._clock.now()
        what = "roll back" if rollback else "run"
        if not allowed:
            async with self._uow() as uow:
                await audit(uow, incident, actor=actor, action="runbook.step_refused", at=now,
                            after={"runbook": runbook.id, "step": step.id, "op": what})
                await uow.commit()
            assert step.guard is not None
            raise PermissionDenied(f"Only {self._guards.who_may(step.guard, incident)} may {what} “{step.title}”.")
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
        now = self._clock.now()
        await self._require(Capability.RUN_GUARDED_STEPS, actor, incident, step)
        if not await self._guards.permitted(step.guard, incident, actor):
            assert step.guard is not None
            async with self._uow() as uow:
                await audit(uow, incident, actor=actor, action="runbook.step_refused", at=now,
                            after={"runbook": runbook.id, "step": step.id, "op": "skip"})
                await uow.commit()
            raise PermissionDenied(f"Only {self._guards.who_may(step.guard, incident)} may skip “{step.title}”.")
        async with self._uow() as uow:
            won = await uow.runbooks.claim(run, (StepState.PENDING, StepState.FAILED), state=StepState.SKIPPED,
                                           actor=actor, finished_at=now)
            if not won:
                raise InvalidInput({"step": await self._busy(uow, run, step)})
            await record(uow, incident, actor=actor, action="runbook.step_skipped", at=now, kind=TimelineKind.ACTION,
                         text=f"Skipped “{step.title}”", after={"runbook": runbook.id, "step": step.id})
            runs = await uow.runbooks.steps(team_id, run.incident_id, runbook_id)
            await self._chat.update_checklist(uow.outbox, incident, attachment, runbook, runs)
            await uow.commit()
        return next(r for r in runs if r.step_id == step_id)

    @retried
    async def _ask_approval(self, incident: Incident, runbook: Runbook, step: Step, attachment: Attachment,
                            run: StepRun, actor: str, rollback: bool, from_states: tuple[StepState, ...]) -> StepRun:
        now = self._clock.now()
        op = "rollback" if rollback else "run"
        async with self._uow() as uow:
            # A new attempt number: the Approve button carries it, so an approval can only act on this request.
            won = await uow.runbooks.claim(run, from_states, at_attempt=run.attempt, state=StepState.AWAITING_APPROVAL,
                                           requested_by=actor, attempt=run.attempt + 1,
                                           extra={"op": op, "from": run.state.value})
            if not won:
                raise InvalidInput({"step": await self._busy(uow, run, step)})
            await record(uow, incident, actor=actor, action="runbook.approval_requested", at=now,
                         kind=TimelineKind.ACTION, text=f"Approval requested to {'roll back' if rollback else 'run'} “{step.title}”",
                         after={"runbook": runbook.id, "step": step.id, "op": op})
            runs = await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
            waiting = next(r for r in runs if r.step_id == step.id)
            # Queued with the request: an approval request nobody can see is never left waiting.
            await self._chat.post_approval_request(uow.outbox, incident, runbook, step, waiting, rollback)
            await self._chat.update_checklist(uow.outbox, incident, attachment, runbook, runs)
            await uow.commit()
        return waiting

    @retried
    async def _withdraw_request(self, incident: Incident, runbook: Runbook, step: Step, attachment: Attachment,
                                run: StepRun, actor: str, reason: str) -> list[StepRun]:
        """Put a step waiting for approval back where it was, with its checklist; the runs as they are now."""
        back = StepState(run.extra.get("from", StepState.PENDING.value))
        async with self._uow() as uow:
            won = await uow.runbooks.claim(run, (StepState.AWAITING_APPROVAL,), at_attempt=run.attempt, state=back)
            if won:
                await record(uow, incident, actor=actor, action="runbook.approval_withdrawn", at=self._clock.now(),
                             kind=TimelineKind.ACTION, text=f"Approval request for “{step.title}” withdrawn: {reason}",
                             after={"runbook": run.runbook_id, "step": step.id, "reason": reason})
            runs = await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
            await self._chat.update_checklist(uow.outbox, incident, attachment, runbook, runs)
            await uow.commit()
        return runs

    async def cancel(self, team_id: str, channel_id: str, actor: str, runbook_id: str, step_id: str,
                     attempt: int) -> StepRun:
        """The requester (or anyone who may run the step) withdraws an approval request."""
        async with self._uow() as uow:
            incident, runbook, step, attachment, run, _ = await self._load(uow, team_id, channel_id, runbook_id, step_id, actor)
        if actor != run.requested_by and not await self._guards.permitted(step.guard, incident, actor):
            raise PermissionDenied(f"Only <@{run.requested_by}> or whoever may run “{step.title}” can cancel this request.")
        if run.state is not StepState.AWAITING_APPROVAL or run.attempt != attempt:
            raise InvalidInput({"step": "That approval request is no longer open."})
        runs = await self._withdraw_request(incident, runbook, step, attachment, run, actor, f"cancelled by <@{actor}>")
        return next(r for r in runs if r.step_id == step_id)

    async def approve(self, team_id: str, channel_id: str, approver: str, runbook_id: str, step_id: str,
                      attempt: int | None = None) -> StepRun:
        """A second, permitted person approves request number `attempt`; the step then runs (once)."""
        async with self._uow() as uow:
            incident, runbook, step, attachment, run, _ = await self._load(uow, team_id, channel_id, runbook_id, step_id,
                                                                           approver)
        await self._require(Capability.APPROVE, approver, incident, step)
        attempt = run.attempt if attempt is None else attempt
        if run.state is not StepState.AWAITING_APPROVAL or run.attempt != attempt:
            await self._incidents.permissions.record_refusal(
                team_id, approver, REQUEST_REFUSED, incident, runbook=runbook.id, step=step.id, attempt=attempt,
                reason="approval request not open")
            raise InvalidInput({"step": f"That approval request for “{step.title}” is no longer open "
                                        f"(the step is {run.state.value.replace('_', ' ')})."})
        assert step.guard is not None
        refusal = None
        if approver == run.requested_by:
            refusal = f"A different person must approve “{step.title}”: you asked for it."
        elif not await self._guards.may_approve(step.guard, incident, approver):
            refusal = f"Only {self._guards.who_may_approve(step.guard, incident)} may approve “{step.title}”."
        if refusal:
            async with self._uow() as uow:
                await audit(uow, incident, actor=approver, action="runbook.approval_refused", at=self._clock.now(),
                            after={"runbook": runbook.id, "step": step.id, "reason": refusal})
                await uow.commit()
            raise PermissionDenied(refusal)
        rollback = run.extra.get("op") == "rollback"
        return await self._execute(incident, runbook, step, attachment, run, (StepState.AWAITING_APPROVAL,),
                                   actor=run.requested_by or approver, approver=approver, rollback=rollback,
                                   at_attempt=attempt)

    async def _require(self, capability: Capability, user: str, incident: Incident, step: Step) -> None:
        """The permission model's rule for guarded steps (the step's own guard is checked after it)."""
        if step.guard is not None:
            await self._incidents.permissions.require(capability, user, team_id=incident.team_id, incident=incident)

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
            outcome = None if step.kind is StepKind.NOTIFY else await self._outcome(step, self._runner.run(step, rollback=rollback))
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
            if outcome is None:  # a notify step: its messages commit with its record
                outcome = await self._outcome(step, self._chat.notify_targets(uow.outbox, incident, step))
            done = StepState.ROLLED_BACK if rollback else StepState.DONE
            state = done if outcome.ok else (StepState.DONE if rollback else StepState.FAILED)
            verb = "Rolled back" if rollback else "Ran"
            change = (f": {step.flag} {show_value(outcome.before)} → {show_value(outcome.after)}"
                      if step.kind is StepKind.FLAG and outcome.ok else "")
            approved = f" (approved by <@{approver}>)" if approver else ""
            result = "done" if outcome.ok else f"failed: {outcome.error}"
            # A failed rollback keeps the values of the run it tried to undo.
            values = {"before": outcome.before, "after": outcome.after} if outcome.ok or not rollback else {}
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
            await self._chat.update_checklist(uow.outbox, incident, attachment, runbook, runs)
            if outcome.output or outcome.error:
                await self._chat.post_step_output(uow.outbox, incident, attachment, step, outcome)
            await uow.commit()
        log.info("runbook_step_finished", incident=incident.ref, runbook=runbook.id, step=step.id, ok=outcome.ok,
                 rollback=rollback)
        return next(r for r in runs if r.step_id == step.id)
