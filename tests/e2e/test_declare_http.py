"""A signed `/incident declare` over HTTP, end to end against the fake Slack."""

from __future__ import annotations

import json

from tests.e2e.harness import Bot


async def test_declare_sev1_creates_channel_card_and_announcement_and_stores_the_incident(bot: Bot) -> None:
    fake = bot.fake
    status, body, elapsed = await bot.command("declare sev1 Imports failing", user_id="U1")
    assert status == 200 and elapsed < 3
    assert body["response_type"] == "ephemeral" and "Declaring SEV1" in body["text"]

    reply = await fake.wait_for_response(lambda r: "declared" in r["body"].get("text", ""))
    await bot.settled()  # the card, invite, topic and announcement go out from the outbox
    [create] = fake.calls_to("conversations.create")
    channel_id = create.response["channel"]["id"]
    assert create.params["name"] == "inc-1-imports-failing"
    assert reply["body"]["text"] == f"INC-1 declared: <#{channel_id}>"

    [invite] = fake.calls_to("conversations.invite")
    assert invite.params["channel"] == channel_id and invite.params["users"] == "U1"
    [topic] = fake.calls_to("conversations.setTopic")
    assert topic.params["topic"] == "INC-1 · SEV1 · Investigating · Imports failing"
    posts = {c.params["channel"]: c for c in fake.calls_to("chat.postMessage")}
    card = posts[channel_id]
    assert card.params["blocks"][0]["text"]["text"] == "INC-1: Imports failing"
    announcement = posts["CANNOUNCE"]  # #incidents in warroom.yaml, posted to by its id
    assert f"<#{channel_id}>" in announcement.params["blocks"][0]["text"]["text"]
    assert fake.messages("CANNOUNCE"), "the announcement landed in #incidents"
    assert fake.violations == []

    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel_id)
    assert (incident.ref, incident.severity, incident.status, incident.declared_by) == ("INC-1", "SEV1", "investigating", "U1")
    assert incident.card_ts == card.response["ts"]
    [entry] = await bot.warroom.incidents.timeline(fake.state.team_id, incident.id)  # type: ignore[arg-type]
    assert entry.text == "Declared SEV1: Imports failing" and entry.author == "U1"
    [audit] = await bot.warroom.incidents.audit(fake.state.team_id, incident.id)  # type: ignore[arg-type]
    assert audit.action == "incident.declared" and audit.actor == "U1"


async def test_the_card_is_posted_after_two_round_trips_with_the_rest_in_parallel(bot: Bot) -> None:
    fake = bot.fake
    fake.latency = 0.1  # every Web API call takes a round trip
    started = len(fake.calls)  # what the bot asked at startup (#incidents' id) is not on the declare's path
    await bot.command("declare sev1 Imports failing")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""), timeout=10)
    await bot.settled()
    [create] = fake.calls_to("conversations.create")
    posts = fake.calls_to("chat.postMessage")
    card = next(c for c in posts if c.params["channel"] != "CANNOUNCE")
    announcement = next(c for c in posts if c.params["channel"] == "CANNOUNCE")
    invite, topic = fake.calls_to("conversations.invite")[0], fake.calls_to("conversations.setTopic")[0]
    # Round trip 1 is the channel; round trip 2 starts only once it exists...
    assert card.at > create.answered_at
    # ...and carries the card, invite, topic and announcement together: all four were in
    # flight before any of them was answered, so none waited for another.
    second = [card, invite, topic, announcement]
    assert max(c.at for c in second) < min(c.answered_at for c in second)
    assert [c.method for c in fake.calls[started:] if c.at < create.at] in ([], ["auth.test"])


async def test_channel_name_taken_gets_a_free_name(bot: Bot) -> None:
    fake = bot.fake
    await bot.command("declare sev2 Imports failing")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    # Someone archived-and-reused the next name by hand.
    fake.channels["CTAKEN"] = {"id": "CTAKEN", "name": "inc-2-login-slow", "topic": "", "members": set(), "messages": []}
    await bot.command("declare sev2 Login slow")
    await fake.wait_for_response(lambda r: "INC-2 declared" in r["body"].get("text", ""))
    names = [c.params["name"] for c in fake.calls_to("conversations.create")]
    assert names == ["inc-1-imports-failing", "inc-2-login-slow", "inc-2-login-slow-1"]
    assert fake.violations == []


async def test_a_similar_open_incident_is_shown_and_declare_anyway_creates_a_new_one(bot: Bot) -> None:
    fake = bot.fake
    await bot.command("declare sev1 Imports failing")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await bot.command("declare sev2 imports are failing", user_id="U2")
    prompt = await fake.wait_for_response(lambda r: "already open" in r["body"].get("text", ""))
    assert "INC-1" in prompt["body"]["blocks"][0]["text"]["text"]
    assert prompt["body"]["replace_original"] is True  # the interim "Declaring SEV2…" goes away
    assert len(fake.calls_to("conversations.create")) == 1

    button = prompt["body"]["blocks"][1]["elements"][0]
    payload = fake.block_action_payload("U2", "CGENERAL", "", {**button, "block_id": "duplicate_actions"})
    status, _, _ = await bot.interaction(payload)
    assert status == 200
    await fake.wait_for_response(lambda r: "INC-2 declared" in r["body"].get("text", ""))
    assert json.loads(button["value"])["severity"] == "SEV2"
    assert len(fake.calls_to("conversations.create")) == 2 and fake.violations == []


async def test_a_rate_limited_post_is_retried_after_retry_after(bot: Bot) -> None:
    fake = bot.fake
    fake.fail_next("chat.postMessage", status=429, retry_after=1, times=1)
    await bot.command("declare sev1 Imports failing")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""), timeout=10)
    await bot.settled()
    statuses = [c.status for c in fake.calls_to("chat.postMessage")]
    assert statuses.count(429) == 1 and statuses.count(200) == 2
    incident = await bot.warroom.incidents.for_channel(fake.state.team_id, fake.calls_to("conversations.create")[0].response["channel"]["id"])
    assert incident.card_ts is not None
