"""Block Kit for runbooks: the checklist, approval requests, suggestions, step output (pure)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.runbook import (
    Runbook,
    Step,
    StepKind,
    StepOutcome,
    StepRun,
    StepState,
    rollback_question,
)
from handlers.format import clip, clip_escaped, escape, slack_date
from handlers.ids import Action

MAX_STEPS = 45  # one section per step, within the 50-block message limit
STATE_EMOJI = {
    StepState.PENDING: ":white_circle:", StepState.AWAITING_APPROVAL: ":hourglass_flowing_sand:",
    StepState.RUNNING: ":arrows_counterclockwise:", StepState.DONE: ":white_check_mark:",
    StepState.FAILED: ":x:", StepState.SKIPPED: ":fast_forward:", StepState.ROLLED_BACK: ":leftwards_arrow_with_hook:",
}
# Each kind's button on a pending step; a done step of a kind that rolls back gets "Roll back" instead.
KIND_LABEL = {StepKind.CHECK: "Tick", StepKind.COMMAND: "Run", StepKind.HTTP_CHECK: "Check",
              StepKind.FLAG: "Run", StepKind.NOTIFY: "Send"}


def step_value(runbook_id: str, step_id: str, attempt: int | None = None) -> str:
    """The button value naming the step and the attempt it was shown at (checked when clicked, so a
    redelivered or stale click cannot act on a later attempt)."""
    data: dict[str, object] = {"r": runbook_id, "s": step_id}
    if attempt is not None:
        data["a"] = attempt
    return json.dumps(data, separators=(",", ":"))


def read_step_value(value: str) -> tuple[str, str, int | None]:
    """(runbook id, step id, attempt) from a button value; ValueError when it is not one of ours."""
    data = json.loads(value)
    if not isinstance(data, dict) or not isinstance(data.get("r"), str) or not isinstance(data.get("s"), str):
        raise ValueError("not a step button")
    attempt = data.get("a")
    if attempt is not None and not isinstance(attempt, int):
        raise ValueError("not a step button")
    return data["r"], data["s"], attempt


def confirm_text(step: Step, rollback: bool) -> str:
    """What the dialog asks: the step's confirm text, or for a rollback its own question; empty: no dialog."""
    if step.guard is None or not step.guard.confirms:
        return ""
    return rollback_question(step) if rollback else step.guard.confirm


def _confirm(step: Step, verb: str, rollback: bool = False) -> dict[str, Any] | None:
    text = confirm_text(step, rollback)
    if not text:
        return None
    return {"title": {"type": "plain_text", "text": clip(f"{verb} {step.title}", 100)},
            "text": {"type": "plain_text", "text": clip(text, 300)},
            "confirm": {"type": "plain_text", "text": clip(f"Yes, {verb.lower()}", 30)},
            "deny": {"type": "plain_text", "text": "Cancel"}, "style": "danger"}


def _button(action: str, text: str, value: str, confirm: dict[str, Any] | None, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action, "value": value,
                              "text": {"type": "plain_text", "text": clip(text, 75)}}
    if confirm:
        button["confirm"] = confirm
    if style:
        button["style"] = style
    return button


def _status(run: StepRun) -> str:
    who = run.actor or run.requested_by
    parts = [run.state.value.replace("_", " ")]
    if who:
        parts.append(f"<@{who}>")
    if run.approver:
        parts.append(f"approved by <@{run.approver}>")
    when = run.finished_at or run.started_at
    if when:
        parts.append(slack_date(when, "{time}"))
    if run.error:
        parts.append(f"error: {clip_escaped(run.error, 200)}")
    return " · ".join(parts)


def _accessory(runbook: Runbook, step: Step, run: StepRun) -> dict[str, Any] | None:
    value = step_value(runbook.id, step.id, run.attempt)
    if run.state in (StepState.PENDING, StepState.FAILED, StepState.SKIPPED, StepState.ROLLED_BACK):
        label = {StepState.FAILED: "Retry", StepState.ROLLED_BACK: "Run again"}.get(run.state, KIND_LABEL[step.kind])
        return _button(Action.STEP_RUN, label, value, _confirm(step, label), "danger" if step.guard else None)
    if run.state is StepState.DONE and step.reversible:
        return _button(Action.STEP_ROLLBACK, "Roll back", value, _confirm(step, "Roll back", rollback=True))
    return None


def checklist(runbook: Runbook, runs: list[StepRun]) -> list[dict[str, Any]]:
    """Every step with its state, who did it and when, and the button that acts on it."""
    by_step = {r.step_id: r for r in runs}
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": clip(runbook.title, 150)}}]
    shown = 0
    for procedure in runbook.procedures:
        for step in procedure.steps:
            if shown >= MAX_STEPS:
                break
            run = by_step.get(step.id)
            if run is None:
                continue
            lock = " :lock:" if step.guard and step.guard.restricted else ""
            section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": clip(
                f"{STATE_EMOJI[run.state]} *{escape(step.title)}*{lock}  _{escape(procedure.title)}_\n{_status(run)}", 3000)}}
            accessory = _accessory(runbook, step, run)
            if accessory:
                section["accessory"] = accessory
            blocks.append(section)
            shown += 1
    if shown < len(runs):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"{len(runs) - shown} more steps not shown."}]})
    skippable = [s for s in runbook.steps() if by_step.get(s.id) and by_step[s.id].state in (StepState.PENDING, StepState.FAILED)]
    if skippable:
        blocks.append({"type": "actions", "elements": [{
            "type": "static_select", "action_id": Action.STEP_SKIP,
            "placeholder": {"type": "plain_text", "text": "Skip a step…"},
            "options": [{"text": {"type": "plain_text", "text": clip(s.title, 75)},
                         "value": step_value(runbook.id, s.id, by_step[s.id].attempt)}
                        for s in skippable[:100]],
        }]})
    return blocks


def approval_request(step: Step, run: StepRun, runbook: Runbook, rollback: bool) -> list[dict[str, Any]]:
    """Asks a second person to approve a guarded step."""
    verb = "roll back" if rollback else "run"
    question = confirm_text(step, rollback)
    asks = f"\n>{escape(question)}" if question else ""  # the approver reads what the requester confirmed (runbook text, like the title)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(
            f":raised_hand: <@{run.requested_by}> asks to {verb} *{escape(step.title)}* ({escape(runbook.title)}). "
            f"A different permitted person must approve.{asks}", 3000)}},
        {"type": "actions", "elements": [
            _button(Action.STEP_APPROVE, "Approve", step_value(runbook.id, step.id, run.attempt),
                    _confirm(step, "Approve", rollback), "primary"),
            _button(Action.STEP_CANCEL, "Cancel request", step_value(runbook.id, step.id, run.attempt), None),
        ]},
    ]


def suggestions(runbooks: list[Runbook]) -> list[dict[str, Any]]:
    """Matching runbooks, each with an Attach button."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Runbooks that may help*"}}]
    for runbook in runbooks[:20]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(f"*{escape(runbook.title)}*\n{escape(runbook.summary)}", 3000)},
                       "accessory": _button(Action.RUNBOOK_ATTACH, "Attach", runbook.id, None)})
    return blocks


def step_output(step: Step, outcome: StepOutcome) -> str:
    """A step's output for the checklist thread (code block, within Slack's text limits)."""
    head = f"*{escape(step.title)}*: " + ("done" if outcome.ok else f"failed: {escape(outcome.error or '')}")
    # A command's output is data too: a code block still parses `<!channel>` and links.
    body = f"\n```{clip_escaped(outcome.output, 38_000)}```" if outcome.output else ""
    return head + body
