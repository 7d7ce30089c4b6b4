"""The Slack Web API clients Warroom builds from its settings."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings


def create_web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: honours SLACK_API_URL and retries 429 (Retry-After), 5xx and network errors."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_sender_client(settings: Settings) -> AsyncWebClient:
    """The outbox sender's client: no retry handlers, because the sender keeps its retries in the database."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=int(max(1, settings.slack_timeout_seconds)),
                          retry_handlers=[])
