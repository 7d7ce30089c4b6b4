"""Answer a command inside its ack when the answer is quick, else ack at once and answer after."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

# Slack wants the ack within 3 s; a read that is not done by then is answered through response_url.
PRE_ACK_SECONDS = 1.5

Answer = tuple[str, list[dict[str, Any]]]


async def answer_in_ack(ack: AsyncAck, respond: AsyncRespond, work: Awaitable[Answer]) -> None:
    """Put `work`'s (text, blocks) in the ack, or ack "Working on it…" and respond when it is done.

    The work runs in the listener's own task: handing it to a new task costs a turn of the event loop
    each way, which on a busy loop is most of a quick answer's wait. Only a slow answer starts a task,
    for the interim ack, from a timer.
    """
    interim: asyncio.Task[Any] | None = None

    def too_slow() -> None:
        nonlocal interim
        interim = asyncio.ensure_future(ack(response_type="ephemeral", text="Working on it…"))

    timer = asyncio.get_running_loop().call_later(PRE_ACK_SECONDS, too_slow)
    try:
        text, blocks = await work
    finally:
        timer.cancel()
        if interim is not None:
            await interim  # the interim ack is out before the answer replaces it (or the error is answered)
    if interim is None:
        await ack(response_type="ephemeral", text=text, blocks=blocks)
        return
    await respond(response_type="ephemeral", replace_original=True, text=text, blocks=blocks)  # "Working on it…" goes


async def within_ack_time(work: Awaitable[Any], default: Any) -> Any:
    """`work`'s result, or `default` when it takes longer than the ack allows."""
    try:
        return await asyncio.wait_for(work, PRE_ACK_SECONDS)
    except TimeoutError:
        return default
