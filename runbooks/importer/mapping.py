"""A Markdown outline -> a Warroom runbook (as a plain dict) and the report of the import. No I/O.

Headings become procedures; labels inside a section (`**Diagnosis:**`, `- Immediate actions:`) split
it into procedures of their own; triage tables become the triage table; severity, escalation and
contact tables are reported for the policy, never turned into steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from runbooks.importer import shell, switches
from runbooks.importer.markdown import Block, Document, Item, Section, Table
from runbooks.importer.steps import (
    Report,
    StepMaker,
    actionable,
    is_alternatives,
    is_instruction,
    slug,
    title_of,
)

_ROLLBACK = re.compile(r"\b(?:roll ?back|undo|revert|back out)\b", re.IGNORECASE)
_SYMPTOMS = re.compile(r"^(?:symptoms?|signs|indicators|alerts?)$", re.IGNORECASE)
_POLICY = re.compile(r"escalat|contact|on-call|owner|communicat|notify", re.IGNORECASE)
_WHEN = re.compile(r"^(?:trigger|triggers|when|applies when|use when)$", re.IGNORECASE)
_CONTEXT = re.compile(r"^(?:impact|impact note|notes?|background|context|purpose|goal|summary)$", re.IGNORECASE)
_STEPS_TITLE = re.compile(r"\b(?:validation|verification|verify|checklist|prerequisites|responsibilities|checks|steps|actions|procedures?|resolution|"
                          r"diagnosis|mitigation|mitigate|remediation|smoke tests?|runbook|playbook|response|recovery)\b",
                          re.IGNORECASE)
_TITLE_LINE = re.compile(r"^[A-Z][^.!?\n]{0,58}[^.!?,;\n]$")
_FACT = re.compile(r"^([A-Za-z][\w /&-]{0,40}):\s+(.+)$", re.DOTALL)
_CONTACTS = re.compile(r"(?<![\w/])#[a-z0-9][a-z0-9_-]+|[\w.+-]+@[\w-]+\.[\w.]+|(?<![\w/])@[a-z0-9][\w-]+")


@dataclass
class _Procedure:
    title: str
    when: str = ""
    labelled: bool = False  # opened by a label (`**Diagnosis:**`): its bulleted items are steps
    steps: list[dict[str, Any]] = field(default_factory=list)


def _cell(header: list[str], row: list[str], pattern: str) -> str:
    for name, value in zip(header, row):
        if re.search(pattern, name, re.IGNORECASE):
            return value
    return ""


class _Importer:
    def __init__(self, doc: Document, report: Report) -> None:
        self.doc, self.report = doc, report
        self.maker = StepMaker(report, self._rollbacks())
        self.procedures: list[_Procedure] = []
        self.triage: list[dict[str, str]] = []
        self.summary = ""
        self.preamble = ""
        self.last: tuple[Item, list[dict[str, Any]], bool] | None = None
        self.when, self.first_of_section = "", 0

    def _rollbacks(self) -> dict[str, switches.FlagValue]:
        """Flag values a rollback/undo section sets: the rollback of the flip that set them otherwise."""
        found: dict[str, switches.FlagValue] = {}
        for section in self.doc.sections:
            if _ROLLBACK.search(section.title):
                for block in section.blocks:
                    codes = [*block.codes, *(c for item in block.items for c in item.codes)]
                    for flip in filter(None, map(switches.flip, codes)):
                        found.setdefault(flip.flag, flip.value)
        return found

    def _table(self, section: Section, table: Table) -> None:
        header = " | ".join(table.header).lower()
        if re.search(r"sev|severity|priority", header):
            self.report.policy.append(f"severity table under {section.title!r} (line {table.line}): "
                                      f"{len(table.rows)} rows; define severities in warroom.yaml")
            return
        if re.search(r"symptom|alert|situation|problem", header) and re.search(r"cause", header):
            for row in table.rows:
                symptom = row[0].strip() if row else ""
                if symptom:
                    self.triage.append({"symptom": symptom, "likely_causes": _cell(table.header, row, "cause"),
                                        "checks": _cell(table.header, row, "check|diagnos"),
                                        "escalate_when": _cell(table.header, row, "escalat|stop")})
            return
        if "command" in header:
            proc = self._open(section.title)
            for row in table.rows:
                cell = _cell(table.header, row, "command")
                codes = re.findall(r"`([^`]+)`", cell)
                steps = [s for code in codes for s in self.maker.from_code(code, f"`{code}`") or []]
                for step in steps:
                    step["title"] = title_of(row[0]) or step["title"]
                proc.steps += steps
                verification = _cell(table.header, row, "verif|expect")
                if verification:
                    proc.steps.append(self.maker.check(verification))
            return
        if _POLICY.search(header):
            self.report.policy.append(f"escalation/contacts table under {section.title!r} (line {table.line}): "
                                      f"{len(table.rows)} rows; route them in warroom.yaml")
            return
        self.report.notes.append(f"table under {section.title!r} (line {table.line}) kept out of the steps")

    def _open(self, title: str) -> _Procedure:
        proc = _Procedure(title or "Procedure", when=self.when)
        self.procedures.append(proc)
        return proc

    def _label(self, section: Section, label: str, items: list[Item]) -> _Procedure | None:
        """Handle a label and the items under it; a new procedure when the label starts one."""
        joined = "; ".join(i.text.rstrip(".") for i in items)
        if _SYMPTOMS.match(label):
            if joined:
                self.triage.append({"symptom": joined[:1000], "likely_causes": "", "checks": "",
                                    "escalate_when": ""})
            return None
        if _WHEN.match(label) or _CONTEXT.match(label) or _POLICY.search(label):
            if _POLICY.search(label):
                self.report.policy.append(f"{section.title}: {label}: {joined}".strip())
            return None
        proc = self._open(f"{section.title}: {label}" if section.title else label)
        proc.labelled = True
        return proc

    def section(self, section: Section) -> None:
        self.maker.in_rollback, self.maker.line, self.last = bool(_ROLLBACK.search(section.title)), section.line, None
        self.when, self.first_of_section = "", len(self.procedures)
        proc: _Procedure | None = None
        label_mode = ""   # a label whose items are not steps (symptoms, policy, context)
        alternatives = False
        for i, block in enumerate(section.blocks):
            following = section.blocks[i + 1] if i + 1 < len(section.blocks) else None
            if (block.kind == "para" and following is not None and following.kind == "list"
                    and _TITLE_LINE.match(block.text) and not block.codes):
                block = Block("label", block.line, text=block.text.rstrip(":"))  # a plain-text heading over a list
            if block.kind not in ("para", "fence"):
                self.last = None
            if block.kind == "label":
                proc = self._label(section, block.text, [])
                label_mode = "" if proc else block.text
                alternatives = is_alternatives(block.text)
            elif block.kind == "para":
                self._para(section, block, proc)
                fact = _FACT.match(block.text)
                if fact and _POLICY.search(fact.group(1)):
                    self.report.policy.append(f"{section.title}: {block.text}")
                alternatives = block.text.endswith(":") and is_alternatives(block.text)
            elif block.kind == "table" and block.table:
                self._table(section, block.table)
            elif block.kind == "fence" and block.fence and self._belongs_to_last_item(proc, block):
                continue
            elif block.kind == "fence" and block.fence:
                made, line = self.maker.from_fence(block.fence, "")
                if line:
                    self.report.notes.append(f"code block under {section.title!r} (line {block.fence.line}) is not a "
                                             "command: left out of the steps")
                if made:
                    proc = proc or self._open(section.title)
                    proc.steps += made
            elif block.kind == "list":
                if label_mode:
                    self._label(section, label_mode, block.items)
                    label_mode = ""
                    continue
                proc = self._list(section, block.items, proc, alternatives)

    def _belongs_to_last_item(self, proc: _Procedure | None, block: Block) -> bool:
        """A fence right after a list item (`1) Renew` then a paragraph and a fence) belongs to that item."""
        if self.last is None or proc is None or block.fence is None:
            return False
        item, made, alternatives = self.last
        if not made or proc.steps[-len(made):] != made or any(s["kind"] != "check" for s in made):
            return False
        if not shell.is_shell_fence(block.fence.info, block.fence.text) or shell.is_output(block.fence.info, block.fence.text):
            return False
        del proc.steps[-len(made):]
        self.maker.forget(made)
        item.fences.append(block.fence)
        remade = self.maker.from_item(item, alternative=alternatives)
        proc.steps += remade
        self.last = (item, remade, alternatives)
        return True

    def _para(self, section: Section, block: Block, proc: _Procedure | None) -> None:
        if not self.summary and not proc and section.level in (1, 2) and not block.codes:
            self.summary = block.text
        elif proc and proc.steps:
            if self.last is not None:
                self.last[0].extra.append(block.text)
            last = proc.steps[-1]
            last["description"] = (last.get("description", "") + "\n" + block.text).strip()[:2000]

    def _facts(self, section: Section, items: list[Item], proc: _Procedure | None) -> bool:
        """A bulleted list that describes rather than instructs (alert thresholds, backup facts): not steps.
        Numbered lists, lists under a step label or a steps heading, and lists with commands are steps."""
        if (items[0].ordered or (proc is not None and proc.labelled) or _STEPS_TITLE.search(section.title)
                or any(actionable(i) or i.text.rstrip().endswith(":") for i in items)):
            return False
        if sum(is_instruction(i.text) for i in items) * 2 >= len(items):
            return False
        self.report.notes.append(f"bulleted list under {section.title!r} (line {items[0].line}, {len(items)} items) "
                                 "describes rather than instructs: kept out of the steps")
        return True

    def _list(self, section: Section, items: list[Item], proc: _Procedure | None, alternatives: bool) -> _Procedure | None:
        if self._facts(section, items, proc):
            return proc
        pending: list[Item] = []
        for item in items:
            label = (item.text.rstrip().endswith(":") and not item.children and not item.codes and not item.fences
                     and len(item.text) < 80)
            fact = _FACT.match(item.text)
            if label:
                proc = self._label(section, item.text.rstrip(":").strip(), pending) or proc
                alternatives = is_alternatives(item.text)
                continue
            if fact and not item.ordered and not item.codes:
                key = fact.group(1).strip()
                if _WHEN.match(key):  # the trigger of the section: `when` of each of its procedures
                    self.when = " ".join(fact.group(2).split())[:500]
                    for opened in self.procedures[self.first_of_section:]:
                        opened.when = self.when
                elif _POLICY.search(key):
                    self.report.policy.append(f"{section.title}: {item.text}")
                continue
            proc = proc or self._open(section.title)
            made = self.maker.from_item(item, alternative=alternatives)
            proc.steps += made
            self.last = (item, made, alternatives) if not item.fences and not item.children else None
        return proc

    def run(self) -> dict[str, Any] | None:
        headed = any(s.level for s in self.doc.sections)
        for section in self.doc.sections:
            if section.level == 0 and headed:  # a preamble before the first heading: context, not steps
                self.preamble = " ".join(b.text for b in section.blocks if b.kind == "para")
                continue
            self.section(section)
        for contact in sorted(set(_CONTACTS.findall(self._all_text()))):
            self.report.policy.append(f"contact named in the source: {contact}")
        procedures = [p for p in self.procedures if p.steps]
        if not procedures:
            self.report.warnings.append("no steps found (a catalogue or a policy page?): no runbook written")
            return None
        front = self.doc.front
        title = str(front.get("title") or next((s.title for s in self.doc.sections if s.level == 1), "")
                    or self.report.runbook_id)
        summary = str(front.get("description") or front.get("summary") or self.summary
                      or front.get("_preamble") or self.preamble or title)
        runbook: dict[str, Any] = {"id": self.report.runbook_id, "title": title_of(title), "summary": summary[:3000]}
        applies = {k: [str(v) for v in front[k]] for k in ("services", "alerts") if isinstance(front.get(k), list)}
        if applies:
            runbook["applies_to"] = applies
        if self.triage:
            runbook["triage"] = [{k: v for k, v in row.items() if v or k == "symptom"} for row in self.triage]
        seen: set[str] = set()
        runbook["procedures"] = []
        for proc in procedures:
            pid, n = slug(proc.title), 2
            while pid in seen:
                pid, n = f"{slug(proc.title)}-{n}", n + 1
            seen.add(pid)
            runbook["procedures"].append({"id": pid, "title": title_of(proc.title), **({"when": proc.when} if proc.when else {}),
                                          "steps": proc.steps})
        return runbook

    def _all_text(self) -> str:
        parts = []
        for section in self.doc.sections:
            parts.append(section.title)
            for block in section.blocks:
                parts.append(block.text)
                parts += [" ".join(r) for r in (block.table.rows if block.table else [])]
                parts += [i.text for i in block.items]
        return "\n".join(parts)


def to_runbook(doc: Document, source: str, runbook_id: str) -> tuple[dict[str, Any] | None, Report]:
    """The runbook (None when the source has no steps) and the report of the import."""
    front_id = doc.front.get("id")
    report = Report(source=source, runbook_id=slug(str(front_id)) if front_id else runbook_id,
                    notes=list(doc.notes))
    return _Importer(doc, report).run(), report
