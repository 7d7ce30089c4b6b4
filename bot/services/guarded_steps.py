"""Running guarded steps once per click: what a click names, who may, dependencies, approvals, skip and cancel."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.access import Approve, Cancel, Question, RunStep, Use
from bot.domain.errors import IncidentNotFound, InvalidCommand, InvalidInput
from bot.domain.incident import Incident, TimelineKind
from bot.domain.permissions import Capability
from bot.domain.repositories import UnitOfWork
from bot.domain.runbook import Attachment, Runbook, Step, StepRun, StepState
from bot.services.permissions import PermissionCheck
from bot.services.recording import record
from bot.services.retry import retried
from bot.services.step_execution import StepExecution

RUNNABLE = (StepState.PENDING, StepState.FAILED, StepState.SKIPPED, StepState.ROLLED_BACK)
REQUEST_REFUSED = "request.refused"  # a button naming a runbook, step or request that is not there


class GuardedSteps(StepExecution):
    """Mixed into RunbookService: needs `_permissions` and `catalog` besides StepExecution's."""

    _permissions: PermissionCheck
    catalog: Mapping[str, Runbook]

    async def _refused(self, uow: UnitOfWork, team_id: str, actor: str, incident: Incident | None,
                       error: Exception, **after: object) -> Exception:
        """Audit a button that names what is not there (stale or tampered), commit that, hand back `error`."""
        await self._permissions.record_refusal(team_id, actor, REQUEST_REFUSED, incident, uow=uow,
                                               after={**after, "reason": str(error)})
        return error

    async def _load(self, uow: UnitOfWork, team_id: str, channel_id: str, runbook_id: str,
                    step_id: str, actor: str = "") -> tuple[Incident, Runbook, Step, Attachment, StepRun, list[StepRun]]:
        incident = await uow.incidents.get_by_channel(team_id, channel_id)
        runbook = self.catalog.get(runbook_id)
        attachment = await uow.runbooks.attachment(team_id, incident.id, runbook_id) if incident else None
        named = {"channel": channel_id, "runbook": runbook_id[:100], "step": step_id[:100]}
        if incident is None or runbook is None or attachment is None:
            raise await self._refused(uow, team_id, actor, incident, IncidentNotFound(
                "That runbook is not attached to an incident in this channel."), **named)
        try:
            step = runbook.step(step_id)
        except KeyError:
            raise await self._refused(uow, team_id, actor, incident, InvalidCommand(
                "That step is not in the runbook any more; run `/incident runbook` again."), **named) from None
        runs = await uow.runbooks.steps(team_id, incident.id, runbook_id)
        run = next((r for r in runs if r.step_id == step_id), None)
        if run is None:
            raise InvalidCommand(f"“{step.title}” was added to the runbook after it was attached to this incident.")
        return incident, runbook, step, attachment, run, runs

    async def _check(self, user: str, incident: Incident, runbook: Runbook, step: Step, *questions: Question,
                     **context: object) -> None:
        """Ask each question in turn; the first refusal is audited (naming the step) and raised, saying who may."""
        for question in questions:
            await self._permissions.check(question, user, team_id=incident.team_id, incident=incident,
                                          runbook=runbook.id, step=step.id, **context)

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
        if rollback and not step.reversible:
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
        await self._check(actor, incident, runbook, step, Cancel(step.guard, step.title, run.requested_by), op="cancel")
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
        await self._check(approver, incident, runbook, step, *guarded(step, Capability.APPROVE))
        attempt = run.attempt if attempt is None else attempt
        if run.state is not StepState.AWAITING_APPROVAL or run.attempt != attempt:
            await self._permissions.record_refusal(
                team_id, approver, REQUEST_REFUSED, incident,
                after={"runbook": runbook.id, "step": step.id, "attempt": attempt, "reason": "approval request not open"})
            raise InvalidInput({"step": f"That approval request for “{step.title}” is no longer open "
                                        f"(the step is {run.state.value.replace('_', ' ')})."})
        assert step.guard is not None
        await self._check(approver, incident, runbook, step, Approve(step.guard, step.title, run.requested_by))
        rollback = run.extra.get("op") == "rollback"
        return await self._execute(incident, runbook, step, attachment, run, (StepState.AWAITING_APPROVAL,),
                                   actor=run.requested_by or approver, approver=approver, rollback=rollback,
                                   at_attempt=attempt)


def guarded(step: Step, capability: Capability) -> tuple[Question, ...]:
    """The permission model's rule for `capability`, asked for guarded steps only (their guard narrows it)."""
    return (Use(capability),) if step.guard is not None else ()
