"""Rolling back asks its own question: the dialog and the approval request name the value restored."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.domain.runbook import (
    CheckStep,
    FlagStep,
    FlagValue,
    Guard,
    Procedure,
    Runbook,
    StepRun,
    StepState,
    rollback_question,
)
from bot.standin.blocks import check_blocks
from handlers.ids import Action
from handlers.runbook_blocks import approval_request, checklist

KILL = FlagStep(id="disable-imports", title="Disable imports", flag="FEATURE_IMPORTS", value=False,
                rollback=True, guard=Guard(roles=("commander",), confirm="Disable CSV imports for every firm?", approval=True))
RUNBOOK = Runbook(id="imports", title="Imports", summary="s", procedures=(Procedure(id="p", title="P", steps=(KILL,)),))


def _run(state: StepState) -> StepRun:
    return StepRun(team_id="T1", incident_id=1, runbook_id="imports", step_id=KILL.id, state=state, requested_by="U1")


def _button(runbook: Runbook, state: StepState) -> dict[str, Any]:
    [section] = [b for b in checklist(runbook, [_run(state)]) if b["type"] == "section"]
    return dict(section["accessory"])


def _with_guard(**changes: Any) -> Runbook:
    assert KILL.guard is not None
    step = replace(KILL, guard=replace(KILL.guard, **changes))
    return Runbook(id="imports", title="Imports", summary="s", procedures=(Procedure(id="p", title="P", steps=(step,)),))


def test_the_rollback_dialog_differs_from_the_steps_and_names_the_restored_value() -> None:
    run = _button(RUNBOOK, StepState.PENDING)
    undo = _button(RUNBOOK, StepState.DONE)
    assert run["action_id"] == Action.STEP_RUN and run["confirm"]["text"]["text"] == "Disable CSV imports for every firm?"
    assert undo["action_id"] == Action.STEP_ROLLBACK
    assert undo["confirm"]["text"]["text"] == "Set FEATURE_IMPORTS back to true?"
    assert undo["confirm"]["title"]["text"] == "Roll back Disable imports"
    assert undo["confirm"]["confirm"]["text"] == "Yes, roll back"
    assert check_blocks(checklist(RUNBOOK, [_run(StepState.DONE)])) == []


def test_a_runbooks_own_rollback_confirm_text_replaces_the_derived_one() -> None:
    runbook = _with_guard(rollback_confirm="Re-enable CSV imports (FEATURE_IMPORTS back to true)?")
    assert _button(runbook, StepState.DONE)["confirm"]["text"]["text"] == "Re-enable CSV imports (FEATURE_IMPORTS back to true)?"
    assert _button(runbook, StepState.PENDING)["confirm"]["text"]["text"] == "Disable CSV imports for every firm?"


def test_a_rollback_confirm_alone_still_asks_before_rolling_back_but_not_before_running() -> None:
    runbook = _with_guard(confirm="", rollback_confirm="Re-enable imports?")
    assert _button(runbook, StepState.DONE)["confirm"]["text"]["text"] == "Re-enable imports?"
    assert "confirm" not in _button(runbook, StepState.PENDING)
    assert "confirm" not in _button(_with_guard(confirm=""), StepState.DONE)  # nothing to confirm: no dialog


def test_the_approver_of_a_rollback_reads_and_confirms_the_rollback_question() -> None:
    undo = approval_request(KILL, _run(StepState.AWAITING_APPROVAL), RUNBOOK, rollback=True)
    run = approval_request(KILL, _run(StepState.AWAITING_APPROVAL), RUNBOOK, rollback=False)
    undo_text, run_text = undo[0]["text"]["text"], run[0]["text"]["text"]
    assert "asks to roll back *Disable imports*" in undo_text and undo_text.endswith("\n>Set FEATURE_IMPORTS back to true?")
    assert "asks to run *Disable imports*" in run_text and run_text.endswith("\n>Disable CSV imports for every firm?")
    undo_approve, run_approve = undo[1]["elements"][0], run[1]["elements"][0]
    assert undo_approve["action_id"] == run_approve["action_id"] == Action.STEP_APPROVE
    assert undo_approve["confirm"]["text"]["text"] == "Set FEATURE_IMPORTS back to true?"
    assert run_approve["confirm"]["text"]["text"] == "Disable CSV imports for every firm?"
    assert check_blocks(undo) == []


def test_the_derived_rollback_question_names_each_kind_of_restored_value() -> None:
    def flag(rollback: FlagValue) -> FlagStep:
        return FlagStep(id="f", title="Replay all", flag="SF_EVENTS_REPLAY", value="ALL", rollback=rollback)

    assert rollback_question(flag("LATEST")) == "Set SF_EVENTS_REPLAY back to LATEST?"
    assert rollback_question(flag(0)) == "Set SF_EVENTS_REPLAY back to 0?"
    assert rollback_question(flag(None)) == "Set SF_EVENTS_REPLAY back to (unset)?"
    assert rollback_question(CheckStep(id="c", title="Restart API")) == "Undo “Restart API”?"
