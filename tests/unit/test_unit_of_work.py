"""One change, one unit of work: the messages a change causes commit with it, or not at all (with fakes)."""

from __future__ import annotations

import pytest

from bot.domain.errors import StorageUnavailable
from bot.domain.runbook import CheckStep, Procedure, Runbook
from tests.unit.services import make_world

IMPORTS = Runbook(id="imports", title="Imports", summary="s", services=("imports",), procedures=(
    Procedure(id="p", title="P", steps=(CheckStep(id="look", title="Look"),)),))


async def test_a_declare_commits_its_card_and_runbook_suggestion_with_the_incident() -> None:
    world = make_world(catalog={IMPORTS.id: IMPORTS})

    await world.declare(service="imports")

    queued = [c.method for c in world.db.outbox]
    assert {"post_card", "invite", "set_topic", "suggest_runbooks"} <= set(queued)
    assert len(world.db.incidents) == 1


async def test_a_resolve_whose_review_cannot_be_queued_leaves_the_incident_open() -> None:
    world = make_world()
    incident = await world.declare()
    world.chat.fail["post_review"] = StorageUnavailable("The database is unreachable.")
    queued_before = len(world.db.outbox)

    with pytest.raises(StorageUnavailable):
        await world.services.reviews.resolve("T1", incident.id, "U1", {"resolution": "Rolled back"})  # type: ignore[arg-type]

    assert world.incident(incident.id).status == "investigating"
    assert not [e for e in world.db.audit if e.action == "incident.status_changed"]
    assert len(world.db.outbox) == queued_before, "no card update or status line for a change not saved"


async def test_a_resolve_commits_the_review_with_the_status_change() -> None:
    world = make_world()
    incident = await world.declare()

    await world.services.reviews.resolve("T1", incident.id, "U1", {"resolution": "Rolled back"})  # type: ignore[arg-type]

    assert world.incident(incident.id).status == "resolved"
    assert "post_review" in [c.method for c in world.db.outbox]
