"""The one error handler: known errors shown to the user, unknown ones as a ref that is in the log."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.commits import CommitCount
from bot.domain.errors import (
    InfrastructureError,
    InvalidInput,
    StorageUnavailable,
    TransactionConflict,
    UserError,
)
from bot.domain.redaction import Redactor
from handlers.dedupe import go_ahead

log = structlog.get_logger(__name__)
# Infrastructure errors can quote a library's error text (a URL, a response body): keep credentials out of Slack.
_SHOWN = Redactor()


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id") or (body.get("event") or {}).get("user")


def message_for(error: BaseException, *, saved: bool = False) -> tuple[str, str | None]:
    """The text to show for `error` and, for unexpected errors, the ref that is logged with it.

    `saved`: the request committed something before the error (a step after the change failed), so
    it must not be reported as "not saved".
    """
    if isinstance(error, InvalidInput):
        return "\n".join(error.errors.values()), None
    if isinstance(error, UserError):
        return str(error), None
    ref = uuid.uuid4().hex[:8]
    if saved and isinstance(error, InfrastructureError):
        return (f":warning: Saved, but a step after it failed: {_after_saving(error)} Check the channel before "
                f"trying again. (ref {ref})"), ref
    if isinstance(error, StorageUnavailable):  # the transaction that failed was rolled back, not half-written
        return f":warning: Not saved: the database is unreachable. Try again in a minute. (ref {ref})", ref
    if isinstance(error, TransactionConflict):  # lost the race on every attempt; each one was rolled back
        return f":warning: Not saved: {_SHOWN.scrub(str(error))} (ref {ref})", ref
    if isinstance(error, InfrastructureError):
        return f":warning: {_SHOWN.scrub(str(error))} (ref {ref})", ref
    return (f":boom: Something went wrong (ref {ref}). Check the channel and `/incident list` to see what was done "
            f"before trying again, and tell your Warroom admins the ref."), ref


def _after_saving(error: InfrastructureError) -> str:
    if isinstance(error, StorageUnavailable):
        return "the database became unreachable."
    if isinstance(error, TransactionConflict):
        return "another change was being saved at the same moment."
    return _SHOWN.scrub(str(error)).rstrip(".") + "."


async def deliver(text: str, body: dict[str, Any], respond: AsyncRespond | None, client: AsyncWebClient) -> None:
    """Show `text` to the person who triggered the request, ephemerally where Slack allows."""
    if body.get("response_url") or body.get("response_urls"):
        if respond is not None:
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
    user_id = _user_id(body)
    if user_id:
        await client.chat_postMessage(channel=user_id, text=text)


async def report_error(error: Exception, body: dict[str, Any], respond: AsyncRespond | None,
                       client: AsyncWebClient, *, saved: bool = False, show: bool = True) -> tuple[str, str | None]:
    """Log `error` and show the person who caused it what happened (with a ref when unexpected), unless `show`
    is False (the caller shows it); `saved`: the request had committed something before it failed."""
    text, ref = message_for(error, saved=saved)
    if ref is None:
        log.info("user_error", error=type(error).__name__, message=str(error))
    elif isinstance(error, InfrastructureError):
        log.warning("infrastructure_error", ref=ref, error=type(error).__name__, message=str(error),
                    cause=repr(error.__cause__), saved=saved)
    else:
        log.error("unhandled_error", ref=ref, exc_info=error)
    if not show:
        return text, ref
    try:
        await deliver(text, body, respond, client)
    except (SlackApiError, OSError) as exc:
        log.warning("error_report_failed", ref=ref, error=repr(exc))
    return text, ref


def _first_input(view: dict[str, Any] | None) -> str | None:
    """The block id of a form's first input, where an error that stopped its submission is shown."""
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("block_id"), str):
            return str(block["block_id"])
    return None


Listener = Callable[..., Awaitable[None]]


class InFlight:
    """Counts listener runs still working after their ack, so shutdown can let them finish."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def __enter__(self) -> None:
        self._running += 1
        self._idle.clear()

    def __exit__(self, *_exc: object) -> None:
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    @property
    def running(self) -> int:
        """Listener runs in progress."""
        return self._running

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no listener runs; False if some still run after `timeout` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


def guard(listener: Listener, in_flight: InFlight) -> Listener:
    """Wrap a listener so every error is acked and reported by `report_error`.

    Bolt's own error path races with ack(): an error raised right after ack() can turn the
    response into a 404 "unhandled request". Catching here keeps the ack and reports once.
    """
    wanted = inspect.getfullargspec(listener).args

    async def guarded(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient,
                      payload: dict[str, Any], command: dict[str, Any] | None, action: dict[str, Any] | None,
                      view: dict[str, Any] | None, event: dict[str, Any] | None, context: Any,
                      say: Any, logger: Any) -> None:
        available = {"ack": ack, "body": body, "respond": respond, "client": client, "payload": payload,
                     "command": command, "action": action, "view": view, "event": event, "context": context,
                     "say": say, "logger": logger}
        with in_flight, CommitCount() as commits:
            try:
                if await go_ahead(context, ack):  # a redelivery or a replay is acked as one, and not handled
                    await listener(**{name: available[name] for name in wanted})
            except Exception as exc:  # noqa: BLE001 - the one place every listener error is reported
                field = _first_input(view) if ack.response is None and body.get("type") == "view_submission" else None
                if field is not None:  # the form stays open with what was typed, the error shown in it
                    text, _ = await report_error(exc, body, respond, client, saved=commits.saved, show=False)
                    await ack(response_action="errors", errors={field: text})
                    return
                if ack.response is None:
                    await ack()
                await report_error(exc, body, respond, client, saved=commits.saved)

    guarded.__name__ = getattr(listener, "__name__", "listener")
    return guarded


def register(app: AsyncApp) -> None:
    """Install the app-wide error handler for errors outside listeners (middleware)."""

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await report_error(error, body, respond, client)
