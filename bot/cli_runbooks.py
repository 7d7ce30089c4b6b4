"""`warroom runbooks check [DIR...]` and `warroom runbooks schema`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli_import import add_import_command
from bot.config import Config, load_config
from runbooks.format import RunbookModel
from runbooks.loader import LoadReport, load_runbooks


def schema_json() -> str:
    """The JSON Schema of a runbook file (published as runbooks/schema.json for editors)."""
    schema = RunbookModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def load_configured_runbooks(config: Config, dirs: Sequence[Path] = ()) -> LoadReport:
    """`dirs` alone when given; otherwise what the bot loads: the shipped library and WARROOM_RUNBOOKS."""
    settings, policy = config.settings, config.policy
    return load_runbooks(dirs or settings.runbook_dirs, roles={r.id for r in policy.roles},
                         providers=set(config.flags.providers), severities=set(policy.severities.ids()),
                         library=None if dirs else settings.runbook_library, classes={c.id for c in policy.classes})


def cmd_check(args: argparse.Namespace) -> int:
    """Validate runbooks; print every problem with file, line and field."""
    report = load_configured_runbooks(load_config(os.environ), [Path(d) for d in args.dirs])
    for runbook_id, shipped in sorted(report.replaced.items()):
        print(f"{report.runbooks[runbook_id].source}: replaces the shipped runbook {runbook_id!r} ({shipped})")
    for problem in report.problems:
        print(problem)
    files = len(report.runbooks) + len(report.broken_files)
    if report.problems:
        print(f"{len(report.problems)} problem(s) in {len(report.broken_files)} of {files} runbook file(s)")
        return 1
    print(f"{len(report.runbooks)} runbook(s) OK")
    return 0


def cmd_schema(_args: argparse.Namespace) -> int:
    """Print the runbook JSON Schema."""
    sys.stdout.write(schema_json())
    return 0


def add_runbook_commands(sub: argparse._SubParsersAction) -> None:
    """Add `runbooks check`, `runbooks schema` and `runbooks import` to the CLI."""
    runbooks = sub.add_parser("runbooks", help="check runbook files, print their JSON Schema or import Markdown runbooks")
    actions = runbooks.add_subparsers(dest="runbooks_command", required=True)
    check = actions.add_parser("check", help=cmd_check.__doc__)
    check.add_argument("dirs", nargs="*", help="directories or files (default: the shipped library and WARROOM_RUNBOOKS)")
    check.set_defaults(func=cmd_check)
    actions.add_parser("schema", help=cmd_schema.__doc__).set_defaults(func=cmd_schema)
    add_import_command(actions)
