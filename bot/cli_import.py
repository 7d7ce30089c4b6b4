"""`warroom runbooks import FILE_OR_DIR... [--out DIR]`: Markdown runbooks -> runbook files to review."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import yaml

from bot.config import load_config
from runbooks.importer import diff, import_markdown, report_text
from runbooks.loader import load_file

MARKDOWN = (".md", ".markdown", ".mdx", ".txt")
REPORT = "import-report.md"


def markdown_files(paths: list[str]) -> list[Path]:
    """The Markdown files named, and those under the directories named."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        found += sorted(p for p in path.rglob("*") if p.suffix.lower() in MARKDOWN) if path.is_dir() else [path]
    return found


def _previous(path: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def cmd_import(args: argparse.Namespace) -> int:
    """Import Markdown runbooks; write one YAML file each and the report; check every file written."""
    config = load_config(os.environ)
    roles, severities = {r.id for r in config.policy.roles}, set(config.policy.severities.ids())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sections, problems = ["# Runbook import report", ""], 0
    for path in markdown_files(args.paths):
        text = path.read_text(encoding="utf-8", errors="replace")
        imported = import_markdown(text, str(path), path.stem)
        target = out / f"{imported.runbook['id'] if imported.runbook else path.stem}.yaml"
        old_text = target.read_text(encoding="utf-8") if target.exists() else None
        if imported.runbook is not None and old_text is not None:  # a re-import keeps the hand edits
            imported = import_markdown(text, str(path), path.stem, previous=_previous(target))
        if imported.runbook is not None and imported.yaml_text is not None:
            target.write_text(imported.yaml_text, encoding="utf-8")
            if old_text is not None and old_text != imported.yaml_text:
                print(diff(old_text, imported.yaml_text, str(target)), end="")
            _, found = load_file(target, roles=roles, providers=set(config.flags.providers), severities=severities,
                                 classes={c.id for c in config.policy.classes})
            for problem in found:
                print(problem)
            problems += len(found)
        sections.append(report_text(imported.report, imported.runbook, str(target)))
        print(f"{path}: " + (f"{target} ({len(imported.report.warnings)} warning(s))" if imported.runbook
                             else "no steps, nothing written"))
    (out / REPORT).write_text("\n".join(sections), encoding="utf-8")
    print(f"report: {out / REPORT}")
    return 1 if problems else 0


def add_import_command(actions: argparse._SubParsersAction) -> None:
    """Add `runbooks import` under `warroom runbooks`."""
    command = actions.add_parser("import", help=cmd_import.__doc__)
    command.add_argument("paths", nargs="+", help="Markdown files or directories of them")
    command.add_argument("--out", default="imported-runbooks", help="where to write (default: ./imported-runbooks)")
    command.set_defaults(func=cmd_import)
