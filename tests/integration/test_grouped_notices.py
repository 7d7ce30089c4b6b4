"""Grouped notices in the SQL outbox (SQLite and PostgreSQL): notices of one group waiting in one
channel go out as one message when the first one's turn comes; each exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.grouping import COUNT, Notice
from bot.domain.outbox import CallState, OutboundCall
from store.engine import session_factory
from store.outbox import SqlOutboxStore
from store.uow import SqlUnitOfWork

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=60)
HEADING = f":rotating_light: {COUNT} SEV1 incidents have no incident commander:"


def _notice(n: int, channel: str = "CONCALL", key: str = "response_target/SEV1") -> OutboundCall:
    return OutboundCall(team_id="T1", method="chat.postMessage",
                        params={"channel": channel, "text": f"INC-{n} has no incident commander <#C{n}>"},
                        notice=Notice(key=key, heading=HEADING, line=f"INC-{n} <#C{n}>"))


async def _queue(engine: AsyncEngine, *calls: OutboundCall) -> None:
    async with SqlUnitOfWork(session_factory(engine), now=lambda: NOW) as uow:
        for call in calls:
            uow.outbox.put(call)
        await uow.commit()


async def test_notices_waiting_in_one_channel_go_out_as_one_message(engine: AsyncEngine) -> None:
    for n in range(1, 13):  # twelve incidents missed their response target, each in its own transaction
        await _queue(engine, _notice(n))
    store = SqlOutboxStore(session_factory(engine))
    [message] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    lines = message.params["text"].splitlines()
    assert lines[0] == ":rotating_light: 12 SEV1 incidents have no incident commander:"
    assert lines[1:] == [f"• INC-{n} <#C{n}>" for n in range(1, 13)]
    states = [state for _, state in await store.calls("T1")]
    assert states == [CallState.PENDING] + [CallState.MERGED] * 11  # the first carries them all, leased
    await store.claim_heads(NOW, LEASE, 10, frozenset(), delivered=[(message, "1.0001")])
    assert await store.backlog() == 0
    assert await store.claim_heads(NOW, LEASE, 10, frozenset()) == []  # none of the twelve goes out again


async def test_a_notice_alone_goes_out_as_it_was_written(engine: AsyncEngine) -> None:
    await _queue(engine, _notice(1))
    store = SqlOutboxStore(session_factory(engine))
    [message] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    assert message.params["text"] == "INC-1 has no incident commander <#C1>"


async def test_only_notices_of_the_same_group_and_channel_are_grouped(engine: AsyncEngine) -> None:
    await _queue(engine, _notice(1), _notice(2, key="escalation/SEV1/1"), _notice(3, channel="CLEADERS"),
                 _notice(4))
    store = SqlOutboxStore(session_factory(engine))
    heads = await store.claim_heads(NOW, LEASE, 10, frozenset())
    by_channel = {c.params["channel"]: c.params["text"] for c in heads}
    assert by_channel["CONCALL"].splitlines()[1:] == ["• INC-1 <#C1>", "• INC-4 <#C4>"]
    assert by_channel["CLEADERS"] == "INC-3 has no incident commander <#C3>"
    [escalation] = await store.claim_heads(NOW, LEASE, 10, frozenset(), delivered=[(c, "1.1") for c in heads])
    assert escalation.params["text"] == "INC-2 has no incident commander <#C2>"  # its own group: its own turn


async def test_a_notice_that_may_have_reached_slack_already_is_never_regrouped(engine: AsyncEngine) -> None:
    await _queue(engine, _notice(1))
    store = SqlOutboxStore(session_factory(engine))
    [first] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    await store.retry(first, NOW, "timeout", True)  # the post may have gone out as written
    await _queue(engine, _notice(2))
    [again] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    assert again.id == first.id and again.uncertain
    assert again.params["text"] == "INC-1 has no incident commander <#C1>"
    [second] = await store.claim_heads(NOW, LEASE, 10, frozenset(), delivered=[(again, "1.2")])
    assert second.params["text"] == "INC-2 has no incident commander <#C2>"
