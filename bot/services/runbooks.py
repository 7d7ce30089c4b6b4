"""RunbookService: attach runbooks, run their steps once per click, guarded, approved, audited, undoable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import structlog

from bot.domain.errors import IncidentNotFound, InvalidCommand, InvalidInput, PermissionDenied
from bot.domain.incident import Incident, TimelineKind
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
    Guard,
    Runbook,
    Step,
    StepKind,
    StepOutcome,
    StepRun,
    StepState,
)
from bot.services.incidents import IncidentService
from bot.services.recording import audit, record

log = structlog.get_logger(__name__)

RUNNABLE = (StepState.PENDING, StepState.FAILED, StepState.SKIPPED)


def _mention(target: str) -> str:
    return f"<!subteam^{target}>" if target.startswith("S") else f"<@{target}>"


class RunbookService:
    """Runbooks in an incident: attach, run, approve, roll back."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: RunbookChat, clock: Clock, incidents: IncidentService,
                 directory: Directory, runner: StepRunner, catalog: Mapping[str, Runbook]) -> None:
        self._uow, self._chat, self._clock, self._incidents = uow, chat, clock, incidents
        self._directory, self._runner = directory, runner
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
        """Runbooks whose services match the incident's service (and severity, if they list any)."""
        return [r for r in self.catalog.values()
                if r.applies_to(service=incident.service, severity=incident.severity)]

    async def suggest(self, incident: Incident) -> list[Runbook]:
        """Offer the runbooks that match a new incident's service in its channel."""
        found = self.suggestions(incident)
        if found:
            await self._chat.suggest_runbooks(incident, found)
        return found

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
                           attached_by=actor, attached_at=now), [s.id for s in runbook.steps()])
            await record(uow, incident, actor=actor, action="runbook.attached", at=now, kind=TimelineKind.ACTION,
                         text=f"Runbook attached: {runbook.title}", after={"runbook": runbook.id})
            runs = await uow.runbooks.steps(team_id, incident.id, runbook.id)  # type: ignore[arg-type]
            await uow.commit()
        ts = await self._chat.post_checklist(incident, runbook, runs)
        async with self._uow() as uow:
            await uow.runbooks.set_message(attachment, channel_id, ts)
            await uow.commit()
        return incident, runbook

    async def _permitted(self, guard: Guard | None, incident: Incident, user: str) -> bool:
        if guard is None or not guard.restricted:
            return True
        if any(incident.roles.get(role) == user for role in guard.roles):
            return True
        for target in guard.groups:
            if target == user or (target.startswith("S") and await self._directory.in_group(user, target)):
                return True
        return False

    async def _may_approve(self, guard: Guard, incident: Incident, user: str) -> bool:
        if not guard.approver_roles and not guard.approver_groups:
            return user in incident.roles.values()
        return await self._permitted(Guard(roles=guard.approver_roles, groups=guard.approver_groups), incident, user)

    def _who_may_approve(self, guard: Guard, incident: Incident) -> str:
        if not guard.approver_roles and not guard.approver_groups:
            return "someone holding a role in this incident (commander, comms lead, scribe)"
        return self._who_may(Guard(roles=guard.approver_roles, groups=guard.approver_groups), incident)

    def _who_may(self, guard: Guard, incident: Incident) -> str:
        people = []
        for role_id in guard.roles:
            label = next((r.label.lower() for r in self.policy.roles if r.id == role_id), role_id)
            holder = incident.roles.get(role_id)
            people.append(f"the {label} ({_mention(holder)})" if holder else
                          f"the {label} (nobody yet: `/incident role {role_id} @someone`)")
        people += [_mention(g) for g in guard.groups]
        return " or ".join(people)

    async def _load(self, uow: UnitOfWork, team_id: str, channel_id: str, runbook_id: str,
                    step_id: str) -> tuple[Incident, Runbook, Step, Attachment, StepRun, list[StepRun]]:
        incident = await uow.incidents.get_by_channel(team_id, channel_id)
        runbook = self.catalog.get(runbook_id)
        attachment = await uow.runbooks.attachment(team_id, incident.id, runbook_id) if incident else None  # type: ignore[arg-type]
        if incident is None or runbook is None or attachment is None:
            raise IncidentNotFound("That runbook is not attached to an incident in this channel.")
        try:
            step = runbook.step(step_id)
        except KeyError:
            raise InvalidCommand("That step is not in the runbook any more; run `/incident runbook` again.") from None
        runs = await uow.runbooks.steps(team_id, incident.id, runbook_id)  # type: ignore[arg-type]
        run = next(r for r in runs if r.step_id == step_id)
        return incident, runbook, step, attachment, run, runs

    async def request(self, team_id: str, channel_id: str, actor: str, runbook_id: str, step_id: str,
                      *, rollback: bool = False) -> StepRun:
        """A click on a step's button: check who, then run it or ask for approval."""
        async with self._uow() as uow:
            incident, runbook, step, attachment, run, runs = await self._load(uow, team_id, channel_id, runbook_id, step_id)
        allowed = await self._permitted(step.guard, incident, actor)
        now = self._clock.now()
        what = "roll back" if rollback else "run"
        if not allowed:
            async with self._uow() as uow:
                await audit(uow, incident, actor=actor, action="runbook.step_refused", at=now,
                            after={"runbook": runbook.id, "step": step.id, "op": what})
                await uow.commit()
            assert step.guard is not None
            raise PermissionDenied(f"Only {self._who_may(step.guard, incident)} may {what} “{step.title}”.")
        from_states = (StepState.DONE,) if rollback else RUNNABLE
        if rollback and step.kind is not StepKind.FLAG:
            raise InvalidCommand("Only flag steps can be rolled back.")
        if not rollback:
            waiting = [s.title for s in runbook.steps() if s.id in step.depends_on
                       and next(r for r in runs if r.step_id == s.id).state is not StepState.DONE]
            if waiting:
                raise InvalidInput({"step": f"Do “{waiting[0]}” first: “{step.title}” depends on it."})
        if step.guard is not None and step.guard.approval:
            return await self._ask_approval(incident, runbook, step, attachment, run, actor, rollback, from_states)
        return await self._execute(incident, runbook, step, attachment, run, from_states, actor=actor,
                                   approver=None, rollback=rollback)

    async def skip(self, team_id: str, channel_id: str, actor: str, runbook_id: str, step_id: str) -> StepRun:
        """Mark a step as not needed (who may run a guarded step may skip it); recorded like a run."""
        async with self._uow() as uow:
            incident, runbook, step, attachment, run, _ = await self._load(uow, team_id, channel_id, runbook_id, step_id)
        if not await self._permitted(step.guard, incident, actor):
            assert step.guard is not None
            raise PermissionDenied(f"Only {self._who_may(step.guard, incident)} may skip “{step.title}”.")
        now = self._clock.now()
        async with self._uow() as uow:
            won = await uow.runbooks.claim(run, (StepState.PENDING, StepState.FAILED), state=StepState.SKIPPED,
                                           actor=actor, finished_at=now)
            if not won:
                raise InvalidInput({"step": f"“{step.title}” is already {await self._state(uow, run)}."})
            await record(uow, incident, actor=actor, action="runbook.step_skipped", at=now, kind=TimelineKind.ACTION,
                         text=f"Skipped “{step.title}”", after={"runbook": runbook.id, "step": step.id})
            runs = await uow.runbooks.steps(team_id, run.incident_id, runbook_id)
            await uow.commit()
        await self._chat.update_checklist(incident, attachment, runbook, runs)
        return next(r for r in runs if r.step_id == step_id)

    async def _ask_approval(self, incident: Incident, runbook: Runbook, step: Step, attachment: Attachment,
                            run: StepRun, actor: str, rollback: bool, from_states: tuple[StepState, ...]) -> StepRun:
        now = self._clock.now()
        async with self._uow() as uow:
            won = await uow.runbooks.claim(run, from_states, state=StepState.AWAITING_APPROVAL, requested_by=actor,
                                           extra={"op": "rollback" if rollback else "run"})
            if not won:
                raise InvalidInput({"step": f"“{step.title}” is already {await self._state(uow, run)}."})
            await record(uow, incident, actor=actor, action="runbook.approval_requested", at=now,
                         kind=TimelineKind.ACTION, text=f"Approval requested to {'roll back' if rollback else 'run'} “{step.title}”",
                         after={"runbook": runbook.id, "step": step.id, "op": "rollback" if rollback else "run"})
            runs = await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
            await uow.commit()
        waiting = next(r for r in runs if r.step_id == step.id)
        await self._chat.post_approval_request(incident, runbook, step, waiting, rollback)
        await self._chat.update_checklist(incident, attachment, runbook, runs)
        return waiting

    async def approve(self, team_id: str, channel_id: str, approver: str, runbook_id: str, step_id: str) -> StepRun:
        """A second, permitted person approves; the step then runs (once)."""
        async with self._uow() as uow:
            incident, runbook, step, attachment, run, _ = await self._load(uow, team_id, channel_id, runbook_id, step_id)
        if run.state is not StepState.AWAITING_APPROVAL:
            raise InvalidInput({"step": f"“{step.title}” is not waiting for approval (it is {run.state.value.replace('_', ' ')})."})
        assert step.guard is not None
        refusal = None
        if approver == run.requested_by:
            refusal = f"A different person must approve “{step.title}”: you asked for it."
        elif not await self._may_approve(step.guard, incident, approver):
            refusal = f"Only {self._who_may_approve(step.guard, incident)} may approve “{step.title}”."
        if refusal:
            async with self._uow() as uow:
                await audit(uow, incident, actor=approver, action="runbook.approval_refused", at=self._clock.now(),
                            after={"runbook": runbook.id, "step": step.id, "reason": refusal})
                await uow.commit()
            raise PermissionDenied(refusal)
        rollback = run.extra.get("op") == "rollback"
        return await self._execute(incident, runbook, step, attachment, run, (StepState.AWAITING_APPROVAL,),
                                   actor=run.requested_by or approver, approver=approver, rollback=rollback)

    async def _state(self, uow: UnitOfWork, run: StepRun) -> str:
        current = next(r for r in await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
                       if r.step_id == run.step_id)
        who = f" by <@{current.actor or current.requested_by}>" if current.actor or current.requested_by else ""
        return current.state.value.replace("_", " ") + who

    async def _execute(self, incident: Incident, runbook: Runbook, step: Step, attachment: Attachment, run: StepRun,
                       from_states: tuple[StepState, ...], *, actor: str, approver: str | None, rollback: bool) -> StepRun:
        started = self._clock.now()
        async with self._uow() as uow:
            won = await uow.runbooks.claim(run, from_states, state=StepState.RUNNING, actor=actor, approver=approver,
                                           started_at=started, finished_at=None, error="", attempt=run.attempt + 1)
            if not won:  # someone else's click, or Slack delivering this one again
                raise InvalidInput({"step": f"“{step.title}” is already {await self._state(uow, run)}."})
            runs = await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
            await uow.commit()
        await self._chat.update_checklist(incident, attachment, runbook, runs)
        outcome = await self._outcome(incident, step, rollback)
        return await self._finish(incident, runbook, step, attachment, replace(run, attempt=run.attempt + 1),
                                  outcome, actor=actor, approver=approver, rollback=rollback)

    async def _outcome(self, incident: Incident, step: Step, rollback: bool) -> StepOutcome:
        if step.kind is StepKind.NOTIFY:
            return await self._chat.notify_targets(incident, step)
        try:
            return await self._runner.run(step, rollback=rollback)
        except Exception as exc:
            log.error("step_crashed", step=step.id, exc_info=exc)
            return StepOutcome(ok=False, error=f"the step crashed: {type(exc).__name__}")

    async def _finish(self, incident: Incident, runbook: Runbook, step: Step, attachment: Attachment, run: StepRun,
                      outcome: StepOutcome, *, actor: str, approver: str | None, rollback: bool) -> StepRun:
        now = self._clock.now()
        done = StepState.ROLLED_BACK if rollback else StepState.DONE
        state = done if outcome.ok else (StepState.DONE if rollback else StepState.FAILED)
        verb = "Rolled back" if rollback else "Ran"
        change = f": {step.flag} {outcome.before!r} → {outcome.after!r}" if step.kind is StepKind.FLAG and outcome.ok else ""
        approved = f" (approved by <@{approver}>)" if approver else ""
        result = "done" if outcome.ok else f"failed: {outcome.error}"
        async with self._uow() as uow:
            await uow.runbooks.claim(run, (StepState.RUNNING,), state=state, finished_at=now, before=outcome.before,
                                     after=outcome.after, output=outcome.output, error=outcome.error)
            await record(uow, incident, actor=actor, at=now, kind=TimelineKind.ACTION,
                         action="runbook.step_rolled_back" if rollback else "runbook.step_run",
                         text=f"{verb} “{step.title}”{change}{approved} — {result}",
                         before={"value": outcome.before} if step.kind is StepKind.FLAG else {},
                         after={"runbook": runbook.id, "step": step.id, "title": step.title, "kind": step.kind.value,
                                "ok": outcome.ok, "flag": step.flag or None,
                                "value": outcome.after, "approver": approver, "error": outcome.error,
                                "attempt": run.attempt})
            runs = await uow.runbooks.steps(run.team_id, run.incident_id, run.runbook_id)
            await uow.commit()
        log.info("runbook_step_finished", incident=incident.ref, runbook=runbook.id, step=step.id, ok=outcome.ok,
                 rollback=rollback)
        await self._chat.update_checklist(incident, attachment, runbook, runs)
        if outcome.output or outcome.error:
            await self._chat.post_step_output(incident, attachment, step, outcome)
        return next(r for r in runs if r.step_id == step.id)

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
