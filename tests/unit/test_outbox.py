"""The outbox's pure rules: lanes, pacing, backoff and anchors."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.domain.outbox import (
    MAX_BACKOFF,
    OutboundCall,
    Pace,
    backoff,
    card_anchor,
    checklist_anchor,
    parse_anchor,
)


def test_messages_of_a_channel_share_its_lane_and_channel_changes_get_their_own() -> None:
    post = OutboundCall(team_id="T1", method="chat.postMessage", params={"channel": "C1"})
    update = OutboundCall(team_id="T1", method="chat.update", params={"channel": "C1", "ts": "1.2"})
    topic = OutboundCall(team_id="T1", method="conversations.setTopic", params={"channel": "C1"})
    other_team = OutboundCall(team_id="T2", method="chat.postMessage", params={"channel": "C1"})
    assert post.lane == update.lane == "T1/C1"
    assert topic.lane == "T1/C1:conversations.setTopic"
    assert other_team.lane != post.lane


def test_only_a_new_message_counts_as_a_post_that_must_not_be_repeated() -> None:
    assert OutboundCall(team_id="T1", method="chat.postMessage", params={"channel": "C1"}).posts
    assert not OutboundCall(team_id="T1", method="chat.update", params={"channel": "C1"}).posts


def test_a_lane_may_burst_then_waits_one_second_per_message() -> None:
    pace = Pace(rate=1.0, burst=3)
    assert [pace.take("C1", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pace.take("C1", 100.0) == 1.0
    assert pace.take("C1", 100.0) == 2.0
    assert pace.take("C2", 100.0) == 0.0, "another channel has its own bucket"


def test_a_quiet_lane_refills_and_is_forgotten_once_full() -> None:
    pace = Pace(rate=1.0, burst=2)
    pace.take("C1", 0.0)
    pace.take("C1", 0.0)
    assert pace.take("C1", 5.0) == 0.0, "five quiet seconds refill the bucket"
    pace.forget_idle(50.0)
    assert pace._tokens == {}


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    first, third = backoff(1, rng=rng), backoff(3, rng=rng)
    assert timedelta(seconds=0.8) <= first <= timedelta(seconds=1.2)
    assert timedelta(seconds=3.2) <= third <= timedelta(seconds=4.8)
    assert backoff(30, rng=rng) <= MAX_BACKOFF


def test_anchors_name_the_card_and_the_checklist_and_parse_back() -> None:
    assert parse_anchor(card_anchor("T1", 5)) == ("card", "T1", 5)
    assert parse_anchor(checklist_anchor("T1", 9)) == ("checklist", "T1", 9)
    assert parse_anchor("card/T1/x") is None and parse_anchor("nonsense") is None
