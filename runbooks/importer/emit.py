"""The imported runbook as YAML for review (notes as comments), the merge with an earlier import, the report. No I/O."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Any

import yaml

from runbooks.importer.steps import Report


class _Dumper(yaml.SafeDumper):
    """Short lists of scalars (argv, roles) on one line; long text as folded blocks."""


def _list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(v, str | int | float | bool) for v in data) and sum(len(str(v)) for v in data) < 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(str, _str)


def to_yaml(runbook: dict[str, Any], report: Report) -> str:
    """The runbook file: a header naming the source, each step's notes as comments above it."""
    text = yaml.dump(runbook, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    header = [f"# Imported from {report.source} by `warroom runbooks import`: review it before use.",
              "# Commands are exactly as the source wrote them; the notes below each say what a person must do."]
    if report.warnings:
        header.append(f"# {len(report.warnings)} warning(s): see the import report.")
    lines = []
    for line in text.splitlines():
        match = re.match(r"^(\s*)- id: (\S+)$", line)
        if match and len(match.group(1)) >= 2:  # steps (procedures are at the left margin)
            lines += [f"{match.group(1)}# {note}" for note in report.step_notes.get(match.group(2), [])]
        lines.append(line)
    return "\n".join(header + lines) + "\n"


def _keep(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """`new` plus the fields only `old` has (a person added them; the source does not define them)."""
    return {**new, **{k: v for k, v in old.items() if k not in new}}


def merge(new: dict[str, Any], old: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A re-import: the source's fields from `new`; the hand edits of `old` to fields the source does not
    define (timeouts, workdirs, guards, depends_on, applies_to, a check a person turned into another kind)."""
    kept: list[str] = []
    old_procs = {p.get("id"): p for p in old.get("procedures", []) if isinstance(p, dict)}
    procedures = []
    for proc in new["procedures"]:
        before = old_procs.get(proc["id"], {})
        old_steps = {s.get("id"): s for s in before.get("steps", []) if isinstance(s, dict)}
        steps = []
        for step in proc["steps"]:
            prior = old_steps.get(step["id"])
            if prior is None:
                steps.append(step)
            elif step["kind"] == "check" and prior.get("kind") not in (None, "check"):
                steps.append(prior)
                kept.append(f"{step['id']}: kept as {prior.get('kind')} (made by hand from the imported check)")
            else:
                if "guard" in prior:
                    step = {**step, "guard": prior["guard"]}
                merged = _keep(step, prior)
                if merged != step or prior.get("guard") not in (None, step.get("guard")):
                    kept.append(f"{step['id']}: kept hand-edited {', '.join(sorted(k for k in prior if k not in step or k == 'guard'))}")
                steps.append(merged)
        procedures.append({**_keep({k: v for k, v in proc.items() if k != "steps"}, before),
                           "steps": steps} if before else proc)
    merged_runbook = _keep({k: v for k, v in new.items() if k != "procedures"}, old)
    merged_runbook["procedures"] = procedures
    order = [*new.keys(), *(k for k in old if k not in new)]
    return {k: merged_runbook[k] for k in order if k in merged_runbook}, kept


def diff(old_text: str, new_text: str, name: str) -> str:
    """A unified diff of an earlier import and this one."""
    return "".join(difflib.unified_diff(old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                        fromfile=f"{name} (earlier)", tofile=f"{name} (now)"))


def report_text(report: Report, runbook: dict[str, Any] | None, output: str) -> str:
    """The Markdown report of one import: what was mapped and what needs a person."""
    out = [f"## {report.source}", ""]
    if runbook is None:
        out += [f"- no runbook written: {w}" for w in report.warnings]
        out += [f"- for the policy: {p}" for p in report.policy]
        return "\n".join(out) + "\n"
    steps = [s for p in runbook["procedures"] for s in p["steps"]]
    kinds = Counter(s["kind"] for s in steps)
    out.append(f"- written: {output} (runbook `{runbook['id']}`, {len(runbook['procedures'])} procedure(s), "
               f"{len(steps)} step(s): " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ")")
    out.append(f"- commands and flag flips in the source: {len(report.commands_found)}; mapped to steps: "
               f"{len(report.commands)}")
    if runbook.get("triage"):
        out.append(f"- triage rows: {len(runbook['triage'])}")
    for step_id, level in report.guarded.items():
        out.append(f"- guarded ({'confirmation and approval' if level == 'approve' else 'confirmation'}): `{step_id}`")
    for step_id, params in report.parameters.items():
        out.append(f"- parameters to fill in `{step_id}`: {', '.join(f'`{p}`' for p in params)}")
    out += [f"- WARNING {w}" for w in report.warnings]
    out += [f"- for the policy: {p}" for p in report.policy]
    out += [f"- note: {n}" for n in report.notes]
    return "\n".join(out) + "\n"
