"""Reminders speak plainly: to whoever covers an unfilled role, in seconds below a minute, levels from the seed's L2."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_policy
from bot.domain.incident import Incident, NewIncident
from bot.domain.policy import Policy
from bot.domain.severity import SeverityScale
from handlers.blocks import incident_card
from tests.unit.services import World, make_world

POLICY = load_policy(None)


def _texts(world: World) -> list[str]:
    return [text for text, _ in world.chat.calls("post_timer")]  # type: ignore[misc]


def _with_sev1(**changes: object) -> Policy:
    levels = tuple(replace(s, **changes) if s.id == "SEV1" else s for s in POLICY.severities.levels)  # type: ignore[arg-type]
    return replace(POLICY, severities=SeverityScale(levels))


@pytest.mark.parametrize(("roles", "role", "covered"), [
    ({}, "comms", "U1"), ({}, "scribe", "U1"), ({}, "commander", "U1"),
    ({"commander": "U5"}, "comms", "U5"), ({"commander": "U5"}, "commander", "U5"),
    ({"commander": "U5", "comms": "U2"}, "comms", "U2"), ({"comms": "U2"}, "scribe", "U1"),
])
def test_an_unfilled_role_is_covered_by_the_commander_and_the_commander_by_whoever_declared(
        roles: dict[str, str], role: str, covered: str) -> None:
    incident = NewIncident(team_id="T1", number=1, title="t", severity="SEV1", status="investigating",
                           declared_by="U1", declared_at=datetime(2026, 11, 22, tzinfo=UTC), roles=roles)
    assert incident.covered_by(role) == covered


async def test_with_no_roles_filled_reminders_go_to_whoever_declared_and_say_they_cover() -> None:
    world = make_world()
    await world.declare(user="U1")
    world.clock.advance(minutes=15)
    await world.services.timers.dispatch_due()
    world.clock.advance(minutes=8)
    await world.services.timers.dispatch_due()
    texts = _texts(world)
    assert ":bell: <@U1> (covering: no communications lead yet): a status update for INC-1 is due" \
           " (SEV1 updates every 15 min)." in texts
    assert ":warning: <@U1> (covering: no incident commander yet): the status update for INC-1 is overdue." in texts
    assert not [t for t in texts if "nobody yet" in t]


async def test_the_commander_gets_the_comms_reminder_while_nobody_is_comms_lead() -> None:
    world = make_world()
    incident = await world.declare(user="U1")
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U5")  # type: ignore[arg-type]
    world.clock.advance(minutes=15)
    await world.services.timers.dispatch_due()
    [due] = [t for t in _texts(world) if "is due" in t]
    assert due.startswith(":bell: <@U5> (covering: no communications lead yet): ")


async def test_a_sub_minute_cadence_reads_in_seconds() -> None:
    world = make_world(_with_sev1(update_cadence=timedelta(seconds=20)))
    await world.declare(user="U1")
    world.clock.advance(seconds=20)
    await world.services.timers.dispatch_due()
    [due] = [t for t in _texts(world) if "is due" in t]
    assert due.endswith("(SEV1 updates every 20 s).") and "0 min" not in due


async def test_escalation_levels_are_numbered_from_one_of_the_matrix_length() -> None:
    world = make_world()
    incident = await world.declare(user="U1")
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    world.clock.advance(hours=1)
    await world.services.timers.dispatch_due()
    levels = sorted(m.group(1) for t in _texts(world)
                    if (m := re.match(r":rotating_light: Escalation level (\d+ of \d+):", t)))
    assert levels == ["1 of 2", "2 of 2"]  # SEV1's matrix has two steps: the first is level 1


@pytest.mark.parametrize(("cadence", "shown"), [(timedelta(seconds=20), "20 s"), (timedelta(minutes=15), "15 min"),
                                                (timedelta(hours=1), "1 h"), (timedelta(minutes=90), "1 h 30 min")])
def test_the_card_says_how_often_updates_come_in_seconds_below_a_minute(cadence: timedelta, shown: str) -> None:
    incident = Incident(team_id="T1", number=1, title="t", severity="SEV1", status="investigating", declared_by="U1",
                        declared_at=datetime(2026, 11, 22, tzinfo=UTC), id=1, channel_id="C1")
    context = incident_card(incident, _with_sev1(update_cadence=cadence))[-1]["elements"][0]["text"]
    assert context.endswith(f" Updates every {shown}.")
