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
    """Put `work`'s (text, blocks) in the ack, or ack "Working on it…" and respond when it is done."""
    task = asyncio.ensure_future(work)
    try:
        text, blocks = await asyncio.wait_for(asyncio.shield(task), PRE_ACK_SECONDS)
    except TimeoutError:
        await ack(response_type="ephemeral", text="Working on it…")
        text, blocks = await task
        await respond(response_type="ephemeral", replace_original=True, text=text, blocks=blocks)  # "Working on it…" goes
        return
    await ack(response_type="ephemeral", text=text, blocks=blocks)


async def within_ack_time(work: Awaitable[Any], default: Any) -> Any:
    """`work`'s result, or `default` when it takes longer than the ack allows."""
    try:
        return await asyncio.wait_for(work, PRE_ACK_SECONDS)
    except TimeoutError:
        return default
