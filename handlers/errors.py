"""The one error handler: known errors shown to the user, unknown ones as a ref that is in the log."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import InfrastructureError, InvalidInput, UserError
from handlers.surface import Surface

log = structlog.get_logger(__name__)


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id") or (body.get("event") or {}).get("user")


def message_for(error: BaseException) -> tuple[str, str | None]:
    """The text to show for `error` and, for unexpected errors, the ref that is logged with it."""
    if isinstance(error, InvalidInput):
        return "\n".join(error.errors.values()), None
    if isinstance(error, UserError):
        return str(error), None
    ref = uuid.uuid4().hex[:8]
    if isinstance(error, InfrastructureError):
        return f":warning: {error} (ref {ref})", ref
    return f":boom: Something went wrong (ref {ref}). Nothing more was changed; try again or tell your Warroom admins the ref.", ref


async def deliver(text: str, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient) -> None:
    """Show `text` to the person who triggered the request, ephemerally where Slack allows."""
    if body.get("response_url") or body.get("response_urls"):
        if respond is not None:
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
    user_id = _user_id(body)
    if user_id:
        await client.chat_postMessage(channel=user_id, text=text)


def register(surface: Surface) -> None:
    """Install the app-wide error handler."""

    @surface.app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        text, ref = message_for(error)
        if ref is None:
            log.info("user_error", error=type(error).__name__, message=str(error))
        elif isinstance(error, InfrastructureError):
            log.warning("infrastructure_error", ref=ref, error=type(error).__name__, message=str(error),
                        cause=repr(error.__cause__))
        else:
            log.error("unhandled_error", ref=ref, exc_info=error)
        try:
            await deliver(text, body, respond, client)
        except (SlackApiError, OSError) as exc:
            log.warning("error_report_failed", ref=ref, error=repr(exc))
