"""What stakeholders see: the topic follows the incident, the announcements channel hears what matters,
a role change is one line in the channel, and all of it is queued with the change that causes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import load_policy
from bot.domain.errors import StorageUnavailable
from bot.domain.incident import Incident
from bot.domain.news import Announcement, News, severity_news, status_news
from bot.standin.blocks import check_blocks
from handlers import blocks
from tests.unit.services import make_world

POLICY = load_policy(None)
NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
NOT_QUEUED = StorageUnavailable("The database is unreachable; the message was not queued.")


def _incident(**kw: object) -> Incident:
    base = {"team_id": "T1", "number": 42, "title": "Imports failing", "severity": "SEV1",
            "status": "investigating", "declared_by": "U1", "declared_at": NOW, "id": 1, "channel_id": "C42"}
    return Incident(**{**base, **kw})  # type: ignore[arg-type]


def test_a_raise_is_news_and_a_lowering_only_when_the_policy_asks() -> None:
    assert severity_news(POLICY, "SEV2", "SEV0", "U1") == Announcement(News.SEVERITY_RAISED, "U1", "SEV2")
    assert severity_news(POLICY, "SEV1", "SEV2", "U1") is None
    loud = replace(POLICY, announce_severity_lowered=True)
    assert severity_news(loud, "SEV1", "SEV2", "U1") == Announcement(News.SEVERITY_LOWERED, "U1", "SEV1")


def test_resolving_and_reopening_are_news_and_moves_between_open_statuses_are_not() -> None:
    assert status_news(POLICY, "monitoring", "resolved", "U1") == Announcement(News.RESOLVED, "U1", "monitoring")
    assert status_news(POLICY, "resolved", "investigating", "U1") == Announcement(News.REOPENED, "U1", "resolved")
    assert status_news(POLICY, "investigating", "identified", "U1") is None
    assert status_news(POLICY, "resolved", "closed", "U1") is None


def test_the_lowering_setting_is_read_from_warroom_yaml_and_off_by_default(tmp_path: Path) -> None:
    path = tmp_path / "warroom.yaml"
    path.write_text("announce_severity_lowered: true\n")
    assert load_policy(path).announce_severity_lowered is True
    assert POLICY.announce_severity_lowered is False


def test_the_topic_names_the_commander_and_escapes_the_title() -> None:
    incident = _incident(title="Imports <failing> & <@U9> pinged", roles={"commander": "U1"})
    assert blocks.topic(incident, POLICY) == (
        "INC-42 · SEV1 · Investigating · Incident commander <@U1> · Imports &lt;failing&gt; &amp; &lt;@U9&gt; pinged")


def test_a_long_title_is_cut_to_the_topic_limit_without_breaking_an_entity() -> None:
    def topic(n: int) -> str:
        return blocks.topic(_incident(title="x" * n + "&" * 40, roles={"commander": "U1"}), POLICY)

    for n in range(150, 191):  # the cut falls on every offset within the entities
        assert len(topic(n)) <= 250 and topic(n).endswith("…")
        assert not topic(n).rstrip("…").endswith(("&", "&a", "&am", "&amp")), topic(n)[-12:]
    assert topic(150).rstrip("…").endswith("&amp;"), "whole entities that fit are kept"


def test_a_resolution_announcement_carries_the_summary_escaped_and_a_link_to_the_channel() -> None:
    incident = _incident(status="resolved", resolution="Rolled back <release> 4.2", impact="x" * 5000)
    text, body = blocks.change_announcement(incident, POLICY, Announcement(News.RESOLVED, "U6", "monitoring"))
    shown = body[0]["text"]["text"]
    assert text == "INC-42 resolved: Imports failing"
    assert "*Resolution:* Rolled back &lt;release&gt; 4.2" in shown and "<#C42>" in shown and "<@U6>" in shown
    assert check_blocks(body) == []


def test_a_severity_announcement_says_which_way_and_from_what() -> None:
    text, _ = blocks.change_announcement(_incident(severity="SEV0"), POLICY,
                                         Announcement(News.SEVERITY_RAISED, "U1", "SEV1"))
    assert text == "INC-42 raised to SEV0 · Critical (was SEV1): Imports failing"


async def test_a_severity_raise_updates_the_topic_and_is_announced() -> None:
    world = make_world()
    incident = await world.declare(severity="sev1")
    world.chat.log.clear()
    await world.services.incidents.change_severity("T1", incident.id, "U2", "sev0")  # type: ignore[arg-type]
    assert [t.severity for t in world.chat.calls("set_topic")] == ["SEV0"]  # type: ignore[attr-defined]
    assert world.chat.calls("announce_change") == [Announcement(News.SEVERITY_RAISED, "U2", "SEV1")]


async def test_a_lowered_severity_updates_the_topic_but_is_not_announced_by_default() -> None:
    world = make_world()
    incident = await world.declare(severity="sev1")
    world.chat.log.clear()
    await world.services.incidents.change_severity("T1", incident.id, "U2", "sev3")  # type: ignore[arg-type]
    assert [t.severity for t in world.chat.calls("set_topic")] == ["SEV3"]  # type: ignore[attr-defined]
    assert world.chat.calls("announce_change") == []


async def test_resolving_and_reopening_update_the_topic_and_are_announced() -> None:
    world = make_world()
    incident = await world.declare()
    world.chat.log.clear()
    await world.services.incidents.change_status("T1", incident.id, "U1", "identified")  # type: ignore[arg-type]
    await world.services.incidents.change_status("T1", incident.id, "U1", "resolved")  # type: ignore[arg-type]
    await world.services.incidents.change_status("T1", incident.id, "U3", "investigating")  # type: ignore[arg-type]
    assert [t.status for t in world.chat.calls("set_topic")] == [  # type: ignore[attr-defined]
        "identified", "resolved", "investigating"]
    assert world.chat.calls("announce_change") == [Announcement(News.RESOLVED, "U1", "identified"),
                                                   Announcement(News.REOPENED, "U3", "resolved")]


async def test_when_the_announcement_cannot_be_queued_the_resolution_is_not_saved() -> None:
    world = make_world()
    incident = await world.declare()
    world.chat.fail["announce_change"] = NOT_QUEUED
    with pytest.raises(StorageUnavailable):
        await world.services.incidents.change_status("T1", incident.id, "U1", "resolved")  # type: ignore[arg-type]
    assert world.incident(incident.id).status == "investigating"
    assert world.db.timeline[-1].text.startswith("Declared")


async def test_when_the_topic_cannot_be_queued_the_severity_change_is_not_saved() -> None:
    world = make_world()
    incident = await world.declare(severity="sev1")
    world.chat.fail["set_topic"] = NOT_QUEUED
    with pytest.raises(StorageUnavailable):
        await world.services.incidents.change_severity("T1", incident.id, "U1", "sev2")  # type: ignore[arg-type]
    assert world.incident(incident.id).severity == "SEV1"


async def test_a_new_commander_is_one_line_in_the_channel_and_in_the_topic() -> None:
    world = make_world()
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    world.chat.log.clear()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U2")  # type: ignore[arg-type]
    assert world.chat.calls("post_change") == ["<@U2> is now incident commander (was <@U1>)"]
    assert [t.roles["commander"] for t in world.chat.calls("set_topic")] == ["U2"]  # type: ignore[attr-defined]


async def test_another_role_is_one_line_in_the_channel_and_leaves_the_topic_alone() -> None:
    world = make_world()
    incident = await world.declare()
    world.chat.log.clear()
    await world.services.roles.assign("T1", incident.id, "U1", "scribe", "U3")  # type: ignore[arg-type]
    assert world.chat.calls("post_change") == ["<@U3> is now scribe"]
    assert world.chat.calls("set_topic") == []


async def test_when_the_role_line_cannot_be_queued_the_assignment_is_not_saved() -> None:
    world = make_world()
    incident = await world.declare()
    world.chat.fail["post_change"] = NOT_QUEUED
    with pytest.raises(StorageUnavailable):
        await world.services.roles.assign("T1", incident.id, "U1", "comms", "U2")  # type: ignore[arg-type]
    assert world.incident(incident.id).roles == {} and world.db.roles == []


async def test_a_handover_is_told_by_its_summary_queued_with_the_change() -> None:
    world = make_world()
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    world.chat.log.clear()
    world.chat.fail["post_handover"] = NOT_QUEUED
    with pytest.raises(StorageUnavailable):
        await world.services.roles.handover("T1", incident.id, "U1", "U2")  # type: ignore[arg-type]
    assert world.incident(incident.id).roles == {"commander": "U1"}, "no handover without its summary"
    del world.chat.fail["post_handover"]
    world.chat.log.clear()
    await world.services.roles.handover("T1", incident.id, "U1", "U2", ["Restart the ledger"])  # type: ignore[arg-type]
    [summary] = world.chat.calls("post_handover")
    assert summary.open_steps == ["Restart the ledger"]  # type: ignore[attr-defined]
    assert world.chat.calls("post_change") == [], "the summary is the channel's line"
    assert [t.roles["commander"] for t in world.chat.calls("set_topic")] == ["U2"]  # type: ignore[attr-defined]
