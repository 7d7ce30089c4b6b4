"""ReviewService: milestones, follow-ups, resolving with a summary, the review, export and stats."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import structlog

from bot.domain import milestones
from bot.domain.chat import IncidentChat
from bot.domain.classes import find_class
from bot.domain.errors import IncidentNotFound, InvalidCommand, InvalidInput
from bot.domain.incident import FollowUp, Incident, TimelineEntry, TimelineKind
from bot.domain.kpis import Insights, insights
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.stats import parse_period
from bot.services.incidents import IncidentService, load_incident
from bot.services.people import PeopleNames
from bot.services.recording import audit, record
from bot.services.retry import retried
from bot.services.review import render_markdown, review_context
from bot.services.review_reader import ReviewReader

log = structlog.get_logger(__name__)

FOLLOWUP_MAX = 1000
RESOLUTION_FIELDS = ("resolution", "impact", "root_cause")


class ReviewService(ReviewReader):
    """Everything that turns an incident into an honest review."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: IncidentChat, clock: Clock, incidents: IncidentService,
                 review_template: str | None = None, people: PeopleNames | None = None,
                 classes_with_runbook: Collection[str] = (), runbook_ids: Collection[str] = ()) -> None:
        super().__init__(uow=uow, clock=clock, policy=incidents.policy, review_template=review_template,
                         people=people)
        self._chat, self._incidents = chat, incidents
        self._classes_with_runbook = frozenset(classes_with_runbook)  # the classes some runbook says it covers
        self._runbook_ids = frozenset(runbook_ids)  # the runbooks the bot has (the top alerts' coverage)

    @retried
    async def set_milestone(self, team_id: str, channel_id: str, actor: str, name: str, when: str) -> Incident:
        """Back-fill a milestone from a time typed in the workspace's time zone."""
        milestone = milestones.parse_milestone(name)
        at = milestones.parse_when(when, now=self._clock.now(), tz=self.policy.timezone)
        incident = await self._incidents.for_channel(team_id, channel_id)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await load_incident(uow, team_id, incident.id, for_update=True)
            updated = milestones.set_milestone(current.milestones, milestone, at, tz=self.policy.timezone)
            changed = await uow.incidents.update(current.with_changes(milestones=updated, updated_at=now))
            old = current.milestones.get(milestone.value)
            # On the timeline where it happened (a back-filled "detected" comes before the declaration);
            # the audit log keeps when it was set.
            await uow.timeline.add(TimelineEntry(
                incident_id=changed.id, team_id=team_id, kind=TimelineKind.CHANGE, author=actor, occurred_at=at,
                text=f"Milestone {milestone.value} (back-filled)"))
            await audit(uow, changed, actor=actor, action="incident.milestone_set", at=now,
                        before={milestone.value: old.isoformat() if old else None},
                        after={milestone.value: at.isoformat()})
            await self._chat.update_card(uow.outbox, changed)
            await uow.commit()
        return changed

    @retried
    async def add_followup(self, team_id: str, channel_id: str, actor: str, text: str, owner: str | None) -> FollowUp:
        """Record a follow-up action and post it with a button that closes it."""
        text = " ".join(text.split())
        if not text:
            raise InvalidCommand("Say what needs doing: `/incident followup Add alert on import queue depth @owner`.")
        if len(text) > FOLLOWUP_MAX:
            raise InvalidCommand(f"Keep a follow-up under {FOLLOWUP_MAX} characters (it has {len(text)}).")
        incident = await self._incidents.for_channel(team_id, channel_id)
        now = self._clock.now()
        async with self._uow() as uow:
            followup = await uow.followups.add(FollowUp(team_id=team_id, incident_id=incident.id, text=text,
                                                        created_by=actor, created_at=now, owner=owner))
            owned = f" (owner <@{owner}>)" if owner else ""
            await record(uow, incident, actor=actor, action="followup.added", at=now, kind=TimelineKind.ACTION,
                         text=f"Follow-up: {text}{owned}", after={"followup": followup.id, "owner": owner})
            await self._chat.post_followup(uow.outbox, incident, followup)
            await uow.commit()
        return followup

    @retried
    async def close_followup(self, team_id: str, followup_id: int, actor: str) -> tuple[Incident, FollowUp]:
        """Mark a follow-up done (idempotent: closing a closed one changes nothing)."""
        now = self._clock.now()
        async with self._uow() as uow:
            followup = await uow.followups.get(team_id, followup_id)
            if followup is None:
                raise IncidentNotFound("That follow-up does not exist in this workspace.")
            incident = await load_incident(uow, team_id, followup.incident_id)
            if not followup.open:
                return incident, followup
            followup = await uow.followups.update(replace(followup, done_at=now, done_by=actor))
            await record(uow, incident, actor=actor, action="followup.done", at=now, kind=TimelineKind.ACTION,
                         text=f"Follow-up done: {followup.text}", after={"followup": followup.id})
            await uow.commit()
        return incident, followup

    async def resolve(self, team_id: str, incident_id: int, actor: str, details: dict[str, str],
                      incident_class: str = "") -> str:
        """Resolve with a summary (and the class chosen in the form) and post the post-incident review, in one
        transaction; returns its Markdown."""
        unknown = set(details) - set(RESOLUTION_FIELDS)
        if unknown or not details.get("resolution", "").strip():
            raise InvalidInput({"resolution": "Say how the incident was resolved."})
        clean = {k: v.strip()[:3000] for k, v in details.items()}
        chosen = find_class(self.policy.classes, incident_class).id if incident_class.strip() else None
        # Names first: looking them up may ask Slack, and no connection is held across that.
        before = await self.review_data(team_id, incident_id, named=False)
        names = await self._names(team_id, {*before.people(), actor})
        markdown: list[str] = []

        async def post_review(uow: UnitOfWork, changed: Incident) -> None:
            if chosen and chosen != before.incident.incident_class:
                await record(uow, changed, actor=actor, action="incident.class_changed", at=self._clock.now(),
                             text=f"Class {before.incident.incident_class or '(none)'} → {chosen}",
                             before={"incident_class": before.incident.incident_class or ""},
                             after={"incident_class": chosen})
            data = replace(await self._load(uow, team_id, incident_id), names=names)
            markdown[:] = [render_markdown(data, self._template)]
            await self._chat.post_review(uow.outbox, changed, review_context(data), markdown[0])

        changed = await self._incidents.change_status(
            team_id, incident_id, actor, "resolved", then=post_review,
            details={**clean, "incident_class": chosen} if chosen else clean)
        log.info("incident_resolved", team_id=team_id, incident=changed.ref)
        return markdown[0]

    async def stats_with_insights(self, team_id: str, period: str, incident_class: str = "") -> tuple[str, Insights]:
        """What `period` (default 30 days; of one class's incidents, if given) is called, and its KPIs (counts, times
        overall, by severity, service and class, recurrence, runbook coverage of incidents, top classes and top
        alerts), from the insights' six queries."""
        now = self._clock.now()
        since, until, label = parse_period(period, now=now)
        chosen = find_class(self.policy.classes, incident_class) if incident_class.strip() else None
        window = self.policy.recurrence_window
        async with self._uow() as uow:
            # Every class: recurrence looks back one window before the period for the earlier incident of a class
            # or of an alert group, and that one may be of any class.
            records = await uow.insights.period(team_id, since, until, lookback=since - window, alerts=True,
                                                overdue_before=now - self.policy.followup_overdue_after)
        if chosen is not None:  # the counts are the class's; recurrence by alert group still sees every class
            label = f"{label}, {chosen.label}"
        return label, insights(records.incidents, records.runs, since=since, until=until, groups=records.groups,
                               window=window, classes_with_runbook=self._classes_with_runbook,
                               incident_class=None if chosen is None else chosen.id,
                               alert_sources=records.alert_sources, runbook_ids=self._runbook_ids,
                               severities=self.policy.severities.ids())

