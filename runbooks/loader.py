"""Load runbook files: every problem reported with file, line and field; valid runbooks still load."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.domain.runbook import Procedure, Runbook, StepKind, TriageRow
from bot.validation_errors import error_message
from runbooks.format import RunbookModel

LIBRARY = Path(__file__).parent / "library"
_PATH_PREFIX = re.compile(r"^([a-z_]+(?:\.[a-z0-9_]+)*): (.*)$", re.DOTALL)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a runbook file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass
class LoadReport:
    """The runbooks that loaded, and what was wrong with the rest."""

    runbooks: dict[str, Runbook] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    replaced: dict[str, str] = field(default_factory=dict)  # runbook id -> the shipped file a team file replaced

    @property
    def broken_files(self) -> list[str]:
        """Files that did not load."""
        return sorted({p.file for p in self.problems})


def _lines(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map every key path of a YAML document to its (1-based) line."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[(*path, key.value)] = key.start_mark.line + 1
            lines.update({k: v for k, v in _lines(value, (*path, key.value)).items() if k != (*path, key.value)})
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_lines(item, (*path, index)))
    return lines


_KINDS = {kind.value for kind in StepKind}


def _clean(loc: Iterable[Any]) -> tuple[Any, ...]:
    """Drop pydantic's union tags: procedures.0.steps.1.flag.value -> procedures.0.steps.1.value."""
    out: list[Any] = []
    for part in loc:
        if part in _KINDS and len(out) >= 2 and isinstance(out[-1], int) and out[-2] == "steps":
            continue
        out.append(part)
    return tuple(out)


def _line_of(path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int:
    """The line of the deepest part of `path` present in the file (a missing key: its parent's)."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _problems(exc: ValidationError, file: str, lines: dict[tuple[Any, ...], int]) -> list[Problem]:
    found = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        message = error_message(err)
        match = _PATH_PREFIX.match(message)
        if match and (not loc or err["type"] == "value_error"):  # a model check names its own field path
            loc = (*loc, *(int(p) if p.isdigit() else p for p in match.group(1).split(".")))
            message = match.group(2)
        path = _clean(loc)
        if err["type"] == "union_tag_invalid":
            path = (*path, "kind")
            message = f"unknown step kind {err['input'].get('kind')!r}; use one of {', '.join(sorted(_KINDS))}"
        found.append(Problem(file, _line_of(path, lines), ".".join(map(str, path)) or "(file)", message))
    return found


def to_runbook(model: RunbookModel, source: str) -> Runbook:
    """The domain value of a validated runbook file."""
    return Runbook(
        id=model.id, title=model.title, summary=model.summary, source=source,
        services=tuple(model.applies_to.services), alerts=tuple(model.applies_to.alerts),
        severities=tuple(model.applies_to.severities), classes=tuple(model.applies_to.classes),
        triage=tuple(TriageRow(t.symptom, t.likely_causes, t.checks, t.escalate_when) for t in model.triage),
        procedures=tuple(Procedure(id=p.id, title=p.title, when=p.when, steps=tuple(s.to_step() for s in p.steps))
                         for p in model.procedures),
    )


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _fields(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _cross_checks(data: dict[str, Any], file: str, lines: dict[tuple[Any, ...], int], *, roles: set[str],
                  providers: set[str] | None, severities: set[str], classes: set[str] | None = None) -> list[Problem]:
    """What the schema cannot see: unique step ids, dependencies on earlier steps, and references to
    roles, flag providers, severities and incident classes the policy defines. Runs on the raw file, so
    these are reported together with any schema errors."""
    found = []

    def problem(path: tuple[Any, ...], message: str) -> None:
        found.append(Problem(file, _line_of(path, lines), ".".join(map(str, path)), message))

    applies = _fields(data.get("applies_to"))
    for i, severity in enumerate(_items(applies.get("severities"))):
        if severities and severity not in severities:
            problem(("applies_to", "severities", i), f"{severity!r} is not a severity; use one of {sorted(severities)}")
    for i, incident_class in enumerate(_items(applies.get("classes"))):
        if classes is not None and incident_class not in classes:
            close = difflib.get_close_matches(str(incident_class), classes, n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            problem(("applies_to", "classes", i), f"{incident_class!r} is not an incident class of warroom.yaml{guess}; "
                                                  f"use one of {sorted(classes)}")
    seen: set[str] = set()
    for p_i, procedure in enumerate(_items(data.get("procedures"))):
        for s_i, step in enumerate(_items(procedure.get("steps")) if isinstance(procedure, dict) else []):
            if not isinstance(step, dict):
                continue
            base = ("procedures", p_i, "steps", s_i)
            step_id = step.get("id")
            if step_id in seen:
                problem((*base, "id"), f"step id {step_id!r} is used twice; step ids are unique per runbook")
            for d_i, dep in enumerate(_items(step.get("depends_on"))):
                if dep not in seen:
                    problem((*base, "depends_on", d_i), f"{dep!r} is not an earlier step of this runbook")
            guard = _fields(step.get("guard"))
            for r_i, role in enumerate(_items(guard.get("roles"))):
                if role not in roles:
                    problem((*base, "guard", "roles", r_i), f"{role!r} is not a role; use one of {sorted(roles)}")
            approvers = _fields(guard.get("approvers"))
            for r_i, role in enumerate(_items(approvers.get("roles"))):
                if role not in roles:
                    problem((*base, "guard", "approvers", "roles", r_i), f"{role!r} is not a role; use one of {sorted(roles)}")
            argv = [a for a in _items(step.get("argv")) if isinstance(a, str)]
            if argv and argv[0].rsplit("/", 1)[-1] in ("sh", "bash", "zsh", "dash") and "-c" in argv:
                script = argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else ""
                if "${" in script:
                    problem((*base, "argv"), "a ${VAR} inside a shell script would be pasted into shell code; "
                                             "pass it as a separate argument (\"$1\") instead")
            provider = step.get("provider")
            if provider is not None and providers is not None and provider not in providers:
                problem((*base, "provider"), f"no flag provider {provider!r} in warroom.yaml; configured: {sorted(providers)}")
            if isinstance(step_id, str):
                seen.add(step_id)
    return found


def load_file(path: Path, *, roles: set[str], providers: set[str] | None = None,
              severities: set[str] | None = None, classes: set[str] | None = None) -> tuple[Runbook | None, list[Problem]]:
    """One runbook file: the runbook, or the problems that stopped it loading."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        return None, [Problem(file, 1, "(file)", f"cannot read: {exc.strerror}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(file, (mark.line + 1) if mark else 1, "(yaml)", str(getattr(exc, "problem", exc)))]
    if node is None or not isinstance(data, dict):
        return None, [Problem(file, 1, "(file)", "a runbook file is a mapping with id, title, summary, procedures")]
    lines = _lines(node)
    problems = _cross_checks(data, file, lines, roles=roles, providers=providers, severities=severities or set(),
                             classes=classes)
    try:
        model = RunbookModel.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, file, lines) + problems
        return None, sorted(problems, key=lambda p: p.line)
    return (None, sorted(problems, key=lambda p: p.line)) if problems else (to_runbook(model, file), [])


def load_runbooks(directories: Iterable[Path], *, roles: set[str], providers: set[str] | None = None,
                  severities: set[str] | None = None, library: Path | None = None,
                  classes: set[str] | None = None) -> LoadReport:
    """The shipped `library` (if given), then every `*.yaml`/`*.yml` runbook under `directories`.

    A runbook in `directories` with a shipped runbook's id replaces it; two of the team's own files
    with one id are a problem. Broken files are reported, not fatal.
    """
    report = LoadReport()
    shipped: set[str] = set()
    for directory, is_library in [*([(library, True)] if library else []), *((d, False) for d in directories)]:
        files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]) if directory.is_dir() else [directory]
        for path in files:
            runbook, problems = load_file(path, roles=roles, providers=providers, severities=severities,
                                          classes=classes)
            report.problems.extend(problems)
            if runbook is None:
                continue
            if runbook.id in report.runbooks:
                other = report.runbooks[runbook.id].source
                if runbook.id in shipped and not is_library:
                    shipped.discard(runbook.id)
                    report.replaced[runbook.id] = other
                else:
                    report.problems.append(
                        Problem(str(path), 1, "id", f"runbook id {runbook.id!r} is already used by {other}"))
                    continue
            elif is_library:
                shipped.add(runbook.id)
            report.runbooks[runbook.id] = runbook
    return report
