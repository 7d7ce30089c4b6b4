"""IncidentChat over Slack's Web API: renders domain values with the Block Kit builders."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import ChatUnavailable
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.ports import ChannelRef
from handlers import blocks

log = structlog.get_logger(__name__)

# Bot scopes the Web API calls below need (read by the manifest).
SCOPES = (
    "channels:manage",  # conversations.create / invite / setTopic on public channels
    "channels:read",
    "chat:write",
    "chat:write.public",  # announce without joining the announcements channel first
    "users:read",
)
_IGNORED_INVITE_ERRORS = {"already_in_channel", "cant_invite_self"}


def _unavailable(method: str, exc: SlackApiError) -> ChatUnavailable:
    error = exc.response.get("error", "unknown_error") if exc.response is not None else "unknown_error"
    return ChatUnavailable(f"Slack refused {method}: {error}")


class SlackIncidentChat:
    """The Slack implementation of the IncidentChat port."""

    def __init__(self, client: AsyncWebClient, policy: Policy) -> None:
        self._client = client
        self._policy = policy

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

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        try:
            await self._client.conversations_invite(channel=channel_id, users=list(user_ids))
        except SlackApiError as exc:
            if exc.response.get("error") not in _IGNORED_INVITE_ERRORS:
                raise _unavailable("conversations.invite", exc) from exc

    async def set_topic(self, incident: Incident) -> None:
        try:
            await self._client.conversations_setTopic(
                channel=incident.channel_id, topic=blocks.topic(incident, self._policy)
            )
        except SlackApiError as exc:
            raise _unavailable("conversations.setTopic", exc) from exc

    async def post_card(self, incident: Incident) -> str:
        try:
            response = await self._client.chat_postMessage(
                channel=incident.channel_id, text=blocks.card_text(incident),
                blocks=blocks.incident_card(incident, self._policy),
            )
        except SlackApiError as exc:
            raise _unavailable("chat.postMessage", exc) from exc
        return str(response["ts"])

    async def update_card(self, incident: Incident) -> None:
        if not incident.card_ts:
            return
        try:
            await self._client.chat_update(
                channel=incident.channel_id, ts=incident.card_ts, text=blocks.card_text(incident),
                blocks=blocks.incident_card(incident, self._policy),
            )
        except SlackApiError as exc:
            raise _unavailable("chat.update", exc) from exc

    async def announce(self, incident: Incident) -> None:
        channel = self._policy.announcements_channel
        if not channel:
            return
        try:
            await self._client.chat_postMessage(
                channel=channel, text=f"{incident.ref} declared: {incident.title}",
                blocks=blocks.announcement(incident, self._policy), unfurl_links=False,
            )
        except SlackApiError as exc:
            raise _unavailable("chat.postMessage", exc) from exc

    async def post_change(self, incident: Incident, text: str) -> None:
        try:
            await self._client.chat_postMessage(channel=incident.channel_id, text=text)
        except SlackApiError as exc:
            raise _unavailable("chat.postMessage", exc) from exc
