"""The ports to the chat platform (Slack): what the use cases ask of it, and the values they pass.

Methods that post or change messages take the `outbox` of the unit of work of the change that causes
them (`uow.outbox`): the Slack adapters queue their calls there, committed with that change and sent
afterwards (bot.domain.outbox). Only what needs an answer at once (create a channel, read a message)
calls the platform directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.domain.grouping import Notice
from bot.domain.incident import FollowUp, Incident
from bot.domain.news import Announcement
from bot.domain.outbox import Outbox
from bot.domain.runbook import Attachment, NotifyStep, Runbook, Step, StepOutcome, StepRun


@dataclass(frozen=True)
class ChatMessage:
    """A message in a channel, as the timeline captures it."""

    channel_id: str
    ts: str
    user_id: str
    text: str


@dataclass(frozen=True)
class HandoverSummary:
    """What the incoming commander needs to know."""

    incident: Incident
    from_user: str | None
    to_user: str
    next_update_due: datetime | None
    open_followups: list[FollowUp]
    open_steps: list[str]


@dataclass(frozen=True)
class ChannelRef:
    """A Slack channel Warroom created."""

    id: str
    name: str


class IncidentChat(Protocol):
    """What the use cases need from the chat platform; the adapter renders the messages."""

    async def create_channel(self, candidate_names: Sequence[str]) -> ChannelRef:
        """Create a channel with the first free name of `candidate_names`."""
        ...

    async def archive_channel(self, channel: ChannelRef) -> None:
        """Archive a channel created for an incident that could not be saved (best effort: never raises)."""
        ...

    async def invite(self, outbox: Outbox, incident: Incident, user_ids: Sequence[str]) -> None:
        """Invite users to the incident's channel (already-members are fine)."""
        ...

    async def set_topic(self, outbox: Outbox, incident: Incident) -> None:
        """Set the incident channel's topic from the incident (only the latest of several queued goes out)."""
        ...

    async def post_card(self, outbox: Outbox, incident: Incident) -> None:
        """Post the incident card in the incident channel (its ts is recorded on the incident once posted)."""
        ...

    async def update_card(self, outbox: Outbox, incident: Incident) -> None:
        """Re-render the incident card in place."""
        ...

    async def announce(self, outbox: Outbox, incident: Incident) -> None:
        """Announce a new incident in the announcements channel."""
        ...

    async def announce_change(self, outbox: Outbox, incident: Incident, announcement: Announcement) -> None:
        """Tell the announcements channel about a change stakeholders follow (see bot.domain.news)."""
        ...

    async def post_change(self, outbox: Outbox, incident: Incident, text: str) -> None:
        """Tell the incident channel about a change."""
        ...

    async def notify_role_holder(self, outbox: Outbox, incident: Incident, role_id: str, user_id: str) -> None:
        """DM the new holder of a role with its duties and the incident's state."""
        ...

    async def post_handover(self, outbox: Outbox, summary: HandoverSummary) -> None:
        """Post the commander handover summary in the incident channel."""
        ...

    async def fetch_message(self, channel_id: str, ts: str) -> ChatMessage | None:
        """One message of a channel (None when it no longer exists)."""
        ...

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        """A link to the message."""
        ...

    async def post_review(self, outbox: Outbox, incident: Incident, review: Mapping[str, Any], markdown: str) -> None:
        """Post the post-incident review in the incident channel: `review` (the fields of
        bot.services.review.review_context) as messages, `markdown` (all of it) as a file."""
        ...

    async def post_followup(self, outbox: Outbox, incident: Incident, followup: FollowUp) -> None:
        """Post a follow-up with a button that closes it."""
        ...


class RunbookChat(Protocol):
    """What runbook use cases need from the chat platform."""

    async def post_checklist(self, outbox: Outbox, incident: Incident, attachment: Attachment, runbook: Runbook,
                             runs: list[StepRun]) -> None:
        """Post the runbook checklist in the incident channel (its ts is recorded on the attachment once posted)."""
        ...

    async def update_checklist(self, outbox: Outbox, incident: Incident, attachment: Attachment, runbook: Runbook,
                               runs: list[StepRun]) -> None:
        """Re-render the checklist in place."""
        ...

    async def post_step_output(self, outbox: Outbox, incident: Incident, attachment: Attachment, step: Step,
                               outcome: StepOutcome) -> None:
        """Post a step's output or error in the checklist's thread."""
        ...

    async def post_approval_request(self, outbox: Outbox, incident: Incident, runbook: Runbook, step: Step,
                                    run: StepRun, rollback: bool) -> None:
        """Ask for a second person's approval of a guarded step."""
        ...

    async def notify_targets(self, outbox: Outbox, incident: Incident, step: NotifyStep) -> StepOutcome:
        """Ping a notify step's roles, groups, users and channels."""
        ...

    async def suggest_runbooks(self, outbox: Outbox, incident: Incident, runbooks: list[Runbook]) -> None:
        """Offer matching runbooks to attach."""
        ...


class UpdateChat(Protocol):
    """Where status updates go."""

    async def post_update(self, outbox: Outbox, incident: Incident, audience: str, text: str, author: str) -> None:
        """Post a status update in the incident channel and the announcements channel."""
        ...

    async def update_card(self, outbox: Outbox, incident: Incident) -> None:
        """Re-render the incident card (next update due moved)."""
        ...


class OnCallChat(Protocol):
    """Where on-call handoffs are announced."""

    async def post_handoff(self, outbox: Outbox, channel: str, text: str, incoming: str, outgoing: str) -> None:
        """Post the handoff brief to the rotation's channel and DM both engineers."""
        ...


class TimerChat(Protocol):
    """Where reminders and escalations go."""

    async def post_timer(self, outbox: Outbox, incident: Incident, text: str, targets: Sequence[str], *,
                         offer_update: bool = False, notice: Notice | None = None) -> None:
        """Post in the incident channel, mentioning `targets` (roles, groups, users) and posting to channel
        targets; with `offer_update`, a button that opens the status update form. The copies in channel
        targets carry `notice`: waiting there with others of its group, they go out as one message."""
        ...


class Directory(Protocol):
    """Who belongs to which user group."""

    async def in_group(self, user_id: str, group_id: str) -> bool:
        """True when the user is a member of the user group (S...)."""
        ...
