"""The README documents every setting, and its test command is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import ENV_VARS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", README, flags=re.MULTILINE))
    assert set(rows) == set(ENV_VARS)


def test_the_readme_has_exactly_two_setup_commands_the_sandbox_first_and_ci_runs_the_test_one() -> None:
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", setup)
    assert len(commands) == 2
    run, test = commands
    # Installed as a user installs it (not editable): what the wheel lacks, the first command would too.
    assert run.startswith("python3 -m venv .venv") and "pip install ." in run and " -e " not in run
    assert run.endswith("warroom sandbox") and "SLACK_" not in run  # no credentials needed
    assert test == "bash .ci/run"
    assert "](docs/sandbox.png)" in setup and (ROOT / "docs" / "sandbox.png").is_file()


def test_connecting_a_real_workspace_comes_after_the_sandbox_and_runs_warroom_serve() -> None:
    assert README.index("## Set up") < README.index("## Connect a real workspace")
    connect = README.split("## Connect a real workspace", 1)[1].split("\n## ", 1)[0]
    assert "warroom manifest" in connect and "warroom serve" in connect
