"""The audit hash chain: hashing, linking and verification over plain records."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.domain.audit_chain import (
    GENESIS,
    AuditChain,
    ChainHead,
    ProblemKind,
    canonical,
    head_of,
    link,
    record_hash,
    verify_all,
    verify_chain,
)
from bot.domain.errors import InvalidCommand
from bot.domain.incident import AuditEvent, Incident
from bot.services.audit import AuditService
from tests.fakes.store import FakeUnitOfWork, MemoryDB

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def _events(n: int, team: str = "T1") -> list[AuditEvent]:
    return [AuditEvent(team_id=team, actor=f"U{i}", action=f"incident.step{i}", at=NOW + timedelta(minutes=i),
                       incident_id=7, before={"status": "investigating"}, after={"status": f"s{i}"})
            for i in range(1, n + 1)]


def _chain(n: int, team: str = "T1") -> AuditChain:
    """`n` records linked the way the log appends them, ids 101, 102..."""
    head, records = ChainHead.start(team), []
    for i, event in enumerate(_events(n, team), start=1):
        record = replace(link(event, head), id=100 + i)
        records.append(record)
        head = head_of(record)
    return AuditChain(team, tuple(records), head)


def _kinds(chain: AuditChain) -> list[tuple[int, ProblemKind]]:
    return [(p.seq, p.kind) for p in verify_chain(chain)]


def test_records_are_numbered_from_one_and_each_points_at_the_hash_before_it() -> None:
    chain = _chain(3)
    assert [r.seq for r in chain.records] == [1, 2, 3]
    assert chain.records[0].prev_hash == GENESIS == "0" * 64
    assert [r.prev_hash for r in chain.records[1:]] == [r.hash for r in chain.records[:-1]]
    assert all(len(r.hash or "") == 64 for r in chain.records)


def test_an_intact_chain_has_no_problems() -> None:
    assert verify_chain(_chain(5)) == []


def test_an_empty_workspace_has_no_problems() -> None:
    assert verify_chain(AuditChain("T1", (), None)) == []


def test_the_canonical_form_is_sorted_compact_json_with_utc_times() -> None:
    event = AuditEvent(team_id="T1", actor="U1", action="a", at=datetime(2026, 11, 22, 15, 0, tzinfo=timezone(timedelta(hours=1))),
                       before={"b": 1, "a": [1, 2]}, after={})
    text = canonical(event, seq=1, prev_hash=GENESIS).decode()
    assert text.startswith('{"action":"a","actor":"U1","after":{},"at":"2026-11-22T14:00:00.000000+00:00",'
                           '"before":{"a":[1,2],"b":1},"incident_id":null,"prev_hash":"000')
    assert " " not in text


def test_the_hash_is_the_same_after_a_json_round_trip_of_before_and_after() -> None:
    event = AuditEvent(team_id="T1", actor="U1", action="a", at=NOW, before={2: "x", 10: ("y",)}, after={})
    stored = replace(event, before=json.loads(json.dumps(event.before)))
    assert record_hash(event, seq=1, prev_hash=GENESIS) == record_hash(stored, seq=1, prev_hash=GENESIS)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        record_hash(AuditEvent(team_id="T1", actor="U1", action="a", at=datetime(2026, 11, 22)), seq=1, prev_hash=GENESIS)


def test_an_event_cannot_join_another_workspace_chain() -> None:
    with pytest.raises(ValueError, match="T2"):
        link(_events(1)[0], ChainHead.start("T2"))


@pytest.mark.parametrize("change", [{"actor": "U9"}, {"action": "incident.nothing"}, {"after": {"status": "fine"}},
                                    {"before": {}}, {"at": NOW}, {"incident_id": 8}, {"team_id": "T2"}])
def test_a_changed_field_is_detected_at_its_seq(change: dict[str, object]) -> None:
    chain = _chain(4)
    records = list(chain.records)
    records[1] = replace(records[1], **change)
    assert _kinds(replace(chain, records=tuple(records))) == [(2, ProblemKind.CHANGED)]


def test_a_changed_record_with_a_recomputed_hash_breaks_the_link_to_the_next() -> None:
    chain = _chain(4)
    records = list(chain.records)
    edited = replace(records[1], after={"status": "fine"})
    records[1] = replace(edited, hash=record_hash(edited, seq=2, prev_hash=edited.prev_hash or ""))
    assert _kinds(replace(chain, records=tuple(records))) == [(3, ProblemKind.BROKEN_LINK)]


def test_a_deleted_record_leaves_a_gap() -> None:
    chain = _chain(5)
    records = [r for r in chain.records if r.seq not in (2, 3)]
    problems = verify_chain(replace(chain, records=tuple(records)))
    assert [(p.seq, p.kind) for p in problems] == [(2, ProblemKind.MISSING)]
    assert "seqs 2-3 are missing" in str(problems[0])


def test_a_deleted_first_record_is_detected() -> None:
    chain = _chain(3)
    assert _kinds(replace(chain, records=chain.records[1:])) == [(1, ProblemKind.MISSING)]


def test_a_deleted_last_record_is_caught_by_the_head() -> None:
    chain = _chain(3)
    problems = verify_chain(replace(chain, records=chain.records[:-1]))
    assert [(p.seq, p.kind) for p in problems] == [(3, ProblemKind.MISSING)]
    assert str(problems[0]) == "T1 seq 3: missing: seq 3 is missing from the end (deleted)"


def test_a_swapped_pair_is_detected() -> None:
    chain = _chain(4)
    r1, r2, r3, r4 = chain.records
    swapped = (r1, replace(r3, seq=2), replace(r2, seq=3), r4)
    assert _kinds(replace(chain, records=swapped)) == [
        (2, ProblemKind.CHANGED), (2, ProblemKind.BROKEN_LINK),
        (3, ProblemKind.CHANGED), (3, ProblemKind.BROKEN_LINK),
        (4, ProblemKind.BROKEN_LINK),
    ]


def test_records_listed_out_of_order_are_checked_in_seq_order() -> None:
    chain = _chain(4)
    assert verify_chain(replace(chain, records=tuple(reversed(chain.records)))) == []


def test_a_record_inserted_in_the_middle_is_detected() -> None:
    chain = _chain(4)
    r1, r2, r3, r4 = chain.records
    forged = link(AuditEvent(team_id="T1", actor="U1", action="incident.forged", at=NOW), head_of(r2))
    records = (r1, r2, forged, replace(r3, seq=4), replace(r4, seq=5))
    assert _kinds(replace(chain, records=records)) == [
        (4, ProblemKind.CHANGED), (4, ProblemKind.BROKEN_LINK), (5, ProblemKind.CHANGED), (5, ProblemKind.HEAD),
    ]


def test_a_record_inserted_with_a_taken_seq_is_a_duplicate() -> None:
    chain = _chain(3)
    forged = link(AuditEvent(team_id="T1", actor="U1", action="incident.forged", at=NOW), head_of(chain.records[0]))
    assert _kinds(replace(chain, records=(*chain.records, forged))) == [(2, ProblemKind.DUPLICATE)]


def test_a_validly_chained_record_added_at_the_end_is_caught_by_the_head() -> None:
    chain = _chain(3)
    extra = link(AuditEvent(team_id="T1", actor="U1", action="incident.forged", at=NOW), head_of(chain.records[-1]))
    assert _kinds(replace(chain, records=(*chain.records, extra))) == [(4, ProblemKind.HEAD)]


def test_a_missing_head_is_reported() -> None:
    assert _kinds(replace(_chain(2), head=None)) == [(2, ProblemKind.HEAD)]


def test_a_report_counts_records_and_workspaces_across_chains() -> None:
    broken = replace(_chain(2, "T2"), records=_chain(2, "T2").records[:1])
    report = verify_all([_chain(3), broken])
    assert (report.workspaces, report.records, report.intact) == (2, 4, False)
    assert [str(p) for p in report.problems] == ["T2 seq 2: missing: seq 2 is missing from the end (deleted)"]
    assert verify_all([_chain(3)]).intact


def _incident(db: MemoryDB) -> Incident:
    incident = Incident(team_id="T1", number=42, title="t", severity="SEV1", status="investigating",
                        declared_by="U1", declared_at=NOW, id=7)
    db.incidents[7] = incident
    return incident


async def _append(db: MemoryDB, events: list[AuditEvent]) -> None:
    async with FakeUnitOfWork(db) as uow:
        for event in events:
            await uow.audit.add(event)
        await uow.commit()


async def test_the_service_verifies_every_workspace_it_finds() -> None:
    db = MemoryDB()
    await _append(db, _events(3) + _events(2, "T2"))
    report = await AuditService(uow=lambda: FakeUnitOfWork(db)).verify()
    assert (report.workspaces, report.records, report.intact) == (2, 5, True)

    db.audit[1] = replace(db.audit[1], actor="U9")
    report = await AuditService(uow=lambda: FakeUnitOfWork(db)).verify("T1")
    assert [str(p) for p in report.problems] == [
        "T1 seq 2: changed: its contents do not match its hash (the record was edited)"]


async def test_the_service_exports_an_incident_in_chain_order_as_json_and_csv() -> None:
    db = MemoryDB()
    incident = _incident(db)
    await _append(db, _events(2) + [AuditEvent(team_id="T1", actor="U1", action="other", at=NOW, incident_id=8)])
    service = AuditService(uow=lambda: FakeUnitOfWork(db))

    document = json.loads(await service.export(incident, "json"))
    assert document["incident"] == "INC-42" and document["team_id"] == "T1"
    assert [(e["seq"], e["actor"], e["after"]) for e in document["events"]] == [
        (1, "U1", {"status": "s1"}), (2, "U2", {"status": "s2"})]
    assert document["events"][1]["prev_hash"] == document["events"][0]["hash"]

    rows = list(csv.DictReader(io.StringIO(await service.export(incident, "csv"))))
    assert [(r["seq"], r["action"], r["after"]) for r in rows] == [
        ("1", "incident.step1", '{"status":"s1"}'), ("2", "incident.step2", '{"status":"s2"}')]
    assert rows[0]["at"] == "2026-11-22T14:01:00+00:00" and rows[0]["hash"] == document["events"][0]["hash"]

    with pytest.raises(InvalidCommand, match="`md` is not an audit export format"):
        await service.export(incident, "md")
