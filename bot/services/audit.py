"""AuditService: verify the audit log's hash chains and export an incident's audit events."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from bot.domain.audit_chain import ChainReport, verify_all
from bot.domain.errors import InvalidCommand
from bot.domain.incident import AuditEvent, Incident
from bot.domain.repositories import UnitOfWorkFactory

EXPORT_FORMATS = ("json", "csv")
EXPORT_COLUMNS = ("seq", "at", "actor", "action", "before", "after", "prev_hash", "hash")


class AuditService:
    """Read-only use cases over the audit log."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def verify(self, team_id: str | None = None) -> ChainReport:
        """Walk the chain of one workspace (of every workspace when `team_id` is None)."""
        async with self._uow() as uow:
            teams = [team_id] if team_id is not None else await uow.audit.teams()
            chains = [await uow.audit.chain(team) for team in teams]
        return verify_all(chains)

    async def export(self, incident: Incident, fmt: str) -> str:
        """The incident's audit events in chain order, as JSON or CSV."""
        if fmt not in EXPORT_FORMATS:
            raise InvalidCommand(f"`{fmt}` is not an audit export format; use `json` or `csv`.")
        async with self._uow() as uow:
            events = await uow.audit.list_for(incident.team_id, incident.id)
        events = sorted(events, key=lambda e: (e.seq or 0, e.id or 0))
        return audit_json(incident, events) if fmt == "json" else audit_csv(events)


def _row(event: AuditEvent) -> dict[str, object]:
    return {"seq": event.seq, "at": event.at.isoformat(), "actor": event.actor, "action": event.action,
            "before": event.before, "after": event.after, "prev_hash": event.prev_hash, "hash": event.hash}


def audit_json(incident: Incident, events: Sequence[AuditEvent]) -> str:
    """The events as one JSON document naming the workspace and the incident."""
    document = {"team_id": incident.team_id, "incident": f"INC-{incident.number}",
                "events": [_row(e) for e in events]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def audit_csv(events: Sequence[AuditEvent]) -> str:
    """The events as CSV with a header row; before and after are compact JSON."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for event in events:
        row = _row(event)
        for name in ("before", "after"):
            row[name] = json.dumps(row[name], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        writer.writerow(row)
    return out.getvalue()
