"""The pure domain: severities, lifecycle, channel names, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_policy
from bot.domain.errors import InvalidTransition, UnknownSeverity
from bot.domain.incident import Incident, similar_incidents
from bot.domain.policy import slugify

POLICY = load_policy(None)
NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def _incident(**kw: object) -> Incident:
    base = dict(team_id="T1", number=1, title="Imports failing", severity="SEV1", status="investigating",
                declared_by="U1", declared_at=NOW - timedelta(minutes=10), id=1)
    return Incident(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("typed", ["sev1", "SEV1", "SEV-1", "Sev 1", "p1", "P1", "high"])
def test_every_alias_of_sev1_resolves_to_sev1(typed: str) -> None:
    assert POLICY.severities.resolve(typed).id == "SEV1"


def test_an_unknown_severity_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownSeverity, match="SEV0, SEV1, SEV2, SEV3"):
        POLICY.severities.resolve("sev9")


def test_the_lifecycle_allows_investigating_to_identified() -> None:
    assert POLICY.lifecycle.check("investigating", "identified").id == "identified"


def test_the_lifecycle_refuses_closing_an_open_incident_and_says_what_is_allowed() -> None:
    with pytest.raises(InvalidTransition, match="`identified`, `monitoring`, `resolved`"):
        POLICY.lifecycle.check("investigating", "closed")


def test_the_lifecycle_refuses_a_change_to_the_same_status() -> None:
    with pytest.raises(InvalidTransition, match="already"):
        POLICY.lifecycle.check("monitoring", "monitoring")


def test_a_resolved_incident_can_be_reopened() -> None:
    assert POLICY.lifecycle.check("resolved", "investigating").id == "investigating"
    assert not POLICY.lifecycle.is_open("resolved")


def test_slugify_keeps_only_slack_channel_characters() -> None:
    assert slugify("Imports FAILING!! (EU) — ünïcode") == "imports-failing-eu-unicode"


def test_channel_name_follows_the_pattern() -> None:
    name = POLICY.channel_name(number=42, title="Imports failing", severity="SEV1", date="2026-11-22")
    assert name == "inc-42-imports-failing"


def test_a_long_title_is_shortened_so_the_name_and_its_suffix_fit_in_80_chars() -> None:
    name = POLICY.channel_name(number=4242, title="x" * 200, severity="SEV1", date="d", suffix=12)
    assert len(name) == 80
    assert name.startswith("inc-4242-xxx") and name.endswith("-12")


def test_next_update_is_due_one_cadence_after_the_last_update() -> None:
    incident = _incident(severity="SEV1", declared_at=NOW)
    assert incident.next_update_due(POLICY) == NOW + timedelta(minutes=15)
    assert incident.with_changes(status="resolved").next_update_due(POLICY) is None


def test_similar_open_incidents_within_the_window_are_duplicates() -> None:
    same_title = _incident(id=1, title="Imports are failing")
    same_service = _incident(id=2, title="Something else", service="imports")
    too_old = _incident(id=3, title="Imports failing", declared_at=NOW - timedelta(hours=2))
    resolved = _incident(id=4, title="Imports failing", status="resolved")
    unrelated = _incident(id=5, title="Login slow")
    found = similar_incidents([same_title, same_service, too_old, resolved, unrelated],
                              title="Imports failing", service="imports", now=NOW, policy=POLICY)
    assert [i.id for i in found] == [1, 2]
