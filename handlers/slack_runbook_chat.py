"""RunbookChat over Slack's Web API, through the outbox."""

from __future__ import annotations

from bot.domain.incident import Incident
from bot.domain.outbox import ChannelNames, OutboundCall, Outbox, checklist_anchor
from bot.domain.runbook import Attachment, NotifyStep, Runbook, Step, StepOutcome, StepRun
from handlers import runbook_blocks
from handlers.format import escape, split_targets
from handlers.slack_channels import distinct_channels


class SlackRunbookChat:
    """The Slack implementation of the RunbookChat port: every message goes into the change's outbox."""

    def __init__(self, channels: ChannelNames | None = None) -> None:
        self._channels = channels  # names to ids, so a channel named twice hears a message once

    def _put(self, outbox: Outbox, incident: Incident, method: str, *, anchor: str | None = None, coalesce_key: str | None = None,
             ts_from: str | None = None, ts_param: str = "ts", **params: object) -> None:
        if self._channels is not None and "channel" in params:  # by id when known: one lane per channel
            params["channel"] = self._channels.known(incident.team_id, str(params["channel"]))
        outbox.put(OutboundCall(team_id=incident.team_id, method=method, params=params, anchor=anchor,
                                coalesce_key=coalesce_key, ts_from=ts_from, ts_param=ts_param))

    async def post_checklist(self, outbox: Outbox, incident: Incident, attachment: Attachment, runbook: Runbook,
                             runs: list[StepRun]) -> None:
        self._put(outbox, incident, "chat.postMessage", anchor=checklist_anchor(incident.team_id, attachment.id),
                  channel=attachment.channel_id or incident.channel_id, text=f"Runbook: {escape(runbook.title)}",
                  blocks=runbook_blocks.checklist(runbook, runs))

    def _message_ref(self, incident: Incident, attachment: Attachment, param: str) -> dict[str, str]:
        """The checklist's ts, or the anchor to take it from once its post has gone out."""
        if attachment.message_ts:
            return {param: attachment.message_ts}
        return {"ts_from": checklist_anchor(incident.team_id, attachment.id), "ts_param": param}

    async def update_checklist(self, outbox: Outbox, incident: Incident, attachment: Attachment, runbook: Runbook,
                               runs: list[StepRun]) -> None:
        self._put(outbox, incident, "chat.update", coalesce_key=checklist_anchor(incident.team_id, attachment.id),
                  channel=attachment.channel_id or incident.channel_id, text=f"Runbook: {escape(runbook.title)}",
                  blocks=runbook_blocks.checklist(runbook, runs), **self._message_ref(incident, attachment, "ts"))

    async def post_step_output(self, outbox: Outbox, incident: Incident, attachment: Attachment, step: Step, outcome: StepOutcome) -> None:
        self._put(outbox, incident, "chat.postMessage", channel=attachment.channel_id or incident.channel_id,
                  text=runbook_blocks.step_output(step, outcome),
                  **self._message_ref(incident, attachment, "thread_ts"))

    async def post_approval_request(self, outbox: Outbox, incident: Incident, runbook: Runbook, step: Step, run: StepRun,
                                    rollback: bool) -> None:
        self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id, text=f"Approval needed{' to roll back' if rollback else ''}: {escape(step.title)}",
                  blocks=runbook_blocks.approval_request(step, run, runbook, rollback))

    async def notify_targets(self, outbox: Outbox, incident: Incident, step: NotifyStep) -> StepOutcome:
        found = split_targets(step.targets, incident.roles)
        mentions, missing, channels = found.mentions, found.unheld_roles, found.channels
        text = f":rotating_light: {' '.join(mentions)} {escape(step.message)} ({incident.ref} in <#{incident.channel_id}>)".replace("  ", " ")
        copies = await distinct_channels(self._channels, incident.team_id, channels, besides=[incident.channel_id])
        for channel in [incident.channel_id, *copies]:
            self._put(outbox, incident, "chat.postMessage", channel=channel, text=text)
        note = f"; nobody holds {', '.join(missing)}" if missing else ""
        return StepOutcome(ok=True, output=f"sent to {' '.join(mentions + channels) or 'the incident channel'}{note}")

    async def suggest_runbooks(self, outbox: Outbox, incident: Incident, runbooks: list[Runbook]) -> None:
        self._put(outbox, incident, "chat.postMessage", channel=incident.channel_id, text="Runbooks that may help",
                  blocks=runbook_blocks.suggestions(runbooks))
