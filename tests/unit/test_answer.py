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


async def test_a_quick_answer_goes_in_the_ack_and_is_worked_out_in_the_listeners_own_task() -> None:
    said, listener = [], asyncio.current_task()
    ran_in: list[asyncio.Task[Any] | None] = []

    async def ack(**kw: Any) -> None:
        said.append(("ack", kw))

    async def respond(**kw: Any) -> None:
        said.append(("respond", kw))

    async def quick() -> answer.Answer:
        ran_in.append(asyncio.current_task())
        return "1 open incident", [{"type": "divider"}]

    await answer.answer_in_ack(ack, respond, quick())  # type: ignore[arg-type]
    assert ran_in == [listener]
    assert said == [("ack", {"response_type": "ephemeral", "text": "1 open incident", "blocks": [{"type": "divider"}]})]


async def test_a_slow_answer_that_fails_has_its_interim_ack_out_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer, "PRE_ACK_SECONDS", 0.01)
    acked = asyncio.Event()

    async def ack(**kw: Any) -> None:
        acked.set()

    async def respond(**kw: Any) -> None:
        raise AssertionError("nothing to respond with")

    async def failing() -> answer.Answer:
        await acked.wait()
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError, match="database gone"):
        await answer.answer_in_ack(ack, respond, failing())  # type: ignore[arg-type]
    assert acked.is_set()
