"""InsightsService: a period's KPIs and one person's App Home, read in a fixed number of queries."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.followup_kpis import FollowUpMonth, followups_by_month
from bot.domain.incident import Incident
from bot.domain.insight_ports import InsightsReader, OwnedFollowUp
from bot.domain.kpis import Insights, TimeKpi, insights
from bot.domain.oncall import OnCall, Rotation
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.trends import WeekKpi, weekly_trends

HOME_PERIOD = timedelta(days=30)
KPI_CACHE = timedelta(seconds=60)  # a workspace's KPIs are read at most once a minute per process
HOME_INCIDENTS = 200  # App Home reads up to this many of the viewer's open incidents, and as many others
# Slack keeps a published Home view; the same view again within this time is not re-published.
REPUBLISH_AFTER = timedelta(minutes=10)
MEMO_SIZE = 10_000


@dataclass(frozen=True)
class PeriodInsights:
    """Every KPI of [since, until): the overall times, by class, recurrence, coverage, weeks, follow-ups."""

    since: datetime
    until: datetime
    incident_class: str | None
    overall: TimeKpi
    open_incidents: int  # of those declared in the period, still open
    insights: Insights
    weeks: list[WeekKpi]
    followups: list[FollowUpMonth]

    @property
    def recurring(self) -> tuple[int, int]:
        """(recurring, classed incidents) over every class."""
        return sum(r.recurring for r in self.insights.recurrence), sum(r.count for r in self.insights.recurrence)


@dataclass(frozen=True)
class Home:
    """What one person's App Home shows."""

    user_id: str
    incidents: list[Incident]  # open: the viewer's (any role) first, then the newest
    open_total: int  # every open incident of the workspace, however many `incidents` lists
    followups: list[OwnedFollowUp]  # the viewer's open follow-ups
    oncall: list[tuple[Rotation, OnCall]]
    kpis: PeriodInsights


def home_period(now: datetime) -> tuple[datetime, datetime]:
    """The last 30 days up to the next full hour: the same period (and chart link) all hour long."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    until = hour + timedelta(hours=1) if hour != now else hour
    return until - HOME_PERIOD, until


class InsightsService:
    """Reads for the KPIs (any period, optionally one class) and App Home."""

    def __init__(self, *, reader: InsightsReader, clock: Clock, policy: Policy,
                 oncall: Callable[[], list[tuple[Rotation, OnCall]]], classes_with_runbook: Collection[str] = ()) -> None:
        self._reader, self._clock, self.policy, self._oncall = reader, clock, policy, oncall
        self._classes_with_runbook = frozenset(classes_with_runbook)  # the classes some runbook says it covers
        self._cache: OrderedDict[tuple[str, datetime, datetime, str | None], tuple[datetime, PeriodInsights]] = (
            OrderedDict())
        self._published: OrderedDict[tuple[str, str], tuple[datetime, str]] = OrderedDict()
        # Set by the composition root when the bot has a public URL (bot/chart_links.py): the chart's image link.
        self.chart_link: Callable[[str, datetime, datetime], str | None] = lambda _team, _since, _until: None

    def now(self) -> datetime:
        """The service's clock (the chart route checks links' expiry by it)."""
        return self._clock.now()

    def chart_url(self, team_id: str, kpis: PeriodInsights) -> str | None:
        """The signed link of `kpis`' weekly chart, or None when the bot has no public URL."""
        return self.chart_link(team_id, kpis.since, kpis.until)

    async def period(self, team_id: str, since: datetime, until: datetime, *,
                     incident_class: str | None = None) -> PeriodInsights:
        """The KPIs of incidents declared in [since, until) from four queries (recurrence looks back the policy's
        recurrence window; open follow-ups older than its overdue limit are overdue)."""
        now, window = self._clock.now(), self.policy.recurrence_window
        records = await self._reader.period(team_id, since, until, lookback=since - window,
                                            overdue_before=now - self.policy.followup_overdue_after,
                                            incident_class=incident_class)
        chosen = [i for i in records.incidents if since <= i.declared_at < until]
        found = insights(records.incidents, records.runs, since=since, until=until, window=window,
                         classes_with_runbook=self._classes_with_runbook)
        return PeriodInsights(
            since=since, until=until, incident_class=incident_class, overall=found.times,
            open_incidents=sum(self.policy.lifecycle.is_open(i.status) for i in chosen), insights=found,
            weeks=weekly_trends(records.incidents, records.runs, records.followup_days, since=since, until=until,
                                window=window),
            followups=followups_by_month(records.followup_days))

    async def cached_period(self, team_id: str, since: datetime, until: datetime) -> PeriodInsights:
        """`period`, reused for a minute: App Home and its chart ask for the same one often."""
        key, now = (team_id, since, until, None), self._clock.now()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < KPI_CACHE:
            return hit[1]
        found = await self.period(team_id, since, until)
        self._cache[key] = (now, found)
        self._cache.move_to_end(key)
        while len(self._cache) > MEMO_SIZE // 100:
            self._cache.popitem(last=False)
        return found

    async def home(self, team_id: str, user_id: str) -> Home:
        """The viewer's App Home: open incidents (theirs first, as the reader returns them, however old) and how many
        are open, their follow-ups, on call now, 30 days' KPIs."""
        open_ids = [s.id for s in self.policy.lifecycle.statuses if not s.closed]
        records = await self._reader.home(team_id, user_id, open_ids, limit=HOME_INCIDENTS)
        since, until = home_period(self._clock.now())
        return Home(user_id=user_id, incidents=records.open_incidents, open_total=records.open_total,
                    followups=records.followups, oncall=self._oncall(),
                    kpis=await self.cached_period(team_id, since, until))

    def should_publish(self, team_id: str, user_id: str, digest: str) -> bool:
        """False when this very view was published to this person within REPUBLISH_AFTER; records it otherwise.

        Slack keeps a published Home view, so publishing the same one again spends views.publish's rate limit
        for nothing: people open the Home tab far more often than what it shows changes."""
        key, now = (team_id, user_id), self._clock.now()
        last = self._published.get(key)
        if last is not None and last[1] == digest and now - last[0] < REPUBLISH_AFTER:
            return False
        self._published[key] = (now, digest)
        self._published.move_to_end(key)
        while len(self._published) > MEMO_SIZE:
            self._published.popitem(last=False)
        return True

    def forget_published(self, team_id: str, user_id: str) -> None:
        """The publish failed: the next open tries again."""
        self._published.pop((team_id, user_id), None)
