"""RunbookChat over Slack's Web API."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import ChatUnavailable
from bot.domain.incident import Incident
from bot.domain.runbook import Attachment, Runbook, Step, StepOutcome, StepRun
from handlers import runbook_blocks


class SlackRunbookChat:
    """The Slack implementation of the RunbookChat port."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def _call(self, method: str, **kwargs: object) -> dict:  # type: ignore[type-arg]
        try:
            response = await getattr(self._client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            raise ChatUnavailable(f"Slack refused {method}: {exc.response.get('error', 'unknown_error')}") from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def post_checklist(self, incident: Incident, runbook: Runbook, runs: list[StepRun]) -> str:
        response = await self._call("chat.postMessage", channel=incident.channel_id, text=f"Runbook: {runbook.title}",
                                    blocks=runbook_blocks.checklist(runbook, runs))
        return str(response["ts"])

    async def update_checklist(self, incident: Incident, attachment: Attachment, runbook: Runbook,
                               runs: list[StepRun]) -> None:
        if attachment.message_ts:
            await self._call("chat.update", channel=attachment.channel_id, ts=attachment.message_ts,
                             text=f"Runbook: {runbook.title}", blocks=runbook_blocks.checklist(runbook, runs))

    async def post_step_output(self, incident: Incident, attachment: Attachment, step: Step, outcome: StepOutcome) -> None:
        await self._call("chat.postMessage", channel=incident.channel_id, thread_ts=attachment.message_ts,
                         text=runbook_blocks.step_output(step, outcome))

    async def post_approval_request(self, incident: Incident, runbook: Runbook, step: Step, run: StepRun,
                                    rollback: bool) -> None:
        await self._call("chat.postMessage", channel=incident.channel_id, text=f"Approval needed: {step.title}",
                         blocks=runbook_blocks.approval_request(step, run, runbook, rollback))

    async def notify_targets(self, incident: Incident, step: Step) -> StepOutcome:
        mentions, missing, channels = [], [], []
        for target in step.targets:
            if target.startswith("role:"):
                holder = incident.roles.get(target[5:])
                (mentions.append(f"<@{holder}>") if holder else missing.append(target[5:]))
            elif target.startswith("S"):
                mentions.append(f"<!subteam^{target}>")
            elif target.startswith(("U", "W")):
                mentions.append(f"<@{target}>")
            else:
                channels.append(target)
        text = f":rotating_light: {' '.join(mentions)} {step.message} ({incident.ref} in <#{incident.channel_id}>)".replace("  ", " ")
        await self._call("chat.postMessage", channel=incident.channel_id, text=text)
        failed = []
        for channel in channels:
            try:
                await self._call("chat.postMessage", channel=channel, text=text)
            except ChatUnavailable as exc:
                failed.append(f"{channel}: {exc}")
        note = f"; nobody holds {', '.join(missing)}" if missing else ""
        if failed:
            return StepOutcome(ok=False, output=f"sent to {' '.join(mentions) or 'the channel'}{note}", error="; ".join(failed))
        return StepOutcome(ok=True, output=f"sent to {' '.join(mentions + channels) or 'the incident channel'}{note}")

    async def suggest_runbooks(self, incident: Incident, runbooks: list[Runbook]) -> None:
        await self._call("chat.postMessage", channel=incident.channel_id, text="Runbooks that may help",
                         blocks=runbook_blocks.suggestions(runbooks))

