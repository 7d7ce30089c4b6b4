"""What declaring an incident asks for and what it gives back: the request, its validation (run before the
ack, so a bad field is answered at once) and the result."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.classes import find_class
from bot.domain.errors import InvalidCommand, InvalidInput
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.text import control_character_error, escape

TITLE_MAX = 120
SUMMARY_MAX = 2000
SERVICE_MAX = 80


@dataclass(frozen=True)
class DeclareRequest:
    """What a responder asked for when declaring."""

    team_id: str
    user_id: str
    severity: str
    title: str
    summary: str = ""
    service: str = ""
    source_channel_id: str | None = None
    links: tuple[tuple[str, str], ...] = ()  # (label, URL) shown on the card: the alert's source, its runbook
    # Declared by an alert source (`user_id` names it, e.g. "alertmanager"), which its token authenticated and
    # warroom.yaml's alert routes allowed: no person's permission is checked, and these people are invited.
    automated: bool = False
    invite: tuple[str, ...] = ()
    incident_class: str = ""  # a class id or label of the policy's, chosen at declare ("" for none yet)


@dataclass(frozen=True)
class DeclareResult:
    """Either the new incident, or the open incidents that look like duplicates of it."""

    incident: Incident | None
    duplicates: list[Incident] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def validate_declare(request: DeclareRequest, policy: Policy) -> DeclareRequest:
    """Normalise and check a declare request; raise InvalidInput with one message per field."""
    errors: dict[str, str] = {}
    title = " ".join(request.title.split())
    severity = request.severity
    if not title:
        errors["title"] = "Give the incident a short title, e.g. `Imports failing`."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters (it has {len(title)})."
    if not policy.severities.is_severity(severity):
        shown = f"`{escape(severity[:20])}` is not a severity. " if severity else ""
        errors["severity"] = f"{shown}Choose one of {', '.join(policy.severities.ids())}."
    else:
        severity = policy.severities.resolve(severity).id
    if len(request.summary) > SUMMARY_MAX:
        errors["summary"] = f"Keep the summary under {SUMMARY_MAX} characters."
    if len(request.service.strip()) > SERVICE_MAX:
        errors["service"] = f"Keep the service name under {SERVICE_MAX} characters."
    # PostgreSQL refuses NUL in text: refused here, before a channel is created for an insert that would fail.
    for name, value, what in (("title", request.title, "The title"), ("summary", request.summary, "The summary"),
                              ("service", request.service, "The service name"), ("severity", severity, "The severity")):
        error = control_character_error(value, what)
        if error and name not in errors:
            errors[name] = error
    incident_class = ""
    if request.incident_class.strip():
        try:
            incident_class = find_class(policy.classes, request.incident_class).id
        except InvalidCommand as exc:
            errors["incident_class"] = str(exc)
    if errors:
        raise InvalidInput(errors)
    return DeclareRequest(
        team_id=request.team_id, user_id=request.user_id, severity=severity, title=title,
        summary=request.summary.strip(), service=request.service.strip(),
        source_channel_id=request.source_channel_id, links=request.links, automated=request.automated,
        invite=request.invite, incident_class=incident_class,
    )
