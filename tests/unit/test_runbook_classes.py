"""Runbooks name the incident classes they cover: checked against warroom.yaml's classes, suggested for an
incident of the class, and counted as runbook coverage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.config import load_policy
from runbooks.loader import LIBRARY, load_runbooks
from tests.unit.services import make_world

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(None)
ROLES = {r.id for r in POLICY.roles}
CLASSES = {c.id for c in POLICY.classes}

TYPO = """\
id: imports-typo
title: Imports
summary: Covers a class that does not exist.
applies_to:
  services: [imports]
  classes: [import-pipline]
procedures:
  - id: look
    title: Look
    steps:
      - {id: queue, title: Check the queue, kind: check}
"""


def test_runbooks_check_names_a_misspelt_class_with_its_line_and_the_likely_one(tmp_path: Path) -> None:
    (tmp_path / "typo.yaml").write_text(TYPO)
    out = subprocess.run([sys.executable, "-m", "bot", "runbooks", "check", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1
    assert out.stdout.splitlines()[0] == (
        f"{tmp_path / 'typo.yaml'}:6: applies_to.classes.0: 'import-pipline' is not an incident class of warroom.yaml "
        f"(did you mean 'import-pipeline'?); use one of {sorted(CLASSES)}")


def test_the_shipped_runbooks_cover_the_seed_classes_they_were_written_for() -> None:
    report = load_runbooks([], roles=ROLES, library=LIBRARY, classes=CLASSES)
    assert report.problems == []
    covered = {r.id: r.classes for r in report.runbooks.values() if r.classes}
    assert covered == {
        "depositmatch-import-pipeline": ("import-pipeline",),
        "depositmatch-cross-tenant-authz": ("cross-tenant-authorization",),
        "depositmatch-restricted-telemetry": ("restricted-telemetry",),
        "depositmatch-review-decision-audit": ("audit-failure",),
        "pdf-404-storage-permissions": ("storage-permissions",),
        "workflow-500-queue-failure": ("workflow-500", "queue-failure"),
    }
    assert {c for cs in covered.values() for c in cs} == CLASSES  # every seed class has a runbook


def test_a_runbook_applies_to_an_incident_of_a_class_it_covers() -> None:
    runbook = load_runbooks([], roles=ROLES, library=LIBRARY).runbooks["workflow-500-queue-failure"]
    assert runbook.applies_to(incident_class="queue-failure")
    assert not runbook.applies_to(incident_class="audit-failure")


async def test_an_incident_declared_with_a_class_is_offered_the_runbooks_covering_it() -> None:
    world = make_world(catalog=load_runbooks([], roles=ROLES, library=LIBRARY).runbooks)
    await world.declare("Jobs piling up", incident_class="queue-failure")
    [offered] = world.runbook_chat.calls("suggest_runbooks")
    assert [r.id for r in offered] == ["workflow-500-queue-failure"]  # type: ignore[attr-defined]
