"""ReviewReader: find an incident by reference and render its review; reads only, sends nothing."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from bot.domain.errors import IncidentNotFound, InvalidCommand
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.services.incidents import load_incident
from bot.services.people import PeopleNames
from bot.services.review import render_markdown
from bot.services.review_data import ReviewData
from bot.services.review_json import review_json

STEP_ACTIONS = ("runbook.step_run", "runbook.step_rolled_back")  # what "Actions taken" lists
_REF = re.compile(r"^(?:inc-?)?(\d{1,9})$", re.IGNORECASE)  # bounded: an int column, not a 5000-digit number


def parse_ref(text: str) -> int:
    """`INC-42`, `inc42` or `42` -> 42."""
    match = _REF.match(text.strip())
    if not match:
        raise InvalidCommand(f"`{text}` is not an incident reference; use one like `INC-42`.")
    return int(match.group(1))


class ReviewReader:
    """The review of an incident as stored (`warroom export` needs this and storage, nothing more)."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, policy: Policy, review_template: str | None = None,
                 people: PeopleNames | None = None) -> None:
        self._uow, self._clock, self.policy = uow, clock, policy
        self._template = review_template
        self._people = people  # None: people show as their user ids

    async def review_data(self, team_id: str, incident_id: int, *, named: bool = True) -> ReviewData:
        """Everything the review shows, loaded in one transaction (with people's names unless not `named`)."""
        async with self._uow() as uow:
            data = await self._load(uow, team_id, incident_id)
        return replace(data, names=await self._names(team_id, data.people())) if named else data

    async def _load(self, uow: UnitOfWork, team_id: str, incident_id: int) -> ReviewData:
        incident = await load_incident(uow, team_id, incident_id)
        timeline = await uow.timeline.list_for(team_id, incident_id)
        roles = await uow.roles.list_for(team_id, incident_id)
        followups = await uow.followups.list_for(team_id, incident_id)
        actions = [a for a in await uow.audit.list_for(team_id, incident_id) if a.action in STEP_ACTIONS]
        return ReviewData(incident=incident, policy=self.policy, timeline=timeline, roles=roles,
                          followups=followups, actions=actions, generated_at=self._clock.now())

    async def _names(self, team_id: str, people: set[str]) -> dict[str, str]:
        return {} if self._people is None else await self._people.names(team_id, people)

    async def render(self, team_id: str, incident_id: int, fmt: str) -> str:
        """The review as Markdown (`md`) or JSON (`json`)."""
        data = await self.review_data(team_id, incident_id)
        if fmt == "json":
            return json.dumps(review_json(data), indent=2, ensure_ascii=False)
        if fmt == "md":
            return render_markdown(data, self._template)
        raise InvalidCommand(f"`{fmt}` is not an export format; use `md` or `json`.")

    async def find(self, team_id: str | None, ref: str) -> Incident:
        """The incident INC-<n> of this workspace (of the only workspace when `team_id` is None)."""
        number = parse_ref(ref)
        if team_id is None:
            async with self._uow() as uow:
                teams = await uow.incidents.workspaces()
            if len(teams) != 1:
                raise InvalidCommand(f"Name the workspace with --team; incidents exist in: {', '.join(teams) or 'none'}.")
            team_id = teams[0]
        async with self._uow() as uow:
            incident = await uow.incidents.get_by_number(team_id, number)
        if incident is None:
            raise IncidentNotFound(f"There is no INC-{number} in this workspace.")
        return incident
