"""Import Markdown runbooks into Warroom runbook files for a person to review (pure: text in, text out).

markdown (outline) -> mapping (procedures, triage) -> steps (commands, flags, probes, checks, guards)
-> emit (YAML with review notes, merge with an earlier import, report). The CLI does the file I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runbooks.importer.emit import diff, merge, report_text, to_yaml
from runbooks.importer.mapping import to_runbook
from runbooks.importer.markdown import parse
from runbooks.importer.steps import Report, slug

__all__ = ["Imported", "diff", "import_markdown", "merge", "report_text", "slug", "to_yaml"]


@dataclass
class Imported:
    """One Markdown file imported: the runbook (None when it has no steps), its YAML and the report."""

    runbook: dict[str, Any] | None
    report: Report
    yaml_text: str | None
    kept: list[str]


def import_markdown(text: str, source: str, runbook_id: str, previous: dict[str, Any] | None = None) -> Imported:
    """Import one Markdown runbook; with `previous` (an earlier import, maybe edited by hand) keep its
    hand edits to fields the source does not define."""
    runbook, report = to_runbook(parse(text), source, slug(runbook_id, 60))
    kept: list[str] = []
    if runbook is not None and previous is not None:
        runbook, kept = merge(runbook, previous)
        report.notes += kept
    return Imported(runbook, report, to_yaml(runbook, report) if runbook is not None else None, kept)
