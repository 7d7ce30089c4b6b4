"""IncidentChat over Slack's Web API: renders domain values with the Block Kit builders.

Messages and channel changes go into the outbox of the unit of work of the change that causes them
(each method is handed it); only what needs Slack's answer at once (creating a channel, reading a
message) calls Slack here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.chat import ChannelRef, ChatMessage, HandoverSummary
from bot.domain.errors import ChatUnavailable
from bot.domain.grouping import Notice
from bot.domain.incident import FollowUp, Incident
from bot.domain.news import Announcement
from bot.domain.outbox import (
    UPLOAD_METHOD,
    ChannelNames,
    OutboundCall,
    Outbox,
    card_anchor,
    topic_key,
)
from bot.domain.policy import Policy
from bot.domain.status_publishing import Draft
from handlers import blocks, people_blocks, review_blocks, status_blocks
from handlers.format import escape, split_targets
from handlers.ids import Action
from handlers.slack_channels import distinct_channels

log = structlog.get_logger(__name__)

# Bot scopes the Web API calls below need (read by the manifest).
SCOPES = (
    "channels:manage",  # conversations.create / invite / setTopic / archive on public channels
    "channels:read",  # conversations.list: channel names in warroom.yaml resolved to ids
    "groups:read",  # the same for private channels the bot is in
    "channels:history",  # read a reacted-to message back (conversations.history)
    "chat:write",
    "chat:write.public",  # announce without joining the announcements channel first
    "files:write",  # the review as a Markdown file (files.getUploadURLExternal / completeUploadExternal)
    "users:read",
    "usergroups:read",  # admin groups may reassign the commander
)


def _unavailable(method: str, exc: SlackApiError) -> ChatUnavailable:
    error = exc.response.get("error", "unknown_error") if exc.response is not None else "unknown_error"
    return ChatUnavailable(f"Slack refused {method}: {error}")


class SlackIncidentChat:
    """The Slack implementation of the IncidentChat port."""

    def __init__(self, client: AsyncWebClient, policy: Policy, channels: ChannelNames | None = None) -> None:
        self._client = client  # reads and channel creation, which need Slack's answer at once
        self._policy = policy
        self._channels = channels  # names to ids, so a channel named twice hears a message once

    async def create_channel(self, candidate_names: Sequence[str]) -> ChannelRef:
        for name in candidate_names:
            try:
                response = await self._client.conversations_create(name=name)
            except SlackApiError as exc:
                if exc.response.get("error") == "name_taken":
                    log.info("channel_name_taken", name=name)
                    continue
                raise _unavailable("conversations.create", exc) from exc
            channel = response["channel"]
            return ChannelRef(id=channel["id"], name=channel["name"])
        raise ChatUnavailable(
            f"Every candidate channel name is taken ({candidate_names[0]} and {len(candidate_names) - 1} more); "
            "archive old incident channels or change channel_name_pattern."
        )

    async def archive_channel(self, channel: ChannelRef) -> None:
        # Called at once, not through the outbox: the database the outbox lives in just failed.
        try:
            await self._client.conversations_archive(channel=channel.id)
        except SlackApiError as exc:
            log.warning("orphan_channel_not_archived", channel=channel.id, error=exc.response.get("error"))
            return
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("orphan_channel_not_archived", channel=channel.id, error=repr(exc))
            return
        log.info("orphan_channel_archived", channel=channel.id, name=channel.name)

    def _put(self, outbox: Outbox, incident: Incident | None, method: str, *, notice: Notice | None = None,
             **params: object) -> None:
        """Queue the call in the change's outbox (committed with it, sent by the outbox sender)."""
        team = incident.team_id if incident is not None else ""
        if self._channels is not None and "channel" in params:  # by id when known: one lane per channel
            params["channel"] = self._channels.known(team, str(params["channel"]))
        outbox.put(OutboundCall(team_id=team, method=method, params=params, notice=notice))

    async def invite(self, outbox: Outbox, incident: Incident, user_ids: Sequence[str]) -> None:
        self._put(outbox, incident, "conversations.invite", channel=incident.channel_id, users=list(user_ids))

    async def set_topic(self, outbox: Outbox, incident: Incident) -> None:
        # Only the latest topic goes out when several changes queue up.
        outbox.put(OutboundCall(
            team_id=incident.team_id, method="conversations.setTopic", coalesce_key=topic_key(incident.team_id, incident.id),
            params={"channel": incident.channel_id, "topic": blocks.topic(incident, self._policy)}))

    async def post_card(self, outbox: Outbox, incident: Incident) -> None:
        outbox.put(OutboundCall(
            team_id=incident.team_id, method="chat.postMessage", anchor=card_anchor(incident.team_id, incident.id),
            params={"channel": incident.channel_id, "text": blocks.card_text(incident),
                    "blocks": blocks.incident_card(incident, self._policy)}))

    async def update_card(self, outbox: Outbox, incident: Incident) -> None:
        anchor = card_anchor(incident.team_id, incident.id)
        params = {"channel": incident.channel_id, "text": blocks.card_text(incident),
                  "blocks": blocks.incident_card(incident, self._policy)}
        if incident.card_ts:
            params["ts"] = incident.card_ts
        # Only the latest state of the card goes out when several updates queue up.
        outbox.put(OutboundCall(team_id=incident.team_id, method="chat.update", params=params,
                                coalesce_key=anchor, ts_from=None if incident.card_ts else anchor))

    async def announce(self, outbox: Outbox, incident: Incident) -> None:
        channel = self._policy.announcements_channel
        if not channel:
            return
        self._put(outbox, incident, "chat.postMessage", channel=channel,
                  text=f"{incident.ref} declared: {escape(incident.title)}",
                  blocks=blocks.announcement(incident, self._policy), unfurl_links=False)

    async def announce_change(self, outbox: Outbox, incident: Incident, announcement: Announcement) -> None:
        channel = self._policy.announcements_channel
        if not channel:
            return
        text, body = blocks.change_announcement(incident, self._policy, announcement)
        self._put(outbox, incident, "chat.postMessage", channel=channel, text=text, blocks=body, unfurl_links=False)

    async def post_change(self, outbox: Outbox, incident: Incident, text: str) -> None:
        self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id, text=text)

    async def notify_role_holder(self, outbox: Outbox, incident: Incident, role_id: str, user_id: str) -> None:
        role = self._policy.role(role_id)
        self._put(outbox, incident, "chat.postMessage", channel=user_id,
                  text=f"You are now the {role.label.lower()} of {incident.ref}",
                  blocks=people_blocks.role_dm(incident, self._policy, role_id))

    async def post_handover(self, outbox: Outbox, summary: HandoverSummary) -> None:
        self._put(outbox, summary.incident, "chat.postMessage", channel=summary.incident.channel_id,
                  text=f"Handover: <@{summary.to_user}> is now incident commander",
                  blocks=people_blocks.handover(summary, self._policy))

    async def fetch_message(self, channel_id: str, ts: str) -> ChatMessage | None:
        try:
            found = await self._client.conversations_history(channel=channel_id, latest=ts, inclusive=True, limit=1)
            listed: list[dict[str, Any]] = found.get("messages", [])
            messages = [m for m in listed if m.get("ts") == ts]
            if not messages:  # a reply in a thread is not in the channel history
                found = await self._client.conversations_replies(channel=channel_id, ts=ts, oldest=ts, latest=ts,
                                                                  inclusive=True, limit=1)
                listed = found.get("messages", [])
                messages = [m for m in listed if m.get("ts") == ts]
        except SlackApiError as exc:
            if exc.response.get("error") in ("thread_not_found", "message_not_found"):
                return None
            raise _unavailable("conversations.history", exc) from exc
        if not messages:
            return None
        m = messages[0]
        return ChatMessage(channel_id=channel_id, ts=ts, user_id=m.get("user") or m.get("bot_id", ""),
                           text=m.get("text", ""))

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        try:
            response = await self._client.chat_getPermalink(channel=channel_id, message_ts=ts)
        except SlackApiError as exc:
            log.warning("permalink_failed", error=exc.response.get("error"))
            return None
        return response.get("permalink")

    async def post_review(self, outbox: Outbox, incident: Incident, review: Mapping[str, Any], markdown: str) -> None:
        messages = review_blocks.review_messages(review)
        for n, chunk in enumerate(messages, 1):
            part = f" ({n}/{len(messages)})" if len(messages) > 1 else ""
            self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id, blocks=chunk,
                      text=f"{incident.ref} post-incident review{part}", unfurl_links=False)
        # The whole review, as the Markdown people keep, in the same lane: it follows the messages.
        self._put(outbox, incident, UPLOAD_METHOD, channel=incident.channel_id, filename=f"{incident.ref}-review.md",
                  title=f"{incident.ref} post-incident review", content=markdown)

    async def post_followup(self, outbox: Outbox, incident: Incident, followup: FollowUp) -> None:
        self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id, text=f"Follow-up: {escape(followup.text)}",
                  blocks=people_blocks.followup(followup))


    async def post_handoff(self, outbox: Outbox, channel: str, text: str, incoming: str, outgoing: str) -> None:
        if channel:
            self._put(outbox, None, "chat.postMessage", channel=channel, text=text[:3900])
        for user in dict.fromkeys((incoming, outgoing)):
            self._put(outbox, None, "chat.postMessage", channel=user, text=text[:3900])

    async def post_update(self, outbox: Outbox, incident: Incident, audience: str, text: str, author: str) -> None:
        body = f":mega: *Status update* ({audience.replace('_', ' ')}) by <@{author}>\n{escape(text)}"
        self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id, text=body[:3900])
        if self._policy.announcements_channel:
            self._put(outbox, incident, "chat.postMessage", channel=self._policy.announcements_channel,
                      text=f"{incident.ref}: {body} <#{incident.channel_id}>"[:3900])

    async def post_preview(self, outbox: Outbox, incident: Incident, draft: Draft, confirmers: Sequence[str],
                           first: bool) -> None:
        self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id,
                  text=status_blocks.preview_text(incident, draft),
                  blocks=status_blocks.preview(incident, draft, confirmers, first))

    async def offer_resolved_notice(self, outbox: Outbox, incident: Incident) -> None:
        self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id,
                  text=f"{incident.ref} is resolved: publish the resolved notice?",
                  blocks=status_blocks.resolved_offer(incident))

    async def post_timer(self, outbox: Outbox, incident: Incident, text: str, targets: Sequence[str], *,
                         offer_update: bool = False, notice: Notice | None = None) -> None:
        found = split_targets(targets, incident.roles)
        full = " ".join([*found.mentions, text])
        extra: dict[str, Any] = {}
        if offer_update:  # one click from the reminder to the prefilled update form
            extra["blocks"] = [
                {"type": "section", "text": {"type": "mrkdwn", "text": full[:3000]}},
                {"type": "actions", "elements": [
                    {"type": "button", "action_id": Action.POST_UPDATE, "style": "primary",
                     "text": {"type": "plain_text", "text": "Post update"}},
                    {"type": "button", "action_id": Action.SNOOZE_UPDATE, "value": "15",
                     "text": {"type": "plain_text", "text": "Snooze 15 min"}},
                    {"type": "button", "action_id": Action.SNOOZE_UPDATE + "_30", "value": "30",
                     "text": {"type": "plain_text", "text": "Snooze 30 min"}},
                ]},
            ]
        self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id, text=full, **extra)
        copies = await distinct_channels(self._channels, incident.team_id, found.channels, besides=[incident.channel_id])
        link = f" <#{incident.channel_id}>"
        grouped = notice.with_prefix(" ".join(found.mentions), link) if notice else None
        for channel in copies:  # the on-call or management channel hears it too, with a link back
            self._put(outbox, incident, "chat.postMessage", notice=grouped, channel=channel, text=f"{full}{link}")


class SlackDirectory:
    """User group membership from Slack."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def in_group(self, user_id: str, group_id: str) -> bool:
        try:
            response = await self._client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            log.warning("usergroup_lookup_failed", group=group_id, error=exc.response.get("error"))
            return False
        return user_id in response.get("users", [])
