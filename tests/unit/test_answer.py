"""A command answered after its ack replaces the interim "Working on it…" instead of adding to it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from handlers import answer


async def test_a_slow_answer_replaces_the_working_on_it_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer, "PRE_ACK_SECONDS", 0.01)
    acked, said = asyncio.Event(), []

    async def ack(**kw: Any) -> None:
        said.append(("ack", kw))
        acked.set()

    async def respond(**kw: Any) -> None:
        said.append(("respond", kw))

    async def slow() -> answer.Answer:
        await acked.wait()  # done only after the ack went out
        return "2 open incidents", []

    await answer.answer_in_ack(ack, respond, slow())  # type: ignore[arg-type]
    assert said == [("ack", {"response_type": "ephemeral", "text": "Working on it…"}),
                    ("respond", {"response_type": "ephemeral", "replace_original": True,
                                 "text": "2 open incidents", "blocks": []})]
