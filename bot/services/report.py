"""ReportService: reads what the operations report needs (the insights' six queries per workspace) and builds it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bot.domain.classes import find_class
from bot.domain.errors import InvalidCommand
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.report import Report, ReportData, build_report
from bot.domain.repositories import UnitOfWorkFactory
from bot.domain.stats import parse_period


class ReportService:
    """The operations review of a period, for some or all workspaces."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, policy: Policy,
                 classes_with_runbook: Collection[str] = (), runbook_ids: Collection[str] = ()) -> None:
        self._uow, self._clock, self.policy = uow, clock, policy
        self._classes_with_runbook = frozenset(classes_with_runbook)  # the classes some runbook says it covers
        self._runbook_ids = frozenset(runbook_ids)  # the runbooks the bot loads (the top alerts' coverage)

    async def gather(self, teams: Sequence[str], since: datetime, until: datetime,
                     incident_class: str | None = None) -> tuple[tuple[str, ...], ReportData]:
        """The workspaces read (all of them when `teams` is empty) and their data for the period [since, until)
        (of `incident_class`'s incidents only, when given): the insights' six queries per workspace."""
        data = ReportData(incidents=[], runs=[], followup_days=[])
        overdue_before = self._clock.now() - self.policy.followup_overdue_after
        async with self._uow() as uow:
            chosen = tuple(teams) or tuple(await uow.incidents.workspaces())
            for team in chosen:
                # Recurrence looks back one window before the period for the earlier incident of a class.
                records = await uow.insights.period(team, since, until, lookback=since - self.policy.recurrence_window,
                                                    overdue_before=overdue_before, incident_class=incident_class,
                                                    alerts=True)
                data.incidents.extend(records.incidents)
                data.runs.extend(records.runs)
                data.followup_days.extend(records.followup_days)
                data.groups.update(records.groups)
                data.alert_sources.update(records.alert_sources or {})
        return chosen, data

    async def report(self, since_text: str, *, teams: Sequence[str] = (), incident_class: str | None = None) -> Report:
        """The report of incidents declared in the period, limited to one class when given (its id or label)."""
        now = self._clock.now()
        try:
            since, until, label = parse_period(since_text, now=now)
        except InvalidCommand as exc:
            raise InvalidCommand(f"--since {since_text.strip()[:40]!r}: {exc}") from exc
        try:
            chosen_class = find_class(self.policy.classes, incident_class).id if incident_class is not None else None
        except InvalidCommand as exc:
            raise InvalidCommand(f"--class: {exc}") from exc
        chosen, data = await self.gather(teams, since, until, chosen_class)
        return build_report(data, since=since, until=until, label=label, now=now, policy=self.policy, teams=chosen,
                            incident_class=chosen_class, classes_with_runbook=self._classes_with_runbook,
                            runbook_ids=self._runbook_ids, window=self.policy.recurrence_window,
                            overdue_after=self.policy.followup_overdue_after)
