"""The ProfileLookup port over Slack's users.info: the name people see for a user id."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import ChatUnavailable


class SlackProfiles:
    """Reads names with users.info (scope users:read)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def display_name(self, team_id: str, user_id: str) -> str | None:
        """Slack's own order: the display name, else the full name, else the handle."""
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error") if exc.response is not None else "unknown_error"
            if error in ("user_not_found", "user_not_visible"):
                return None
            raise ChatUnavailable(f"Slack refused users.info: {error}") from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ChatUnavailable(f"Slack could not be asked for a name: {exc.__class__.__name__}") from exc
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
            if name and str(name).strip():
                return str(name).strip()
        return None
