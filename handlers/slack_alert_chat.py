"""AlertChat over Slack: triage messages, alert lines and the resolve prompt, queued in the outbox; the
bot's own workspace asked of Slack once (auth.test)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.alert_ports import AlertGroup
from bot.domain.errors import ChatUnavailable
from bot.domain.incident import Incident
from bot.domain.outbox import ChannelNames, OutboundCall, Outbox
from handlers import alert_blocks


def triage_anchor(team_id: str, group_id: int) -> str:
    """The anchor of an alert group's triage message (its ts once posted)."""
    return f"triage/{team_id}/{group_id}"


class SlackAlertChat:
    """The Slack implementation of the AlertChat port."""

    def __init__(self, client: AsyncWebClient, channels: ChannelNames | None = None, team_id: str = "") -> None:
        self._client = client
        self._channels = channels
        self._team_id = team_id  # warroom.yaml alerts.team_id; else the token's own, asked once
        self._asking = asyncio.Lock()

    async def workspace(self) -> str:
        async with self._asking:
            if not self._team_id:
                try:
                    found = await self._client.auth_test()
                except SlackApiError as exc:
                    raise ChatUnavailable(f"Slack refused auth.test: {exc.response.get('error')}") from exc
                self._team_id = str(found["team_id"])
            return self._team_id

    def _channel(self, team_id: str, channel: str) -> str:
        return self._channels.known(team_id, channel) if self._channels is not None else channel

    async def post_triage(self, outbox: Outbox, group: AlertGroup) -> None:
        outbox.put(OutboundCall(
            team_id=group.team_id, method="chat.postMessage", anchor=triage_anchor(group.team_id, group.id),
            params={"channel": self._channel(group.team_id, group.channel), "text": alert_blocks.triage_text(group),
                    "blocks": alert_blocks.triage(group), "unfurl_links": False}))

    async def update_triage(self, outbox: Outbox, group: AlertGroup, outcome: str = "",
                            where: tuple[str, str] | None = None) -> None:
        anchor = triage_anchor(group.team_id, group.id)
        channel = where[0] if where else self._channel(group.team_id, group.channel)
        params: dict[str, Any] = {"channel": channel, "text": alert_blocks.triage_text(group),
                                  "blocks": alert_blocks.triage(group, outcome)}
        if where:
            params["ts"] = where[1]
        # Only the latest state goes out when several updates queue up (a storm re-renders it many times).
        outbox.put(OutboundCall(team_id=group.team_id, method="chat.update", params=params, coalesce_key=anchor,
                                ts_from=None if where else anchor))

    async def post_alerts(self, outbox: Outbox, incident: Incident, lines: Sequence[str], *, lead: str = "") -> None:
        text = "\n".join(part for part in (lead, alert_blocks.alert_lines(lines) if lines else "") if part)
        if not text:
            return
        outbox.put(OutboundCall(team_id=incident.team_id, method="chat.postMessage", params={
            "channel": incident.channel_id, "text": text[:3900], "unfurl_links": False}))

    async def prompt_resolve(self, outbox: Outbox, incident: Incident, mention: str) -> None:
        outbox.put(OutboundCall(team_id=incident.team_id, method="chat.postMessage", params={
            "channel": incident.channel_id, "text": "All alerts resolved: resolve the incident?",
            "blocks": alert_blocks.resolve_prompt(incident.id, mention)}))
