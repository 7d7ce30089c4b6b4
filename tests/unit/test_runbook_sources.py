"""Where runbooks come from: the shipped library, then a team's directories, which may replace a shipped one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.settings import load_settings
from runbooks.loader import LIBRARY, load_runbooks

ROOT = Path(__file__).resolve().parents[2]
ROLES = {"commander", "comms", "scribe"}
CREDENTIALS = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}

TEAM_RUNBOOK = """\
id: {id}
title: {title}
summary: Our own way.
procedures:
  - id: only
    title: Only procedure
    steps:
      - {{id: look, title: Look at the dashboard, kind: check}}
"""


def _team_dir(tmp_path: Path, **runbooks: str) -> Path:
    team = tmp_path / "team"
    team.mkdir(exist_ok=True)
    for file, runbook_id in runbooks.items():
        (team / f"{file}.yaml").write_text(TEAM_RUNBOOK.format(id=runbook_id, title=f"Team {runbook_id}"))
    return team


def test_a_teams_directory_is_added_to_the_shipped_library(tmp_path: Path) -> None:
    team = _team_dir(tmp_path, ours="team-login-outage")
    settings = load_settings({**CREDENTIALS, "WARROOM_RUNBOOKS": str(team)}, env_file=None)
    report = load_runbooks(settings.runbook_dirs, roles=ROLES, library=settings.runbook_library)
    shipped = load_runbooks([], roles=ROLES, library=LIBRARY).runbooks
    assert not report.problems
    assert set(report.runbooks) == {*shipped, "team-login-outage"}


def test_a_team_runbook_with_a_shipped_id_replaces_the_shipped_one(tmp_path: Path) -> None:
    team = _team_dir(tmp_path, rollback="pwa-rollback")
    report = load_runbooks([team], roles=ROLES, library=LIBRARY)
    assert not report.problems
    assert report.runbooks["pwa-rollback"].title == "Team pwa-rollback"
    assert report.replaced == {"pwa-rollback": str(LIBRARY / "pwa-rollback.yaml")}


def test_two_team_files_with_one_id_are_still_a_problem(tmp_path: Path) -> None:
    team = _team_dir(tmp_path, a="team-dup", b="team-dup")
    report = load_runbooks([team], roles=ROLES, library=LIBRARY)
    assert [(p.file, p.field) for p in report.problems] == [(str(team / "b.yaml"), "id")]


def test_the_shipped_library_can_be_turned_off(tmp_path: Path) -> None:
    team = _team_dir(tmp_path, ours="team-login-outage")
    settings = load_settings({**CREDENTIALS, "WARROOM_RUNBOOKS": str(team), "WARROOM_SHIPPED_RUNBOOKS": "false"},
                             env_file=None)
    assert settings.runbook_library is None
    report = load_runbooks(settings.runbook_dirs, roles=ROLES, library=settings.runbook_library)
    assert set(report.runbooks) == {"team-login-outage"}


def test_runbooks_check_without_arguments_checks_what_the_bot_loads_and_names_replacements(tmp_path: Path) -> None:
    team = _team_dir(tmp_path, rollback="pwa-rollback")
    env = {"PATH": "/usr/bin:/bin", "WARROOM_RUNBOOKS": str(team), "WARROOM_CONFIG": str(tmp_path / "none.yaml")}
    out = subprocess.run([sys.executable, "-m", "bot", "runbooks", "check"], check=False, cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    shipped = len(load_runbooks([], roles=ROLES, library=LIBRARY).runbooks)
    assert f"{team / 'rollback.yaml'}: replaces the shipped runbook 'pwa-rollback'" in out.stdout
    assert out.stdout.rstrip().endswith(f"{shipped} runbook(s) OK")
