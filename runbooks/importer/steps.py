"""Steps out of list items, fences and code spans, with their guards; the report of what was mapped. No I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from runbooks.importer import shell, switches
from runbooks.importer.markdown import Fence, Item

_INSTRUCTION = re.compile(
    r"^\W*(?:verify|check|confirm|make sure|ensure|validate|test|look|inspect|review|compare|monitor|run|execute|"
    r"restart|reboot|reload|disable|enable|set|unset|turn|switch|flip|toggle|notify|tell|inform|page|escalate|"
    r"contact|call|email|announce|acknowledge|assign|engage|open|create|file|record|document|capture|preserve|"
    r"collect|gather|scale|roll|deploy|redeploy|revert|rollback|investigate|identify|determine|find|search|see|"
    r"read|list|note|watch|tail|wait|drain|clear|remove|delete|drop|purge|flush|update|upgrade|rotate|renew|"
    r"kill|stop|start|pause|resume|promote|publish|query|obtain|move|use|follow|apply|add|keep|consider|do|don't|"
    r"avoid|never|isolate|block|unblock|lock|unlock|increase|decrease|reduce|raise|lower|replay|retry|requeue|"
    r"export|import|backup|restore|fail over|failover|rerun|re-run|re-enable|connect|log in|login|ssh|go|"
    r"respond|hand off|if|when|once|after|before|until|in case)\b", re.IGNORECASE)
_RUN = re.compile(r"\b(?:run|execute|use|invoke|call|via|with|through|type)\b", re.IGNORECASE)
_SWITCH = re.compile(r"\b(?:set|sets|setting|disable|enable|flip|turn|switch|toggle|activate|deactivate|through|via|"
                     r"verify|ensure|make sure)\b", re.IGNORECASE)
UNRUN = "Code from the source, not run by Warroom"
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 48) -> str:
    """A step or procedure id from a title: lower-case words joined by -."""
    words = _SLUG.sub("-", text.lower()).strip("-")
    if len(words) > limit:
        words = words[:limit].rsplit("-", 1)[0]
    return words or "step"


def title_of(text: str) -> str:
    """A step title (<= 150 characters) from source text."""
    text = " ".join(text.split()).rstrip(".:")
    return text if len(text) <= 150 else text[:147].rsplit(" ", 1)[0] + "…"


@dataclass
class Report:
    """What one import mapped, and what a person must look at."""

    source: str
    runbook_id: str = ""
    commands_found: list[str] = field(default_factory=list)    # every command the source holds
    commands: dict[str, str] = field(default_factory=dict)      # step id -> verbatim command
    parameters: dict[str, list[str]] = field(default_factory=dict)
    guarded: dict[str, str] = field(default_factory=dict)       # step id -> confirm | approve
    warnings: list[str] = field(default_factory=list)
    step_notes: dict[str, list[str]] = field(default_factory=dict)
    policy: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, step_id: str, text: str, *, warn: bool = False) -> None:
        """A comment on a step in the output (and a warning in the report)."""
        self.step_notes.setdefault(step_id, []).append(text)
        if warn:
            self.warnings.append(f"{step_id}: {text}")


class StepMaker:
    """Makes steps with ids unique per runbook and records them in the report."""

    def __init__(self, report: Report, rollbacks: dict[str, switches.FlagValue]) -> None:
        self.report = report
        self.rollbacks = rollbacks
        self.seen: set[str] = set()
        self.flagged: dict[str, dict[str, Any]] = {}
        self.in_rollback = False  # the mapper says when it is in a rollback/undo section
        self.line = 0

    def _new(self, title: str, kind: str, description: str = "") -> dict[str, Any]:
        base = slug(title)
        step_id, n = base, 2
        while step_id in self.seen:
            step_id, n = f"{base}-{n}", n + 1
        self.seen.add(step_id)
        step: dict[str, Any] = {"id": step_id, "title": title_of(title) or kind, "kind": kind}
        if description:
            step["description"] = description[:2000]
        return step

    def _guard(self, step: dict[str, Any], text: str, level: str | None = None, *, prose: bool = False) -> None:
        level = level if level is not None else shell.danger(text, prose=prose)
        if not level:
            return
        quoted = " ".join(text.split()).rstrip(".?")
        confirm = f"{quoted}?" if len(quoted) <= 298 else f"{quoted[:296]}…?"
        step["guard"] = {"confirm": confirm, **({"approval": True} if level == "approve" else {})}
        self.report.guarded[step["id"]] = level

    def check(self, text: str, description: str = "", *, warn: str = "") -> dict[str, Any]:
        """A manual item quoting the source."""
        step = self._new(text, "check", description if description or len(text) <= 150 else text)
        self._guard(step, text, prose=True)
        if warn:
            self.report.note(step["id"], warn, warn=True)
        return step

    def command(self, cmd: shell.Command, title: str, description: str = "") -> dict[str, Any]:
        """A command step (or an http_check for a health probe; a check when it cannot run as an argv)."""
        self.report.commands_found.append(cmd.source)
        title = cmd.title or title or cmd.source
        probe = switches.probe(cmd.source)
        if probe is not None:
            step = self._new(title, "http_check", description)
            step.update(url=probe.url, method=probe.method)
            status = switches.expected_status(f"{title} {description}")
            step["expect_status"] = status or 200
            if status is None:
                self.report.note(step["id"], "the source gives no expected status; 200 assumed")
            self.report.commands[step["id"]] = cmd.source
            return step
        if not cmd.argv:
            return self.check(f"Run `{cmd.source}`" if "\n" not in cmd.source else title, description or cmd.source,
                              warn=f"not mapped to a command: {cmd.why}; run it by hand or rewrite it as an argv")
        step = self._new(title, "command", description)
        step["argv"] = cmd.argv
        self.report.commands[step["id"]] = cmd.source
        self._guard(step, f"Run {cmd.source}" if "\n" not in cmd.source else f"Run the script of: {title}")
        if cmd.placeholders:
            self.report.parameters[step["id"]] = cmd.placeholders
            self.report.note(step["id"], f"fill in before running: {', '.join(cmd.placeholders)}", warn=True)
        return step

    def flag(self, flip: switches.Flip, title: str, text: str) -> dict[str, Any] | None:
        """A flag step with its rollback value (from a rollback section, or the other value of a two-valued
        switch); a guarded check when there is no value that undoes it; None in a rollback section when
        it undoes an earlier flag step (it is that step's rollback)."""
        self.report.commands_found.append(flip.source)
        earlier = self.flagged.get(flip.flag)
        if self.in_rollback and earlier is not None and earlier["rollback"] == flip.value:
            self.report.note(earlier["id"], f"rollback `{flip.source}` is the source's rollback section (line {self.line})")
            return None
        rollback = self.rollbacks.get(flip.flag)
        inferred = rollback is None
        if rollback is None:
            rollback = switches.opposite(flip.value)
        if rollback is None:
            step = self._new(title, "check")
            self._guard(step, title, "confirm")
            self.report.note(step["id"], f"flag flip `{flip.source}` has no rollback value in the source; "
                                         "make it a flag step once you know the value that undoes it", warn=True)
            return step
        step = self._new(title, "flag")
        step.update(flag=flip.flag, value=flip.value, rollback=rollback)
        self.flagged.setdefault(flip.flag, step)
        self.report.commands[step["id"]] = flip.source
        self._guard(step, f"Set {flip.flag} to {json.dumps(flip.value)} (`{flip.source}`)",
                    "approve" if shell.danger(text, prose=True) == "approve" else "confirm")
        if inferred:
            self.report.note(step["id"], f"rollback {rollback!r} is the other value of the switch (not written in the source)")
        return step

    def from_fence(self, fence: Fence, title: str) -> tuple[list[dict[str, Any]], str]:
        """Steps of a fence, or (no steps, a description line) for output and other code."""
        if pairs := shell.transcript(fence.text):
            steps = []
            for prompt, statement in pairs:
                steps.append(self.check(f"In `{prompt}` run `{statement}`", warn="interactive transcript: the "
                                        "statement runs inside a client session, not as a command; add a command by hand"))
            return steps, ""
        lang = fence.info.split()[0] if fence.info else "text"
        if (flip := switches.flip(fence.text)) is not None:  # a one-line flip, chatops included
            step = self.flag(flip, title or fence.text.strip(), title)
            return ([step] if step else []), ""
        if shell.is_output(fence.info, fence.text):
            return [], f"(example {lang} output in the source, line {fence.line})"
        if not shell.is_shell_fence(fence.info, fence.text):
            return [], f"{UNRUN} ({lang}, line {fence.line}):\n{fence.text}"
        made: list[dict[str, Any]] = []
        for cmd in shell.fence_commands(fence.text):
            flip = switches.flip(cmd.source)
            step = (self.flag(flip, cmd.title or title or cmd.source, title) if flip
                    else self.command(cmd, title if len(shell.fence_commands(fence.text)) == 1 else ""))
            made += [step] if step else []
        return made, ""

    def from_code(self, code: str, text: str) -> list[dict[str, Any]] | None:
        """The step of an inline code span that is a flag flip or a command the text says to run (an
        empty list when it is absorbed as another step's rollback); None when it is neither."""
        if (flip := switches.flip(code)) and _SWITCH.search(text):
            step = self.flag(flip, text, text)
            return [step] if step else []
        if shell.looks_like_command(code, loose=True) and (_RUN.search(text) or text.startswith(f"`{code}`")
                                                           or len(code.split()) > 1):
            return [self.command(shell.to_command(code), text)]
        return None

    def forget(self, steps: list[dict[str, Any]]) -> None:
        """Take back steps made too early (a fence after the item turned out to belong to it)."""
        for step in steps:
            self.seen.discard(step["id"])
            for table in (self.report.guarded, self.report.commands, self.report.parameters, self.report.step_notes):
                table.pop(step["id"], None)
            self.report.warnings = [w for w in self.report.warnings if not w.startswith(f"{step['id']}: ")]

    def from_item(self, item: Item, *, alternative: bool = False) -> list[dict[str, Any]]:
        """The steps of a list item: its commands, flags and fences, its nested items after it; prose
        children go into its description; an item with nothing to run is a check quoting it."""
        text = item.text
        extra = [*item.extra]
        steps: list[dict[str, Any]] = []
        mapped = False
        for code in item.codes:
            if (made_code := self.from_code(code, text)) is not None:
                steps += made_code
                mapped = True
        for fence in item.fences:
            made, line = self.from_fence(fence, text)
            steps += made
            mapped = mapped or bool(made)
            extra += [line] if line else []
        children: list[dict[str, Any]] = []
        for child in item.children:
            if actionable(child) or child.ordered:
                children += self.from_item(child, alternative=alternative or is_alternatives(text))
            else:
                extra.append(f"- {child.text}")
        if item.links:
            extra.append("Links: " + " ".join(item.links))
        description = "\n".join(e for e in extra if e)
        if not mapped and text:
            steps.append(self.check(text, description, warn="a code block that is not a shell command: a person runs "
                                    "it (or turn it into a command step)" if UNRUN in description else ""))
        elif description:
            for step in steps:
                step.setdefault("description", description[:2000])
        if alternative:
            for step in steps:
                step["description"] = ("One of the alternatives listed in the source, not a sequence. "
                                       + step.get("description", ""))[:2000].strip()
                self.report.note(step["id"], "an alternative, not a sequence: keep the ones that apply")
        return steps + children


_ALTERNATIVES = re.compile(r"\b(?:one of|either|alternatives?|options?|any of)\b", re.IGNORECASE)


def actionable(item: Item) -> bool:
    """An item with something to run: a fence, a flag flip or a command in a code span, or such children."""
    return bool(item.fences) or any(switches.flip(c) or shell.looks_like_command(c) for c in item.codes) \
        or any(actionable(child) for child in item.children)


def is_alternatives(text: str) -> bool:
    """Text introducing options rather than a sequence."""
    return _ALTERNATIVES.search(text) is not None


def is_instruction(text: str) -> bool:
    """Text that tells someone to do something (starts with an imperative or a condition)."""
    return _INSTRUCTION.search(text) is not None
