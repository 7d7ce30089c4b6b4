"""Publishing to the status page: a draft shown as a preview, published on the comms lead's or commander's word.

Anyone may draft an update for the page (the update form, `/incident update status_page`, the reminder's
button); the draft is posted in the incident channel as the page would show it, and only whoever the
`publish_status_page` permission names (the comms lead and the commander by default) publishes it. The
first publish puts the incident on the page under a public title, never its internal one. A published
update restarts the update clock; the site is rewritten whole once the publish has committed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import structlog

from bot.domain.access import Use
from bot.domain.chat import UpdateChat
from bot.domain.errors import InvalidCommand, InvalidInput
from bot.domain.incident import Incident, TimelineKind
from bot.domain.milestones import format_time
from bot.domain.permissions import Capability
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.status_page import (
    PUBLIC_TITLE_MAX,
    PageStatus,
    PublicIncident,
    PublishedUpdate,
    PublishRule,
    impact_for_rank,
    page_status_for,
)
from bot.domain.status_publishing import Draft, StatusPageChat, affected_components, confirmers
from bot.domain.text import escape
from bot.services.incidents import IncidentService, load_incident
from bot.services.recording import record
from bot.services.retry import retried
from bot.services.status_site import StatusSite
from bot.services.updates import UPDATE_MAX, Audience, UpdateService

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PageForm:
    """What the update form shows for the page: the draft text, the status, and the public title (asked once)."""

    incident: Incident
    text: str
    status: PageStatus
    public_title: str  # the title it is published under ("" until first published)
    first: bool


class StatusPageService:
    """Drafts, previews, confirmation and publishing of status page updates."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: StatusPageChat, updates_chat: UpdateChat, clock: Clock,
                 incidents: IncidentService, updates: UpdateService, site: StatusSite) -> None:
        self._uow, self._chat, self._updates_chat, self._clock = uow, chat, updates_chat, clock
        self._incidents, self._updates, self.site = incidents, updates, site
        self.policy = incidents.policy

    def rule(self, incident: Incident) -> PublishRule:
        """What the policy asks of this incident's status page updates."""
        return self.policy.status_page.rule(incident.severity)

    async def _public(self, incident: Incident) -> PublicIncident | None:
        async with self._uow() as uow:
            return await uow.status_page.public_incident(incident.team_id, incident.id)

    async def goes_to_page(self, team_id: str, channel_id: str, audience: Audience) -> bool:
        """Whether an update for `audience` in this incident is a draft for the page (else it is posted in Slack):
        the status_page audience unless the severity skips the page; once on the page, both page audiences."""
        if audience not in (Audience.STATUS_PAGE, Audience.RESOLVED):
            return False
        incident = await self._incidents.for_channel(team_id, channel_id)
        public = await self._public(incident)
        if public is not None and public.private:
            return False
        if public is not None:  # on the page already: it hears the rest, whatever the severity became
            return True
        return audience is Audience.STATUS_PAGE and self.rule(incident) is not PublishRule.SKIP

    async def default_audience(self, team_id: str, channel_id: str) -> Audience:
        """The audience the card's and reminders' update button opens: the page when the severity requires it."""
        incident = await self._incidents.for_channel(team_id, channel_id)
        return Audience.STATUS_PAGE if self.rule(incident) is PublishRule.REQUIRED else Audience.INTERNAL

    async def form(self, team_id: str, channel_id: str, audience: Audience) -> PageForm:
        """The form's draft for the page: the audience's template naming only the public title and components."""
        incident = await self._incidents.for_channel(team_id, channel_id)
        public = await self._public(incident)
        title = public.public_title if public is not None else ""
        components = ", ".join(affected_components(incident, self.policy.catalog))
        wording = {"title": title or "our service", "service": components or title or "our service"}
        _, text = await self._updates.draft(team_id, channel_id, audience, public=wording)
        closed = not self.policy.lifecycle.is_open(incident.status)
        status = PageStatus.RESOLVED if audience is Audience.RESOLVED else page_status_for(incident.status, closed)
        return PageForm(incident=incident, text=text, status=status, public_title=title, first=public is None)

    async def describe(self, team_id: str, channel_id: str) -> str:
        """Where this incident stands with the page (mrkdwn): its public title, last update and next one due."""
        incident = await self._incidents.for_channel(team_id, channel_id)
        async with self._uow() as uow:
            public = await uow.status_page.public_incident(team_id, incident.id)
            last = await uow.status_page.last_update(team_id, incident.id)
        if public is not None and public.private:
            return f"{incident.ref} is private: it never appears on the status page."
        if public is None or last is None:
            rule = self.rule(incident)
            return (f"{incident.ref} is not on the status page. For {escape(incident.severity)} the page is {rule.value}"
                    + ("." if rule is PublishRule.SKIP else ": `/incident update status_page` drafts an update."))
        due = incident.next_update_due(self.policy)
        when = f"; the next one is expected by {format_time(due, self.policy.timezone)}" if due else ""
        return (f"{incident.ref} is on the status page as *{escape(public.public_title)}*: last update "
                f"{last.status.value} at {format_time(last.published_at, self.policy.timezone)}{when}.")

    async def form_errors(self, team_id: str, channel_id: str, body: str, public_title: str | None) -> dict[str, str]:
        """What is wrong with the page's form as submitted (`public_title` None: the form did not ask for one);
        a read only, so the form's submission can be answered with its errors before anything is stored."""
        errors = _text_errors(body.strip())
        if public_title is not None:
            incident = await self._incidents.for_channel(team_id, channel_id)
            errors.update(_title_errors(" ".join(public_title.split()), incident))
        return errors

    @retried
    async def propose(self, team_id: str, channel_id: str, actor: str, *, body: str, status: PageStatus,
                      public_title: str = "") -> Draft:
        """Store a draft and post its preview in the incident channel for the comms lead or commander."""
        body, public_title = body.strip(), " ".join(public_title.split())
        incident = await self._incidents.for_channel(team_id, channel_id)
        errors = _text_errors(body)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await load_incident(uow, team_id, incident.id)
            public = await uow.status_page.public_incident(team_id, incident.id)
            if public is not None and public.private:
                raise InvalidCommand(f"{current.ref} is private: nothing of it is published on the status page.")
            if public is None and self.rule(current) is PublishRule.SKIP:
                raise InvalidCommand(f"{escape(current.severity)} incidents are not published on the status page "
                                     "(status_page.severities in warroom.yaml).")
            if public is None:
                errors.update(_title_errors(public_title, current))
            if errors:
                raise InvalidInput(errors)
            draft = await uow.status_page.add_draft(Draft(
                team_id=team_id, incident_id=current.id, public_title=public.public_title if public else public_title,
                status=status, body=body, drafted_by=actor, drafted_at=now))
            await record(uow, current, actor=actor, action="status_page.drafted", at=now, kind=TimelineKind.UPDATE,
                         text=f"Status page update drafted ({status.value})", after={"draft": draft.id})
            await self._chat.post_preview(uow.outbox, current, draft, confirmers(current), first=public is None)
            await uow.commit()
        return draft

    @retried
    async def publish(self, team_id: str, draft_id: int, actor: str) -> PublishedUpdate:
        """Publish a draft (the comms lead or commander confirms): record it, restart the update clock, post it
        in Slack as a status update, then write the site."""
        now = self._clock.now()
        async with self._uow() as uow:
            draft = await _waiting(uow, team_id, draft_id)
            incident = await load_incident(uow, team_id, draft.incident_id, for_update=True)
            await self._may_publish(uow, incident, actor)
            public = await uow.status_page.public_incident(team_id, incident.id)
            if public is not None and public.private:
                raise InvalidCommand(f"{incident.ref} is private: nothing of it is published on the status page.")
            # Its impact and components follow the incident as it is when someone confirms what the page says.
            rank = self.policy.severities.get(incident.severity).rank
            public = replace(public, impact=impact_for_rank(rank),
                             components=affected_components(incident, self.policy.catalog)) if public else PublicIncident(
                team_id=team_id, incident_id=incident.id, public_title=draft.public_title, impact=impact_for_rank(rank),
                components=affected_components(incident, self.policy.catalog), created_at=now)
            await uow.status_page.save_incident(public)
            published = await uow.status_page.add_update(PublishedUpdate(
                team_id=team_id, incident_id=incident.id, status=draft.status, body=draft.body, published_at=now,
                published_by=actor))
            await uow.status_page.close_draft(team_id, draft_id)
            changed = await uow.incidents.update(incident.with_changes(last_update_at=now, snoozed_until=None,
                                                                       updated_at=now))
            await record(uow, changed, actor=actor, action="status_page.published", at=now, kind=TimelineKind.UPDATE,
                         text=f"Status page update published ({draft.status.value}): {draft.body}",
                         after={"status": draft.status.value, "update": published.id})
            await self._updates_chat.post_update(uow.outbox, changed, Audience.STATUS_PAGE.value, draft.body, actor)
            await self._updates_chat.update_card(uow.outbox, changed)
            await self._incidents.changed(uow, changed)  # the update clock restarts: the timers move
            await uow.commit()
        log.info("status_page_published", team_id=team_id, incident=changed.ref, status=draft.status.value)
        await self.site.rebuild()
        return published

    @retried
    async def discard(self, team_id: str, draft_id: int, actor: str) -> Draft:
        """Drop a draft without publishing it (whoever wrote it, or whoever may publish it)."""
        now = self._clock.now()
        async with self._uow() as uow:
            draft = await _waiting(uow, team_id, draft_id)
            incident = await load_incident(uow, team_id, draft.incident_id)
            if actor != draft.drafted_by:
                await self._may_publish(uow, incident, actor)
            await uow.status_page.close_draft(team_id, draft_id)
            await record(uow, incident, actor=actor, action="status_page.discarded", at=now,
                         kind=TimelineKind.UPDATE, text="Status page draft discarded", after={"draft": draft_id})
            await uow.commit()
        return draft

    @retried
    async def make_private(self, team_id: str, channel_id: str, actor: str) -> Incident:
        """Keep the incident off the page for good (what was published of it is removed), then rewrite the site."""
        incident = await self._incidents.for_channel(team_id, channel_id)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await load_incident(uow, team_id, incident.id, for_update=True)
            await self._may_publish(uow, current, actor)
            public = await uow.status_page.public_incident(team_id, current.id)
            hidden = public or PublicIncident(team_id=team_id, incident_id=current.id, public_title="",
                                              impact=impact_for_rank(0), components=(), created_at=now)
            await uow.status_page.save_incident(replace(hidden, private=True))
            await record(uow, current, actor=actor, action="status_page.made_private", at=now,
                         text="Kept off the status page (private)")
            await uow.commit()
        await self.site.rebuild()
        return current

    async def _may_publish(self, uow: UnitOfWork, incident: Incident, actor: str) -> None:
        covered = {**{role: incident.covered_by(role) for role in ("comms", "commander")}, **incident.roles}
        as_covered = incident.with_changes(roles=covered)
        decision = await self._incidents.permissions.decide(Use(Capability.PUBLISH_STATUS_PAGE), actor, as_covered)
        if not decision.allowed:
            raise await self._incidents.permissions.refused(decision, actor, team_id=incident.team_id,
                                                            incident=incident, uow=uow)  # nothing else changed

    async def on_change(self, uow: UnitOfWork, incident: Incident) -> None:
        """Told of every change: when an incident on the page has just been resolved, offer the resolved notice."""
        just_resolved = incident.resolved_at is not None and incident.resolved_at == incident.updated_at
        if not just_resolved or self.policy.lifecycle.is_open(incident.status):
            return
        public = await uow.status_page.public_incident(incident.team_id, incident.id)
        if public is None or public.private:
            return
        last = await uow.status_page.last_update(incident.team_id, incident.id)
        if last is None or last.status is not PageStatus.RESOLVED:
            await self._chat.offer_resolved_notice(uow.outbox, incident)


def _text_errors(body: str) -> dict[str, str]:
    if not body:
        return {"text": "Write the update before previewing it."}
    if len(body) > UPDATE_MAX:
        return {"text": f"Keep the update under {UPDATE_MAX} characters (it has {len(body)})."}
    return {}


def _title_errors(title: str, incident: Incident) -> dict[str, str]:
    if not title:
        return {"public_title": "Give the incident a public title: what customers read on the status page."}
    if len(title) > PUBLIC_TITLE_MAX:
        return {"public_title": f"Keep the public title under {PUBLIC_TITLE_MAX} characters."}
    if title.casefold() == " ".join(incident.title.split()).casefold():
        return {"public_title": "Write the title customers should read: the internal title is never published."}
    return {}


async def _waiting(uow: UnitOfWork, team_id: str, draft_id: int) -> Draft:
    draft = await uow.status_page.draft(team_id, draft_id, for_update=True)
    if draft is None:
        raise InvalidCommand("That draft does not exist in this workspace, or was already published or discarded.")
    return draft
