"""Runbooks as data: procedures of ordered steps, some guarded, and the state of running them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

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


@dataclass(frozen=True)
class Step:
    """One step of a procedure."""

    id: str
    title: str
    kind: StepKind
    guard: Guard | None = None
    depends_on: tuple[str, ...] = ()
    description: str = ""
    # command
    argv: tuple[str, ...] = ()
    timeout_seconds: float = 30.0
    workdir: str | None = None
    # http_check
    url: str = ""
    method: str = "GET"
    expect_status: int | None = 200
    expect_body: str = ""
    # flag
    provider: str | None = None
    flag: str = ""
    value: FlagValue = None
    rollback: FlagValue = None
    # notify
    targets: tuple[str, ...] = ()  # role ids, user groups (S...), users (U...) or channels (#name / C...)
    message: str = ""


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

    def applies_to(self, *, service: str = "", alert: str = "", severity: str = "") -> bool:
        """True when the runbook names this service or alert (and, if it lists severities, this one)."""
        named = (service and service.lower() in {s.lower() for s in self.services}) or (
            alert and alert.lower() in {a.lower() for a in self.alerts})
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


@dataclass(frozen=True)
class Attachment:
    """A runbook attached to an incident, and where its checklist message is."""

    team_id: str
    incident_id: int
    runbook_id: str
    attached_by: str
    attached_at: datetime
    channel_id: str | None = None
    message_ts: str | None = None
    id: int | None = None


def show_value(value: FlagValue) -> str:
    """A flag value as people write it: false, true, 1, read-only, (unset)."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "(unset)"}[value]
    return str(value)


def rollback_question(step: Step) -> str:
    """What undoing the step asks: the runbook's rollback_confirm, else a question naming what it restores."""
    if step.guard is not None and step.guard.rollback_confirm:
        return step.guard.rollback_confirm
    if step.kind is StepKind.FLAG:
        return f"Set {step.flag} back to {show_value(step.rollback)}?"
    return f"Undo “{step.title}”?"  # only flag steps roll back today; a fallback that still names the step
