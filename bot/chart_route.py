"""`GET /charts/kpis.png?...`: the weekly KPI chart of a signed, unexpired link (bot/chart_links.py), drawn when
asked for (never while App Home is published) in a worker thread, so the event loop keeps serving Slack."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

import structlog
from aiohttp import web

from bot.chart_links import CHART_PATH, ChartLinks, ChartRequest
from bot.charts import weekly_chart
from bot.domain.errors import StorageUnavailable
from bot.services.insights import KPI_CACHE, InsightsService

log = structlog.get_logger(__name__)
DRAWN_KEEP = 32  # charts kept drawn: Slack's image proxy fetches a link once per viewer at most


def add_chart_routes(app: web.Application, links: ChartLinks, insights: InsightsService) -> None:
    """Serve the weekly chart of a valid link; a wrong or expired link is refused (403)."""
    drawn: OrderedDict[ChartRequest, tuple[float, bytes]] = OrderedDict()

    async def chart(request: web.Request) -> web.StreamResponse:
        wanted = links.check(request.query, insights.now())
        if wanted is None:
            log.debug("chart_link_refused")
            raise web.HTTPForbidden(text="This chart link is wrong or has expired.")
        hit = drawn.get(wanted)
        if hit is None or time.monotonic() - hit[0] > KPI_CACHE.total_seconds():
            try:
                kpis = await insights.cached_period(wanted.team_id, wanted.since, wanted.until)
            except StorageUnavailable:
                raise web.HTTPServiceUnavailable(text="The database is unavailable; try again.") from None
            hit = (time.monotonic(), await asyncio.to_thread(weekly_chart, kpis.weeks, "png"))
            drawn[wanted] = hit
            while len(drawn) > DRAWN_KEEP:
                drawn.popitem(last=False)
        return web.Response(body=hit[1], content_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    app.router.add_get(CHART_PATH, chart)
