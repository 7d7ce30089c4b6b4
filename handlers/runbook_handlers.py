"""Runbooks in Slack: `/incident runbook`, the checklist's buttons, approvals, suggestions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.domain.errors import InvalidCommand
from bot.services.container import Services
from handlers import runbook_blocks
from handlers.answer import Answer, answer_in_ack
from handlers.ids import Action
from handlers.subcommand import Call, Command, Subcommand
from handlers.surface import Surface


@dataclass(frozen=True)
class RunbookCommand(Command):
    """`/incident runbook [name]`: attach one, or list the ones that match."""

    name: str = ""


def _step(action: dict[str, Any]) -> tuple[str, str, int | None]:
    try:
        return runbook_blocks.read_step_value(str(action.get("value", "")))
    except (ValueError, RecursionError):
        raise InvalidCommand("That button is not a runbook step; run `/incident runbook` again.") from None


async def _runbook_command(parsed: RunbookCommand, call: Call) -> None:
    """Attach the named runbook, or list the runbooks (matching ones first) with Attach buttons."""
    services, team_id, channel_id = call.services, call.team_id, call.channel_id
    if parsed.name:
        await call.ack()
        await services.runbooks.attach(team_id, channel_id, call.user_id, parsed.name)
        return

    async def listing() -> Answer:
        incident = await services.incidents.for_channel(team_id, channel_id)
        matching = services.runbooks.suggestions(incident)
        others = sorted((r for r in services.runbooks.catalog.values() if r not in matching), key=lambda r: r.title)
        return "Runbooks", runbook_blocks.suggestions([*matching, *others])

    await answer_in_ack(call.ack, call.respond, listing())


RUNBOOK = Subcommand("runbook", "/incident runbook [name]", lambda typed: RunbookCommand(name=" ".join(typed.args)),
                     (RunbookCommand,), _runbook_command, aliases=("runbooks",))


def register(surface: Surface, services: Services) -> None:
    """Register the runbook buttons."""
    runbooks = services.runbooks

    @surface.action(Action.STEP_RUN)
    async def run_step(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runbook_id, step_id, attempt = _step(action)
        await runbooks.request(body["team"]["id"], body["channel"]["id"], body["user"]["id"], runbook_id, step_id,
                               attempt=attempt)

    @surface.action(Action.STEP_ROLLBACK)
    async def roll_back(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runbook_id, step_id, attempt = _step(action)
        await runbooks.request(body["team"]["id"], body["channel"]["id"], body["user"]["id"], runbook_id, step_id,
                               rollback=True, attempt=attempt)

    @surface.action(Action.STEP_APPROVE)
    async def approve(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        runbook_id, step_id, attempt = _step(action)
        run = await runbooks.approve(body["team"]["id"], body["channel"]["id"], body["user"]["id"], runbook_id, step_id,
                                     attempt)
        await respond(replace_original=True, text=f"Approved by <@{run.approver}>: {run.state.value.replace('_', ' ')}.")

    @surface.action(Action.STEP_CANCEL)
    async def cancel(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        runbook_id, step_id, attempt = _step(action)
        await runbooks.cancel(body["team"]["id"], body["channel"]["id"], body["user"]["id"], runbook_id, step_id,
                              attempt if attempt is not None else -1)
        await respond(replace_original=True, text=f"Approval request cancelled by <@{body['user']['id']}>.")

    @surface.action(Action.STEP_SKIP)
    async def skip(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runbook_id, step_id, _ = _step(action.get("selected_option") or {})
        await runbooks.skip(body["team"]["id"], body["channel"]["id"], body["user"]["id"], runbook_id, step_id)

    @surface.action(Action.RUNBOOK_ATTACH)
    async def attach(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await runbooks.attach(body["team"]["id"], body["channel"]["id"], body["user"]["id"], str(action.get("value", "")))
