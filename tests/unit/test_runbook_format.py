"""The runbook format: strict, every problem named with file, line and field; the schema is published."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.cli_runbooks import schema_json
from bot.domain.runbook import StepKind
from runbooks.loader import LIBRARY, load_runbooks

ROOT = Path(__file__).resolve().parents[2]
ROLES = {"commander", "comms", "scribe"}

THREE_MISTAKES = """\
id: bad-one
title: Bad runbook
summary: Three mistakes.
procedures:
  - id: contain
    title: Contain
    steps:
      - id: health
        title: Import health
        kind: comand
        argv: [npm, run, ops:import-health]
      - id: disable
        title: Disable imports
        kind: flag
        flag: FEATURE_IMPORTS
        value: false
        rollback: true
        guard:
          roles: [commandr]
      - id: verify
        title: Verify
        kind: check
        depends_on: [later]
"""


def test_warroom_runbooks_check_names_all_three_mistakes_with_lines(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(THREE_MISTAKES)
    out = subprocess.run([sys.executable, "-m", "bot", "runbooks", "check", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    bad = str(tmp_path / "bad.yaml")
    assert lines[:3] == [
        f"{bad}:10: procedures.0.steps.0.kind: unknown step kind 'comand'; use one of check, command, flag, http_check, notify",
        f"{bad}:19: procedures.0.steps.1.guard.roles.0: 'commandr' is not a role; use one of ['commander', 'comms', 'scribe']",
        f"{bad}:23: procedures.0.steps.2.depends_on.0: 'later' is not an earlier step of this runbook",
    ]
    assert lines[3] == "3 problem(s) in 1 of 1 runbook file(s)"


def test_a_broken_file_does_not_stop_the_valid_ones_loading(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(THREE_MISTAKES)
    (tmp_path / "good.yaml").write_text((LIBRARY / "depositmatch-import-pipeline.yaml").read_text())
    report = load_runbooks([tmp_path], roles=ROLES)
    assert list(report.runbooks) == ["depositmatch-import-pipeline"]
    assert report.broken_files == [str(tmp_path / "bad.yaml")]


def test_yaml_syntax_errors_have_a_line(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("id: x\ntitle: [unclosed\nsummary: s\n")
    [problem] = load_runbooks([tmp_path], roles=ROLES).problems
    assert problem.line == 3 and problem.field == "(yaml)"


def test_unknown_keys_and_duplicate_ids_are_refused(tmp_path: Path) -> None:
    text = THREE_MISTAKES.replace("kind: comand", "kind: command").replace("[commandr]", "[commander]").replace(
        "depends_on: [later]", "depends_on: [health]\n        colour: red")
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text.replace("id: verify", "id: health"))
    problems = [str(p) for p in load_runbooks([tmp_path], roles=ROLES).problems]
    assert any("a.yaml:24: procedures.0.steps.2.colour: Extra inputs are not permitted" in p for p in problems)
    assert any("b.yaml:20: procedures.0.steps.2.id: step id 'health' is used twice" in p for p in problems)


def test_a_loaded_runbook_keeps_guards_and_step_details() -> None:
    runbook = load_runbooks([LIBRARY], roles=ROLES).runbooks["depositmatch-import-pipeline"]
    step = runbook.step("disable-imports")
    assert step.kind is StepKind.FLAG and (step.flag, step.value, step.rollback) == ("FEATURE_IMPORTS", False, True)
    assert step.guard is not None and step.guard.roles == ("commander",) and step.guard.approval
    assert runbook.step("import-health").argv == ("npm", "run", "ops:import-health")
    assert runbook.applies_to(service="imports")


def test_the_published_json_schema_matches_the_format() -> None:
    assert (ROOT / "runbooks" / "schema.json").read_text() == schema_json()


def test_a_rollback_confirm_text_loads_and_only_flag_steps_may_have_one(tmp_path: Path) -> None:
    runbook = load_runbooks([LIBRARY], roles=ROLES).runbooks["depositmatch-import-pipeline"]
    guard = runbook.step("disable-imports").guard
    assert guard is not None and guard.rollback_confirm.startswith("Re-enable CSV imports for every firm")
    text = THREE_MISTAKES.replace("kind: comand", "kind: command").replace("[commandr]", "[commander]").replace(
        "depends_on: [later]", "depends_on: [health]\n        guard:\n          rollback_confirm: Undo?")
    (tmp_path / "a.yaml").write_text(text)
    [problem] = load_runbooks([tmp_path], roles=ROLES).problems
    assert str(problem) == (f"{tmp_path / 'a.yaml'}:25: procedures.0.steps.2.guard.rollback_confirm: "
                            "only flag steps can be rolled back")
