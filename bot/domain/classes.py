"""Incident classes (types): what kind of failure an incident is, chosen from the policy's list."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import InvalidCommand


@dataclass(frozen=True)
class IncidentClass:
    """One kind of incident the team counts separately (MTTR and recurrence are measured per class)."""

    id: str
    label: str
    description: str = ""


# The kinds of failure the teams we were written for name most often; a policy may replace them.
DEFAULT_CLASSES = (
    IncidentClass("import-pipeline", "Import pipeline", "Ingestion or import jobs failing or stalled."),
    IncidentClass("audit-failure", "Audit failure", "Audit records missing, late or failing to verify."),
    IncidentClass("restricted-telemetry", "Restricted telemetry", "Restricted data reached logs, traces or metrics."),
    IncidentClass("cross-tenant-authorization", "Cross-tenant authorization",
                  "One tenant could see or change another tenant's data."),
    IncidentClass("queue-failure", "Queue failure", "A queue backed up, dropped or redelivered messages."),
    IncidentClass("storage-permissions", "Storage permissions", "Buckets, volumes or databases with wrong access."),
    IncidentClass("workflow-500", "Workflow 500", "A user workflow answering with server errors."),
)


def find_class(classes: tuple[IncidentClass, ...], typed: str) -> IncidentClass:
    """The class with this id or label (case-insensitive), or InvalidCommand naming the valid ids."""
    wanted = typed.strip().lower()
    for incident_class in classes:
        if wanted in (incident_class.id, incident_class.label.lower()):
            return incident_class
    valid = ", ".join(f"`{c.id}`" for c in classes) or "none (add `classes:` to warroom.yaml)"
    raise InvalidCommand(f"`{typed.strip()[:40]}` is not an incident class. Valid classes: {valid}.")


def class_label(classes: tuple[IncidentClass, ...], class_id: str) -> str:
    """How a class is shown: its label, or its id once the policy no longer has it (old incidents keep theirs)."""
    return next((c.label for c in classes if c.id == class_id), class_id)
