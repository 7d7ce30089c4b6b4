"""The alert chat port faked: what the alert use case asked of Slack, recorded."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.alert_ports import AlertGroup
from bot.domain.incident import Incident
from bot.domain.outbox import Outbox


class FakeAlertChat:
    """Records triage messages, alert lines and resolve prompts (the outbox is left alone)."""

    def __init__(self, team_id: str = "T1") -> None:
        self.team_id = team_id
        self.log: list[tuple[str, object]] = []

    def calls(self, name: str) -> list[object]:
        return [arg for n, arg in self.log if n == name]

    async def workspace(self) -> str:
        return self.team_id

    async def post_triage(self, outbox: Outbox, group: AlertGroup) -> None:
        self.log.append(("post_triage", group))

    async def update_triage(self, outbox: Outbox, group: AlertGroup, outcome: str = "",
                            where: tuple[str, str] | None = None) -> None:
        self.log.append(("update_triage", (group, outcome)))

    async def post_alerts(self, outbox: Outbox, incident: Incident, lines: Sequence[str], *, lead: str = "") -> None:
        self.log.append(("post_alerts", (incident.id, list(lines), lead)))

    async def prompt_resolve(self, outbox: Outbox, incident: Incident, mention: str) -> None:
        self.log.append(("prompt_resolve", (incident.id, mention)))
