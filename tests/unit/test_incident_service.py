"""IncidentService with fakes: declaring, duplicates, status and severity changes."""

from __future__ import annotations

import pytest

from bot.config import load_policy
from bot.domain.errors import InvalidInput, InvalidTransition, NotInIncidentChannel
from bot.domain.incident import TimelineKind
from bot.services.declaration import DeclareRequest
from bot.services.incidents import IncidentService
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.fakes.store import FakeUnitOfWork, MemoryDB

POLICY = load_policy(None)


@pytest.fixture
def db() -> MemoryDB:
    return MemoryDB()


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(db: MemoryDB, chat: FakeChat, clock: FakeClock) -> IncidentService:
    return IncidentService(uow=lambda: FakeUnitOfWork(db), chat=chat, clock=clock, policy=POLICY)


def _request(**kw: str) -> DeclareRequest:
    return DeclareRequest(**{"team_id": "T1", "user_id": "U1", "severity": "sev1", "title": "Imports failing", **kw})


async def test_declaring_creates_inc_1_with_channel_card_and_a_declared_record(
    service: IncidentService, db: MemoryDB, chat: FakeChat
) -> None:
    result = await service.declare(_request())
    incident = result.incident
    assert incident is not None and incident.ref == "INC-1" and incident.severity == "SEV1"
    assert incident.status == "investigating"
    assert incident.channel_name == "inc-1-imports-failing"
    assert chat.calls("invite") == [(incident.channel_id, ("U1",))]
    assert [n for n, _ in chat.log][0] == "create_channel"
    assert {"post_card", "set_topic", "announce"} <= {n for n, _ in chat.log}
    [entry] = db.timeline
    assert entry.kind is TimelineKind.CHANGE and entry.text == "Declared SEV1: Imports failing"
    [audit] = db.audit
    assert audit.action == "incident.declared" and audit.actor == "U1" and audit.after["severity"] == "SEV1"


async def test_numbers_are_per_workspace(service: IncidentService) -> None:
    first = await service.declare(_request(title="A"))
    second = await service.declare(_request(title="Completely different"), force=True)
    other = await service.declare(_request(team_id="T2", title="A"))
    assert [r.incident.number for r in (first, second, other)] == [1, 2, 1]  # type: ignore[union-attr]


async def test_a_taken_channel_name_gets_a_suffix(db: MemoryDB, clock: FakeClock) -> None:
    chat = FakeChat(taken=["inc-1-imports-failing"])
    service = IncidentService(uow=lambda: FakeUnitOfWork(db), chat=chat, clock=clock, policy=POLICY)
    result = await service.declare(_request())
    assert result.incident and result.incident.channel_name == "inc-1-imports-failing-1"


async def test_a_similar_open_incident_is_shown_before_a_duplicate_is_created(
    service: IncidentService, db: MemoryDB, clock: FakeClock
) -> None:
    await service.declare(_request())
    clock.advance(minutes=20)
    result = await service.declare(_request(title="imports failing again", user_id="U2"))
    assert result.incident is None and [d.ref for d in result.duplicates] == ["INC-1"]
    assert len(db.incidents) == 1


async def test_after_the_duplicate_window_a_similar_title_is_a_new_incident(
    service: IncidentService, clock: FakeClock
) -> None:
    await service.declare(_request())
    clock.advance(minutes=61)
    result = await service.declare(_request())
    assert result.incident is not None and result.incident.number == 2


async def test_invalid_input_writes_nothing(service: IncidentService, db: MemoryDB, chat: FakeChat) -> None:
    with pytest.raises(InvalidInput) as info:
        await service.declare(_request(severity="sev9", title="  "))
    assert set(info.value.errors) == {"severity", "title"}
    assert "`sev9` is not a severity" in info.value.errors["severity"]
    assert db.incidents == {} and db.timeline == [] and chat.log == []


async def test_when_the_card_cannot_be_queued_nothing_of_the_incident_is_saved(
    service: IncidentService, db: MemoryDB, chat: FakeChat
) -> None:
    from bot.domain.errors import StorageUnavailable

    chat.fail["announce"] = StorageUnavailable("The database is unreachable; the message was not queued.")
    with pytest.raises(StorageUnavailable):
        await service.declare(_request())
    assert db.incidents == {} and db.timeline == [] and db.audit == []


async def test_status_change_is_recorded_and_updates_the_card(
    service: IncidentService, db: MemoryDB, chat: FakeChat
) -> None:
    incident = (await service.declare(_request())).incident
    assert incident is not None
    changed = await service.change_status("T1", incident.id, "U2", "identified")  # type: ignore[arg-type]
    assert changed.status == "identified"
    assert db.timeline[-1].text == "Status investigating → identified" and db.timeline[-1].author == "U2"
    assert db.audit[-1].before == {"status": "investigating"} and db.audit[-1].after == {"status": "identified"}
    assert chat.calls("update_card")[-1].status == "identified"  # type: ignore[attr-defined]


async def test_resolving_sets_resolved_at_and_reopening_clears_it(service: IncidentService, clock: FakeClock) -> None:
    incident = (await service.declare(_request())).incident
    assert incident is not None
    clock.advance(minutes=30)
    resolved = await service.change_status("T1", incident.id, "U1", "resolved")  # type: ignore[arg-type]
    assert resolved.resolved_at == clock.now()
    reopened = await service.change_status("T1", incident.id, "U1", "investigating")  # type: ignore[arg-type]
    assert reopened.resolved_at is None


async def test_a_disallowed_status_change_writes_nothing(service: IncidentService, db: MemoryDB) -> None:
    incident = (await service.declare(_request())).incident
    assert incident is not None
    before = (list(db.timeline), list(db.audit))
    with pytest.raises(InvalidTransition):
        await service.change_status("T1", incident.id, "U1", "closed")  # type: ignore[arg-type]
    assert (db.timeline, db.audit) == before


async def test_severity_change_is_recorded(service: IncidentService, db: MemoryDB) -> None:
    incident = (await service.declare(_request())).incident
    assert incident is not None
    changed = await service.change_severity("T1", incident.id, "U1", "P2")  # type: ignore[arg-type]
    assert changed.severity == "SEV2"
    assert db.audit[-1].action == "incident.severity_changed" and db.audit[-1].after == {"severity": "SEV2"}


async def test_another_workspace_cannot_find_the_incident_by_channel(service: IncidentService) -> None:
    incident = (await service.declare(_request())).incident
    assert incident is not None and incident.channel_id
    with pytest.raises(NotInIncidentChannel):
        await service.for_channel("T2", incident.channel_id)


async def test_list_open_excludes_resolved(service: IncidentService) -> None:
    a = (await service.declare(_request(title="A"))).incident
    await service.declare(_request(title="B totally different"))
    assert a is not None
    await service.change_status("T1", a.id, "U1", "resolved")  # type: ignore[arg-type]
    assert [i.title for i in await service.list_open("T1")] == ["B totally different"]


async def test_another_replicas_change_shows_in_the_list_once_the_cache_expires(
    service: IncidentService, db: MemoryDB, clock: FakeClock
) -> None:
    other_replica = IncidentService(uow=lambda: FakeUnitOfWork(db), chat=FakeChat(), clock=clock, policy=POLICY)
    incident = (await service.declare(_request())).incident
    assert incident is not None
    assert [i.status for i in await service.list_open("T1")] == ["investigating"]
    await other_replica.change_status("T1", incident.id, "U1", "identified")  # type: ignore[arg-type]
    assert [i.status for i in await service.list_open("T1")] == ["investigating"]  # within the TTL
    clock.advance(seconds=2)
    assert [i.status for i in await service.list_open("T1")] == ["identified"]


async def test_when_slack_refuses_the_channel_no_incident_is_left_behind(db: MemoryDB, clock: FakeClock) -> None:
    from bot.domain.errors import ChatUnavailable

    class RefusingChat(FakeChat):
        async def create_channel(self, candidate_names):  # type: ignore[no-untyped-def]
            raise ChatUnavailable("Slack refused conversations.create: restricted_action")

    service = IncidentService(uow=lambda: FakeUnitOfWork(db), chat=RefusingChat(), clock=clock, policy=POLICY)
    with pytest.raises(ChatUnavailable):
        await service.declare(_request())
    assert db.incidents == {} and db.timeline == [] and db.audit == []
    assert await service.find_similar("T1", "Imports failing", "") == []


class ReadOnlyUnitOfWork(FakeUnitOfWork):
    """A read-only unit of work (the read engine's): it counts how often it was opened and refuses to commit."""

    opened = 0

    async def __aenter__(self) -> ReadOnlyUnitOfWork:
        ReadOnlyUnitOfWork.opened += 1
        return await super().__aenter__()

    async def commit(self) -> None:
        raise AssertionError("a read-only unit of work was asked to commit")


async def test_lists_and_channel_lookups_read_on_the_read_only_units_of_work(
        db: MemoryDB, chat: FakeChat, clock: FakeClock) -> None:
    ReadOnlyUnitOfWork.opened = 0
    service = IncidentService(uow=lambda: FakeUnitOfWork(db), reads=lambda: ReadOnlyUnitOfWork(db), chat=chat,
                              clock=clock, policy=POLICY)
    declared = (await service.declare(_request())).incident  # the duplicate check reads the open incidents: 1
    assert declared is not None and declared.channel_id is not None
    assert [i.ref for i in await service.list_open("T1")] == ["INC-1"]  # 2
    found = await service.for_channel("T1", declared.channel_id)  # 3
    changed = await service.change_status("T1", found.id, "U1", "identified")  # type: ignore[arg-type]
    assert changed.status == "identified" and db.incidents[found.id].status == "identified"  # type: ignore[index]
    assert ReadOnlyUnitOfWork.opened == 3
