"""Runbooks as data: procedures of ordered steps, some guarded, and the state of running them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

FlagValue = bool | int | float | str | None


class StepKind(StrEnum):
    """What a step does when it runs."""

    CHECK = "check"  # a manual item a responder ticks
    COMMAND = "command"  # a diagnostic argv defined in the runbook, never taken from chat
    HTTP_CHECK = "http_check"  # probe a URL for an expected status or body
    FLAG = "flag"  # set a feature flag (the kill switch), with its rollback value
    NOTIFY = "notify"  # ping a role, user group or channel


class StepState(StrEnum):
    """Where a step stands in one incident."""

    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting_approval"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class Guard:
    """Who may run a step, what they must confirm, and whether a second person must approve."""

    roles: tuple[str, ...] = ()  # incident roles (commander, ...) allowed to run it
    groups: tuple[str, ...] = ()  # Slack user groups (S...) or user ids (U...) allowed to run it
    confirm: str = ""  # the confirmation dialog text; empty: no dialog
    rollback_confirm: str = ""  # the rollback's own dialog text; empty: derived (see rollback_question)
    approval: bool = False  # a different person must approve before it runs
    approver_roles: tuple[str, ...] = ()  # who may approve; both empty: anyone holding an incident role
    approver_groups: tuple[str, ...] = ()

    @property
    def restricted(self) -> bool:
        """True when only some people may run the step."""
        return bool(self.roles or self.groups)

    @property
    def confirms(self) -> bool:
        """True when running or rolling back the step asks for confirmation first."""
        return bool(self.confirm or self.rollback_confirm)


DEFAULT_TIMEOUT = 30.0  # seconds a step may run when its kind sets no limit of its own


@dataclass(frozen=True, kw_only=True)
class Step:
    """What every step has, whatever it does. Each kind is a subclass (CheckStep, ...; see STEP_TYPES)."""

    kind: ClassVar[StepKind]
    reversible: ClassVar[bool] = False  # a done step can be rolled back

    id: str
    title: str
    guard: Guard | None = None
    depends_on: tuple[str, ...] = ()
    description: str = ""

    @property
    def timeout_seconds(self) -> float:
        """How long a run may take (kinds that run something set their own)."""
        return DEFAULT_TIMEOUT

    @property
    def setting(self) -> str | None:
        """What a run changes, recorded with its value before and after (a flag step's flag); None: nothing."""
        return None

    def undo_question(self) -> str:
        """What undoing the step asks when the runbook gives no rollback_confirm."""
        return f"Undo “{self.title}”?"  # a fallback that still names the step


@dataclass(frozen=True, kw_only=True)
class CheckStep(Step):
    """A manual item a responder ticks."""

    kind: ClassVar[StepKind] = StepKind.CHECK


@dataclass(frozen=True, kw_only=True)
class CommandStep(Step):
    """A diagnostic argv defined in the runbook, never taken from chat."""

    kind: ClassVar[StepKind] = StepKind.COMMAND
    argv: tuple[str, ...]
    timeout_seconds: float = DEFAULT_TIMEOUT
    workdir: str | None = None


@dataclass(frozen=True, kw_only=True)
class HttpCheckStep(Step):
    """Probe a URL for an expected status or body."""

    kind: ClassVar[StepKind] = StepKind.HTTP_CHECK
    url: str
    method: str = "GET"
    expect_status: int | None = 200
    expect_body: str = ""
    timeout_seconds: float = DEFAULT_TIMEOUT


@dataclass(frozen=True, kw_only=True)
class FlagStep(Step):
    """Set a feature flag (the kill switch); rolling back sets it to `rollback`."""

    kind: ClassVar[StepKind] = StepKind.FLAG
    reversible: ClassVar[bool] = True
    flag: str
    value: FlagValue
    rollback: FlagValue
    provider: str | None = None  # default: the default flag provider

    @property
    def setting(self) -> str:
        """The flag."""
        return self.flag

    def undo_question(self) -> str:
        """Names the value rolling back restores."""
        return f"Set {self.flag} back to {show_value(self.rollback)}?"


@dataclass(frozen=True, kw_only=True)
class NotifyStep(Step):
    """Ping roles, user groups, users or channels."""

    kind: ClassVar[StepKind] = StepKind.NOTIFY
    targets: tuple[str, ...]  # role ids (role:x), user groups (S...), users (U...) or channels (#name / C...)
    message: str


# Every kind's type: adding a kind is a type here plus an entry in each adapter's registry
# (runbooks.format, runbooks.executors, handlers.runbook_blocks); tests/unit/test_step_kinds.py checks them all.
STEP_TYPES: dict[StepKind, type[Step]] = {t.kind: t for t in (CheckStep, CommandStep, HttpCheckStep, FlagStep, NotifyStep)}


@dataclass(frozen=True)
class Procedure:
    """An ordered list of steps for one situation."""

    id: str
    title: str
    steps: tuple[Step, ...]
    when: str = ""


@dataclass(frozen=True)
class TriageRow:
    """A row of a runbook's triage table."""

    symptom: str
    likely_causes: str = ""
    checks: str = ""
    escalate_when: str = ""


@dataclass(frozen=True)
class Runbook:
    """A team's runbook, loaded from `runbooks/*.yaml`."""

    id: str
    title: str
    summary: str
    procedures: tuple[Procedure, ...]
    services: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    triage: tuple[TriageRow, ...] = ()
    classes: tuple[str, ...] = ()  # the incident classes it covers (policy class ids): suggested, counted as coverage
    source: str = ""  # file it came from

    def steps(self) -> list[Step]:
        """Every step, procedure by procedure."""
        return [step for procedure in self.procedures for step in procedure.steps]

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when absent)."""
        for step in self.steps():
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def applies_to(self, *, service: str = "", alert: str = "", severity: str = "", incident_class: str = "") -> bool:
        """True when the runbook names this service, alert or class (and, if it lists severities, this one)."""
        named = (service and service.lower() in {s.lower() for s in self.services}) or (
            alert and alert.lower() in {a.lower() for a in self.alerts}) or (
            incident_class and incident_class in self.classes)
        return bool(named) and (not self.severities or severity in self.severities)


@dataclass(frozen=True)
class StepRun:
    """The state of one step of a runbook attached to an incident."""

    team_id: str
    incident_id: int
    runbook_id: str
    step_id: str
    state: StepState = StepState.PENDING
    actor: str | None = None
    approver: str | None = None
    requested_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    before: FlagValue = None
    after: FlagValue = None
    output: str = ""
    error: str = ""
    attempt: int = 0
    id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StepOutcome:
    """What running a step produced."""

    ok: bool
    output: str = ""
    error: str = ""
    before: FlagValue = None
    after: FlagValue = None


@dataclass(frozen=True, kw_only=True)
class NewAttachment:
    """A runbook being attached to an incident, before it is stored (it has no id yet)."""

    team_id: str
    incident_id: int
    runbook_id: str
    attached_by: str
    attached_at: datetime
    channel_id: str | None = None
    message_ts: str | None = None


@dataclass(frozen=True, kw_only=True)
class Attachment(NewAttachment):
    """A runbook attached to an incident, and where its checklist message is; stored, so its id is never None."""

    id: int


def show_value(value: object) -> str:
    """A flag value as people write it: false, true, 1, read-only, (unset)."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "(unset)"}[value]
    return str(value)


def rollback_question(step: Step) -> str:
    """What undoing the step asks: the runbook's rollback_confirm, else the step's own question."""
    if step.guard is not None and step.guard.rollback_confirm:
        return step.guard.rollback_confirm
    return step.undo_question()
