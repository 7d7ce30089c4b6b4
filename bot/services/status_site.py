"""The status page as it is now, built from the public records, and written out whole after each change."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWorkFactory
from bot.domain.status_page import HISTORY_DAYS, Page, PublicRecord, SitePublisher, build_page
from bot.domain.status_policy import components_of

log = structlog.get_logger(__name__)


class StatusSite:
    """Builds the page from the store and hands it to the site publisher (one build at a time)."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, policy: Policy,
                 publisher: SitePublisher | None) -> None:
        self._uow, self._clock, self._policy, self._publisher = uow, clock, policy, publisher
        self._lock = asyncio.Lock()  # read and write together: a later build never loses to an earlier one

    @property
    def publishing(self) -> bool:
        """A site is written (status_page.dir is set)."""
        return self._publisher is not None

    async def page(self) -> Page:
        """The page now: every public incident of the last 90 days with its updates, the catalog's components."""
        now = self._clock.now()
        async with self._uow() as uow:
            found = await uow.status_page.records(now - timedelta(days=HISTORY_DAYS))
            manual = await uow.status_page.manual()
            records = []
            for public, updates in found:
                incident = await uow.incidents.get(public.team_id, public.incident_id)
                due = incident.next_update_due(self._policy) if incident is not None else None
                records.append(PublicRecord(public, updates, due))
        settings = self._policy.status_page
        return build_page(settings.page, components_of(self._policy.catalog, settings), records, manual, now)

    async def rebuild(self) -> Page | None:
        """Write the whole site for the page as it is now (None when no site is configured)."""
        if self._publisher is None:
            return None
        async with self._lock:
            page = await self.page()
            try:
                await self._publisher.publish(page)
            except OSError as exc:  # what was published is stored: the next publish or the hourly build writes it
                log.error("status_page_not_written", error=f"{type(exc).__name__}: {exc}")
                return None
        log.info("status_page_built", incidents=len(page.incidents), unresolved=len(page.unresolved),
                 indicator=page.indicator)
        return page
