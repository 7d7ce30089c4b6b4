"""The stand-in's Web API over real sockets: the workspace state and what it records, waiting, faults."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.standin import FakeSlack
from tests.unit.standin.kit import modal, plain, section, web_client


# -- Web API over real sockets ---------------------------------------------------------------
async def test_a_web_client_gets_a_realistic_incident_flow_and_the_fake_records_it(fake):
    client = web_client(fake)
    created = await client.conversations_create(name="inc-42-api-down")
    channel_id = created["channel"]["id"]
    await client.conversations_invite(channel=channel_id, users=["U1", "U2"])
    await client.conversations_setTopic(channel=channel_id, topic="SEV1 | IC <@U1>")
    posted = await client.chat_postMessage(channel="#incidents", text="INC-42 declared",
                                           blocks=[section("INC-42 declared")])
    updated = await client.chat_update(channel=posted["channel"], ts=posted["ts"],
                                       text="INC-42 resolved", blocks=[section("resolved")])
    assert posted["channel"] == "CANNOUNCE" and updated["ts"] == posted["ts"]
    assert [c.method for c in fake.calls] == ["conversations.create", "conversations.invite",
                                              "conversations.setTopic", "chat.postMessage",
                                              "chat.update"]
    invite = fake.calls_to("conversations.invite")[0]
    assert invite.params == {"channel": channel_id, "users": "U1,U2"}  # comma-joined list
    assert fake.calls_to("chat.update")[0].params["blocks"][0]["type"] == "section"
    assert fake.channels[channel_id]["members"] == {"UBOT", "U1", "U2"}
    assert fake.channel_by_name("inc-42-api-down")["topic"] == "SEV1 | IC <@U1>"
    assert fake.messages("CANNOUNCE")[0]["text"] == "INC-42 resolved"
    assert fake.violations == []


async def test_a_second_create_with_the_same_name_is_name_taken(fake):
    client = web_client(fake)
    await client.conversations_create(name="inc-1")
    with pytest.raises(SlackApiError) as raised:
        await client.conversations_create(name="inc-1")
    assert raised.value.response["error"] == "name_taken"


async def test_a_contract_violation_is_recorded_and_answered_ok_false(fake):
    client = web_client(fake)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="CGENERAL", text="t",
                                      blocks=[{"type": "header", "text": plain("h" * 151)}])
    assert raised.value.response["error"] == "invalid_blocks"
    assert fake.violations == [
        "chat.postMessage: blocks[0].text: header text is 151 chars (max 150)"]
    assert fake.messages("CGENERAL") == []


async def test_a_wrong_token_is_invalid_auth_and_a_violation(fake):
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()
    assert raised.value.response["error"] == "invalid_auth"
    assert fake.violations == ["auth.test: invalid_auth: wants the xoxb- token"]


async def test_wait_for_times_out_listing_the_methods_seen(fake):
    await web_client(fake).auth_test()
    with pytest.raises(TimeoutError, match=r"views\.open.*'auth\.test': 1"):
        await fake.wait_for("views.open", timeout=0.05)


async def test_channels_resolve_by_id_or_name_and_unknown_ones_are_channel_not_found(fake):
    client = web_client(fake)
    by_name = await client.chat_postMessage(channel="incidents", text="a")
    by_hash = await client.chat_postMessage(channel="#incidents", text="b")
    assert by_name["channel"] == by_hash["channel"] == "CANNOUNCE"
    assert float(by_hash["ts"]) > float(by_name["ts"])  # unique, increasing
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.chat_postMessage(channel="#nope", text="c")
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel="CANNOUNCE", ts="1.000001", text="d")
    with pytest.raises(SlackApiError, match="already_in_channel"):
        await client.conversations_invite(channel="CANNOUNCE", users="UBOT")
    assert (await client.conversations_archive(channel="CANNOUNCE"))["ok"]  # in spec: ok


async def test_messages_are_stamped_with_the_time_they_were_posted_in_order(fake):
    client = web_client(fake)
    before = time.time()
    stamps = [(await client.chat_postMessage(channel="CGENERAL", text=str(n)))["ts"] for n in range(50)]
    after = time.time()
    assert all(before - 0.001 <= float(ts) <= after + 0.001 for ts in stamps)  # today, not a fixed 2023 epoch
    assert len(set(stamps)) == 50
    assert [float(ts) for ts in stamps] == sorted(float(ts) for ts in stamps)
    assert all(len(ts.partition(".")[2]) == 6 for ts in stamps)  # Slack's form: seconds.microseconds


async def test_blocks_sent_as_a_form_encoded_json_string_are_decoded_and_checked(fake):
    blocks = json.dumps([section("form encoded")])
    await web_client(fake).api_call("chat.postMessage", data={
        "channel": "CGENERAL", "text": "t", "blocks": blocks})
    call = (await fake.wait_for("chat.postMessage"))[0]
    assert call.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert call.params["blocks"] == [section("form encoded")]
    assert fake.violations == []


async def test_views_open_update_and_publish_keep_view_state(fake):
    client = web_client(fake)
    trigger = fake.new_trigger_id()
    opened = (await client.views_open(trigger_id=trigger, view=modal()))["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "declare"
    updated = await client.views_update(view_id=opened["id"], hash=opened["hash"],
                                        view=modal(private_metadata="42"))
    assert updated["view"]["id"] == opened["id"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())
    home = {"type": "home", "blocks": [section("Open incidents: 0")]}
    assert (await client.views_publish(user_id="U1", view=home))["view"]["type"] == "home"
    submission = fake.view_submission_payload("U1", updated["view"], {"title": {"v": {
        "type": "plain_text_input", "value": "API down"}}})
    assert submission["view"]["id"] == opened["id"]
    assert submission["view"]["private_metadata"] == "42"
    assert fake.violations == []


async def test_a_trigger_used_after_its_ttl_is_expired_trigger_id():
    async with FakeSlack(trigger_ttl=0.0) as fake:
        with pytest.raises(SlackApiError, match="expired_trigger_id"):
            await web_client(fake).views_open(trigger_id=fake.new_trigger_id(), view=modal())
        assert fake.violations[0].startswith("views.open: expired_trigger_id")


async def test_users_info_is_a_get_answered_with_a_user_in_utc(fake):
    fake.add_user("U1", name="alice", real_name="Alice A")
    user = (await web_client(fake).users_info(user="U1"))["user"]
    assert (user["name"], user["real_name"], user["tz"]) == ("alice", "Alice A", "UTC")
    assert user["profile"]["display_name"] == "alice"
    assert fake.calls_to("users.info")[0].params == {"user": "U1"}


async def test_apps_connections_open_wants_the_app_token_not_the_bot_token(fake):
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await web_client(fake).apps_connections_open(app_token="xoxb-test")
    assert fake.violations == ["apps.connections.open: invalid_auth: wants the xapp- token"]


async def test_latency_delays_every_web_api_response():
    async with FakeSlack(latency=0.05) as fake:
        client = web_client(fake)
        await client.auth_test()
        await client.auth_test()
        first, second = fake.calls
        assert second.at - first.at >= 0.05


async def test_a_respond_body_is_recorded_and_its_blocks_checked(fake):
    sent = await AsyncWebhookClient(fake.response_url("r1")).send(
        text="t", blocks=[section()] * 51)  # what Bolt's respond() uses
    assert (sent.status_code, sent.body) == (400, "invalid_blocks")
    response = await fake.wait_for_response(lambda r: r["name"] == "r1")
    assert len(response["body"]["blocks"]) == 51
    assert fake.violations == ["respond: blocks: 51 blocks on a message (max 50)"]


async def test_concurrent_calls_with_latency_overlap_and_get_unique_ts():
    async with FakeSlack(latency=0.05) as fake:
        client = web_client(fake)
        started = time.monotonic()
        replies = await asyncio.gather(*(
            client.chat_postMessage(channel="CGENERAL", text=str(i)) for i in range(20)))
        assert time.monotonic() - started < 0.5  # serialised would take 20 x 0.05 s
        assert len({r["ts"] for r in replies}) == 20 and fake.violations == []


async def test_reset_forgets_records_and_optionally_the_workspace(fake):
    client = web_client(fake)
    await client.conversations_create(name="inc-9")
    fake.violations.append("x")
    fake.reset()
    assert (fake.calls, fake.violations) == ([], [])
    assert fake.channel_by_name("inc-9") is not None
    fake.reset(state=True)
    assert fake.channel_by_name("inc-9") is None and set(fake.channels) == {
        "CANNOUNCE", "CGENERAL"}


# -- fault injection -------------------------------------------------------------------------
async def test_fail_next_429_is_retried_by_a_client_with_the_rate_limit_handler(fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=0)
    client = web_client(fake, retry_handlers=[AsyncRateLimitErrorRetryHandler()])
    response = await client.chat_postMessage(channel="CGENERAL", text="hello")
    first, second = fake.calls_to("chat.postMessage")
    assert (first.status, first.response["error"]) == (429, "ratelimited")
    assert second.status == 200 and response["ok"] is True


async def test_fail_next_429_raises_slack_api_error_without_the_handler(fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    with pytest.raises(SlackApiError) as raised:
        await web_client(fake).chat_postMessage(channel="CGENERAL", text="hello")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_fail_next_500_answers_server_errors_the_given_number_of_times(fake):
    fake.fail_next("auth.test", status=500, error="internal_error", times=2)
    client = web_client(fake)
    for _ in range(2):
        with pytest.raises(SlackApiError, match="internal_error"):
            await client.auth_test()
    assert (await client.auth_test())["user_id"] == "UBOT"
    assert [c.status for c in fake.calls] == [500, 500, 200]
