"""The outbox in SQL, on SQLite and PostgreSQL: calls of a unit of work, lane order, coalescing, anchors, leases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.incident import NewIncident
from bot.domain.outbox import OutboundCall, card_anchor
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.outbox import OutboxRow, SqlOutboxStore
from store.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=60)


def _post(channel: str, text: str, **kw: object) -> OutboundCall:
    return OutboundCall(team_id="T1", method="chat.postMessage", params={"channel": channel, "text": text}, **kw)  # type: ignore[arg-type]


class Woken:
    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> None:
        self.times += 1


async def _queue(sessions: async_sessionmaker[AsyncSession], *calls: OutboundCall,
                 wake: Callable[[], None] | None = None) -> None:
    """Queue `calls` in a unit of work of their own and commit it."""
    async with SqlUnitOfWork(sessions, now=lambda: NOW, wake=wake) as uow:
        for call in calls:
            uow.outbox.put(call)
        await uow.commit()


async def test_calls_queued_in_a_unit_of_work_commit_with_it_and_wake_the_sender_once(engine: AsyncEngine) -> None:
    sessions, woken = session_factory(engine), Woken()
    store = SqlOutboxStore(sessions)
    async with SqlUnitOfWork(sessions, now=lambda: NOW, wake=woken) as uow:
        uow.outbox.put(_post("C1", "first"))
        uow.outbox.put(_post("C1", "second"))
        assert woken.times == 0 and await store.backlog() == 0, "nothing is stored or sent before the change commits"
        await uow.commit()
    assert woken.times == 1 and await store.backlog() == 2


async def test_calls_queued_in_a_unit_of_work_that_rolls_back_are_never_sent(engine: AsyncEngine) -> None:
    sessions, woken = session_factory(engine), Woken()
    async with SqlUnitOfWork(sessions, wake=woken) as uow:
        uow.outbox.put(_post("C1", "never"))
    assert woken.times == 0 and await SqlOutboxStore(sessions).backlog() == 0


async def test_a_unit_of_work_that_queued_nothing_does_not_wake_the_sender(engine: AsyncEngine) -> None:
    sessions, woken = session_factory(engine), Woken()
    async with SqlUnitOfWork(sessions, wake=woken) as uow:
        await uow.incidents.allocate_number("T1")
        await uow.commit()
    assert woken.times == 0


async def test_a_call_queued_after_its_unit_of_work_ended_is_refused_not_lost(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        await uow.commit()
    with pytest.raises(RuntimeError, match="after its unit of work ended"):
        uow.outbox.put(_post("C1", "too late"))


async def test_each_lane_gives_its_oldest_call_and_the_next_only_after_it_is_sent(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    store = SqlOutboxStore(sessions)
    await _queue(sessions, _post("C1", "a1"), _post("C1", "a2"), _post("C2", "b1"))
    heads = await store.claim_heads(NOW, LEASE, 10, frozenset())
    assert [c.params["text"] for c in heads] == ["a1", "b1"]
    assert await store.claim_heads(NOW, LEASE, 10, frozenset()) == [], "leased heads hold their lanes"
    await store.sent(heads[0], "1.1", NOW)
    [next_one] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    assert next_one.params["text"] == "a2"


async def test_a_call_waiting_for_a_retry_holds_back_the_rest_of_its_lane(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    store = SqlOutboxStore(sessions)
    await _queue(sessions, _post("C1", "a1"))
    await _queue(sessions, _post("C1", "a2"))
    [head] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    await store.retry(head, NOW + timedelta(seconds=30), "HTTP 500", False)
    assert await store.claim_heads(NOW, LEASE, 10, frozenset()) == []
    [again] = await store.claim_heads(NOW + timedelta(seconds=31), LEASE + timedelta(seconds=31), 10, frozenset())
    assert again.params["text"] == "a1" and again.attempts == 1


async def test_queued_card_updates_coalesce_into_the_latest(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    store = SqlOutboxStore(sessions)
    for status in ("identified", "monitoring", "resolved"):
        await _queue(sessions, OutboundCall(team_id="T1", method="chat.update", coalesce_key="card/T1/1",
                                            params={"channel": "C1", "ts": "1.1", "text": status}))
    [only] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    assert only.params["text"] == "resolved"
    states = [state for _, state in await store.calls("T1")]
    assert states == ["superseded", "superseded", "pending"]


async def test_a_sent_card_records_its_ts_on_the_incident_for_later_updates(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with SqlUnitOfWork(sessions) as uow:
        incident = await uow.incidents.add(NewIncident(team_id="T1", number=1, title="Imports failing",
                                                       severity="SEV1", status="investigating", declared_by="U1",
                                                       declared_at=NOW))
        await uow.commit()
    store = SqlOutboxStore(sessions)
    await _queue(sessions, _post("C1", "card", anchor=card_anchor("T1", incident.id)))
    [card] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    assert await store.anchor_ts("T1", card_anchor("T1", incident.id)) is None
    await store.sent(card, "1700000000.000100", NOW)
    assert await store.anchor_ts("T1", card_anchor("T1", incident.id)) == "1700000000.000100"
    async with SqlUnitOfWork(sessions) as uow:
        stored = await uow.incidents.get("T1", incident.id)
    assert stored is not None and stored.card_ts == "1700000000.000100"


async def test_a_call_whose_sender_died_is_taken_again_as_uncertain(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    store = SqlOutboxStore(sessions)
    await _queue(sessions, _post("C1", "maybe sent"))
    [first] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    assert not first.uncertain
    later = LEASE + timedelta(seconds=1)
    [again] = await store.claim_heads(later, later + timedelta(seconds=60), 10, frozenset())
    assert again.id == first.id and again.uncertain, "it may have reached Slack: look before posting"


async def test_two_senders_claiming_at_once_never_take_the_same_call(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    await _queue(sessions, *(_post(f"C{n}", f"m{n}") for n in range(40)))
    one, two = SqlOutboxStore(sessions), SqlOutboxStore(session_factory(engine))
    first, second = await asyncio.gather(one.claim_heads(NOW, LEASE, 25, frozenset()),
                                         two.claim_heads(NOW, LEASE, 25, frozenset()))
    ids = [c.id for c in first + second]
    assert len(ids) == len(set(ids)) == 40


async def test_a_call_stored_after_the_prune_gets_a_tag_no_earlier_call_had(engine: AsyncEngine) -> None:
    """SQLite hands a pruned id out again; the tag a posted message carries is never handed out twice."""
    sessions = session_factory(engine)
    store = SqlOutboxStore(sessions)
    await _queue(sessions, _post("C1", "before"))
    [before] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    await store.sent(before, "1.1", NOW)
    assert await store.prune(NOW + timedelta(days=1)) == 1
    await _queue(sessions, _post("C1", "after"))
    [after] = await store.claim_heads(NOW, LEASE, 10, frozenset())
    assert before.tag and after.tag and after.tag != before.tag


async def test_the_migration_tags_calls_stored_before_it_with_their_id(database_url: str) -> None:
    """A call queued by the previous version keeps the tag its message may already carry (its id)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0010")
        columns = OutboxRow.__table__.c  # type: ignore[attr-defined]
        async with engine.begin() as conn:  # the columns of 0010: no tag yet
            await conn.execute(insert(OutboxRow.__table__).values({  # type: ignore[attr-defined]
                columns.id: 7, columns.team_id: "T1", columns.lane: "T1/C1", columns.method: "chat.postMessage",
                columns.params: '{"channel":"C1","text":"queued"}', columns.ts_param: "ts", columns.state: "pending",
                columns.attempts: 0, columns.uncertain: False, columns.created_at: NOW,
                columns.next_attempt_at: NOW, columns.error: ""}))
        await upgrade(engine)
        [(call, state)] = await SqlOutboxStore(session_factory(engine)).calls("T1")
        assert (call.id, call.tag, state) == (7, "7", "pending")
    finally:
        await engine.dispose()
