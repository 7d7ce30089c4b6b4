"""Step kinds as types: each kind is its own frozen type, and every adapter has an entry for every kind."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_args

import pytest

from bot.domain.runbook import (
    STEP_TYPES,
    CheckStep,
    CommandStep,
    FlagStep,
    Guard,
    HttpCheckStep,
    NotifyStep,
    StepKind,
)
from handlers.runbook_blocks import KIND_LABEL
from runbooks.executors import EXECUTORS, StepRunner
from runbooks.format import STEP_MODELS
from runbooks.loader import load_runbooks

ROOT = Path(__file__).resolve().parents[2]
COMMON = {"id", "title", "guard", "depends_on", "description"}

EVERY_KIND = """\
id: kinds
title: Every kind
summary: One step of each kind.
procedures:
  - id: p
    title: P
    steps:
      - {id: look, title: Look, kind: check, description: By eye}
      - {id: ps, title: Processes, kind: command, argv: [ps, aux], timeout: 5m, depends_on: [look]}
      - {id: health, title: Health, kind: http_check, url: "${API_URL}/health", expect_body: ok}
      - id: kill
        title: Kill imports
        kind: flag
        flag: FEATURE_IMPORTS
        value: false
        rollback: true
        guard: {roles: [commander], confirm: "Sure?"}
      - {id: tell, title: Tell, kind: notify, targets: ["role:commander", "#ops"], message: Imports off}
"""


def test_every_step_kind_has_a_type_a_file_model_an_executor_and_a_button_label() -> None:
    for kind in StepKind:
        assert STEP_TYPES[kind].kind is kind, kind
        assert get_args(STEP_MODELS[kind].model_fields["kind"].annotation) == (kind.value,), kind
        assert STEP_MODELS[kind].step_type is STEP_TYPES[kind], kind
        assert callable(EXECUTORS[kind]), kind
        assert KIND_LABEL[kind], kind
    assert set(STEP_TYPES) == set(STEP_MODELS) == set(EXECUTORS) == set(KIND_LABEL) == set(StepKind)


def test_a_step_carries_only_its_own_kinds_fields() -> None:
    own = {CheckStep: set(), CommandStep: {"argv", "timeout_seconds", "workdir"},
           HttpCheckStep: {"url", "method", "expect_status", "expect_body", "timeout_seconds"},
           FlagStep: {"provider", "flag", "value", "rollback"}, NotifyStep: {"targets", "message"}}
    assert set(own) == set(STEP_TYPES.values())
    for step_type, names in own.items():
        assert {f.name for f in dataclasses.fields(step_type)} == COMMON | names, step_type
    with pytest.raises(dataclasses.FrozenInstanceError):
        CheckStep(id="a", title="A").title = "B"  # type: ignore[misc]  # the point: it is frozen


def test_each_step_of_a_file_loads_as_its_kinds_type(tmp_path: Path) -> None:
    (tmp_path / "kinds.yaml").write_text(EVERY_KIND)
    report = load_runbooks([tmp_path], roles={"commander"})
    assert report.problems == []
    assert report.runbooks["kinds"].steps() == [
        CheckStep(id="look", title="Look", description="By eye"),
        CommandStep(id="ps", title="Processes", argv=("ps", "aux"), timeout_seconds=300.0, depends_on=("look",)),
        HttpCheckStep(id="health", title="Health", url="${API_URL}/health", expect_body="ok", timeout_seconds=10.0),
        FlagStep(id="kill", title="Kill imports", flag="FEATURE_IMPORTS", value=False, rollback=True,
                 guard=Guard(roles=("commander",), confirm="Sure?")),
        NotifyStep(id="tell", title="Tell", targets=("role:commander", "#ops"), message="Imports off"),
    ]


def test_only_a_flag_step_rolls_back_and_the_rest_run_for_their_own_time_limit() -> None:
    assert [kind for kind, step_type in STEP_TYPES.items() if step_type.reversible] == [StepKind.FLAG]
    assert CheckStep(id="a", title="A").timeout_seconds == 30.0  # what recovery waits for a step left running
    assert HttpCheckStep(id="h", title="H", url="http://x", timeout_seconds=4).timeout_seconds == 4


async def test_checks_and_notifications_do_nothing_outside_slack() -> None:
    runner = StepRunner(providers={}, default_provider=None, environ={})
    for step in (CheckStep(id="a", title="A"), NotifyStep(id="n", title="N", targets=("#ops",), message="m")):
        outcome = await runner.run(step)
        assert outcome.ok and (outcome.output, outcome.error, outcome.before, outcome.after) == ("", "", None, None)


def test_the_runbook_modules_stay_under_300_lines() -> None:
    modules = [ROOT / "bot" / "domain" / "runbook.py", *ROOT.glob("bot/services/*step*.py"),
               *ROOT.glob("bot/services/runbook*.py"), *ROOT.glob("runbooks/*.py"), *ROOT.glob("handlers/*runbook*.py")]
    long = {str(m.relative_to(ROOT)): n for m in modules if (n := len(m.read_text().splitlines())) > 300}
    assert long == {}
