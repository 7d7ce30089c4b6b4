"""The chat ports faked: what the use cases asked of the chat platform, recorded, and queued in the change's
outbox as the Slack adapters would; the directory of user groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.chat import ChannelRef, ChatMessage, HandoverSummary
from bot.domain.grouping import Notice
from bot.domain.incident import FollowUp, Incident
from bot.domain.news import Announcement
from bot.domain.outbox import OutboundCall, Outbox
from bot.domain.runbook import StepOutcome
from bot.domain.status_publishing import Draft
from tests.fakes.store import FakeOutbox


def _queue(outbox: Outbox, name: str) -> None:
    """A fake chat's request as a call in a fake unit of work's outbox. A real outbox (the fake chats beside
    the SQL unit of work) is left alone: its sender would try to make the call."""
    if isinstance(outbox, FakeOutbox):
        outbox.put(OutboundCall(team_id="", method=name, params={}))


class FakeChat:
    """Records what the use cases asked of the chat platform."""

    def __init__(self, taken: Sequence[str] = ()) -> None:
        self.taken = set(taken)
        self.log: list[tuple[str, object]] = []
        self.fail: dict[str, Exception] = {}
        self.messages: dict[tuple[str, str], ChatMessage] = {}
        self.reviews: list[dict[str, Any]] = []  # the review fields post_review was given

    def _step(self, name: str, arg: object) -> None:
        self.log.append((name, arg))
        if name in self.fail:
            raise self.fail[name]

    def _queued(self, outbox: Outbox, name: str, arg: object) -> None:
        """Record the request and queue it in the change's outbox, as the Slack adapter would."""
        self._step(name, arg)
        _queue(outbox, name)

    def calls(self, name: str) -> list[object]:
        return [arg for n, arg in self.log if n == name]

    async def create_channel(self, candidate_names: Sequence[str]) -> ChannelRef:
        for name in candidate_names:
            if name not in self.taken:
                self.taken.add(name)
                self._step("create_channel", name)
                return ChannelRef(id=f"C{len(self.taken):04d}", name=name)
        raise AssertionError("no free name")

    async def archive_channel(self, channel: ChannelRef) -> None:
        self._step("archive_channel", channel)

    async def invite(self, outbox: Outbox, incident: Incident, user_ids: Sequence[str]) -> None:
        self._queued(outbox, "invite", (incident.channel_id, tuple(user_ids)))

    async def set_topic(self, outbox: Outbox, incident: Incident) -> None:
        self._queued(outbox, "set_topic", incident)

    async def post_card(self, outbox: Outbox, incident: Incident) -> None:
        self._queued(outbox, "post_card", incident)

    async def update_card(self, outbox: Outbox, incident: Incident) -> None:
        self._queued(outbox, "update_card", incident)

    async def announce(self, outbox: Outbox, incident: Incident) -> None:
        self._queued(outbox, "announce", incident)

    async def announce_change(self, outbox: Outbox, incident: Incident, announcement: Announcement) -> None:
        self._queued(outbox, "announce_change", announcement)

    async def post_preview(self, outbox: Outbox, incident: Incident, draft: Draft, confirmers: Sequence[str],
                           first: bool) -> None:
        self._queued(outbox, "post_preview", (draft, tuple(confirmers), first))

    async def offer_resolved_notice(self, outbox: Outbox, incident: Incident) -> None:
        self._queued(outbox, "offer_resolved_notice", incident)

    async def post_change(self, outbox: Outbox, incident: Incident, text: str) -> None:
        self._queued(outbox, "post_change", text)

    async def notify_role_holder(self, outbox: Outbox, incident: Incident, role_id: str, user_id: str) -> None:
        self._queued(outbox, "notify_role_holder", (role_id, user_id))

    async def post_handover(self, outbox: Outbox, summary: HandoverSummary) -> None:
        self._queued(outbox, "post_handover", summary)

    async def fetch_message(self, channel_id: str, ts: str) -> ChatMessage | None:
        self._step("fetch_message", (channel_id, ts))
        return self.messages.get((channel_id, ts))

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        return f"https://fake.slack/archives/{channel_id}/p{ts.replace('.', '')}"

    async def post_review(self, outbox: Outbox, incident: Incident, review: Mapping[str, Any], markdown: str) -> None:
        self._queued(outbox, "post_review", markdown)
        self.reviews.append(dict(review))

    async def post_followup(self, outbox: Outbox, incident: Incident, followup: FollowUp) -> None:
        self._queued(outbox, "post_followup", followup)

    async def post_handoff(self, outbox: Outbox, channel: str, text: str, incoming: str, outgoing: str) -> None:
        self._queued(outbox, "post_handoff", (channel, text, incoming, outgoing))

    async def post_update(self, outbox: Outbox, incident: Incident, audience: str, text: str, author: str) -> None:
        self._queued(outbox, "post_update", (audience, text, author))

    async def post_timer(self, outbox: Outbox, incident: Incident, text: str, targets: Sequence[str], *,
                         offer_update: bool = False, notice: Notice | None = None) -> None:
        self._queued(outbox, "post_timer", (text, tuple(targets)))


class FakeDirectory:
    """User groups as a dict: group id -> member ids."""

    def __init__(self, groups: dict[str, set[str]] | None = None) -> None:
        self.groups = groups or {}

    async def in_group(self, user_id: str, group_id: str) -> bool:
        return user_id in self.groups.get(group_id, set())


class FakeRunbookChat:
    """Records what runbook use cases asked of the chat platform."""

    def __init__(self) -> None:
        self.log: list[tuple[str, object]] = []

    def _queued(self, outbox: Outbox, name: str, arg: object) -> None:
        self.log.append((name, arg))
        _queue(outbox, name)

    def calls(self, name: str) -> list[object]:
        return [arg for n, arg in self.log if n == name]

    async def post_checklist(self, outbox: Outbox, incident: Incident, attachment: object, runbook: object, runs: Sequence[object]) -> None:
        self._queued(outbox, "post_checklist", runs)

    async def update_checklist(self, outbox: Outbox, incident: Incident, attachment: object, runbook: object, runs: Sequence[object]) -> None:
        self._queued(outbox, "update_checklist", runs)

    async def post_step_output(self, outbox: Outbox, incident: Incident, attachment: object, step: object, outcome: object) -> None:
        self._queued(outbox, "post_step_output", outcome)

    async def post_approval_request(self, outbox: Outbox, incident: Incident, runbook: object, step: object, run: object,
                                    rollback: bool) -> None:
        self._queued(outbox, "post_approval_request", run)

    async def notify_targets(self, outbox: Outbox, incident: Incident, step: object) -> StepOutcome:
        self._queued(outbox, "notify_targets", step)
        return StepOutcome(ok=True, output="sent")

    async def suggest_runbooks(self, outbox: Outbox, incident: Incident, runbooks: Sequence[object]) -> None:
        self._queued(outbox, "suggest_runbooks", runbooks)
