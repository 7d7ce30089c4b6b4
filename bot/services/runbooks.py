"""RunbookService: the runbook catalog, suggestions and attaching; running steps is in guarded_steps.py."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.chat import Directory, RunbookChat
from bot.domain.errors import InvalidCommand, InvalidInput
from bot.domain.incident import Incident, TimelineKind
from bot.domain.policy import Policy
from bot.domain.ports import Clock, StepRunner
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.runbook import NewAttachment, Runbook
from bot.services.guarded_steps import GuardedSteps
from bot.services.incidents import IncidentService
from bot.services.recording import record
from bot.services.retry import retried
from bot.services.runbook_upkeep import RunbookUpkeep


class RunbookService(GuardedSteps, RunbookUpkeep):
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
        """Runbooks the service catalog lists for the incident's service, then those for its service, its class
        or an alert its title or summary names."""
        text = f"{incident.title} {incident.summary}".lower()
        entry = self.policy.catalog.find(incident.service)
        found = [self.catalog[r] for r in (entry.runbooks if entry else ()) if r in self.catalog]
        listed = {r.id for r in found}
        for runbook in self.catalog.values():
            alert = next((a for a in runbook.alerts if a.lower() in text), "")
            if runbook.id not in listed and runbook.applies_to(service=incident.service, alert=alert,
                                                           severity=incident.severity,
                                                           incident_class=incident.incident_class or ""):
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
            if await uow.runbooks.attachment(team_id, incident.id, runbook.id) is not None:
                raise InvalidInput({"runbook": f"`{runbook.id}` is already attached to {incident.ref}."})
            attachment = await uow.runbooks.attach(
                NewAttachment(team_id=team_id, incident_id=incident.id, runbook_id=runbook.id,
                              attached_by=actor, attached_at=now, channel_id=channel_id), [s.id for s in runbook.steps()])
            await record(uow, incident, actor=actor, action="runbook.attached", at=now, kind=TimelineKind.ACTION,
                         text=f"Runbook attached: {runbook.title}", after={"runbook": runbook.id})
            runs = await uow.runbooks.steps(team_id, incident.id, runbook.id)
            # Queued in this transaction: its ts is written back to the attachment once Slack has it.
            await self._chat.post_checklist(uow.outbox, incident, attachment, runbook, runs)
            await uow.commit()
        return incident, runbook
