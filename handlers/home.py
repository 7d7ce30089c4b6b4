"""App Home: `app_home_opened` publishes the viewer's Home tab (views.publish), unless it would be the same view
Slack already shows them (InsightsService.should_publish)."""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.container import Services
from handlers.home_blocks import home_view, view_digest
from handlers.surface import Surface

log = structlog.get_logger(__name__)


def register(surface: Surface, services: Services) -> None:
    """Register app_home_opened (no scope of its own: views.publish needs none beyond the bot token)."""
    insights = services.insights
    if insights is None:
        return

    @surface.event("app_home_opened")
    async def app_home_opened(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any],
                              client: AsyncWebClient) -> None:
        await ack()
        if event.get("tab", "home") != "home":  # the Messages tab opens this event too
            return
        team_id, user_id = body["team_id"], event["user"]
        home = await insights.home(team_id, user_id)
        view = home_view(home, insights.chart_url(team_id, home.kpis), services.policy.classes)
        if not insights.should_publish(team_id, user_id, view_digest(view)):
            log.debug("home_unchanged", user=user_id)
            return
        try:
            await client.views_publish(user_id=user_id, view=view)
        except Exception:
            insights.forget_published(team_id, user_id)  # the next open publishes again
            raise
