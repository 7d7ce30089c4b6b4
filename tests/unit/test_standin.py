"""The fake Slack itself: signer, contract checks, Web API state, faults, HTTP and Socket Mode."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.standin import (
    FakeSlack,
    SharedContractMissing,
    check_blocks,
    check_call,
    check_view,
    contract,
    sign,
)
from bot.standin.contract import check_content, shared_dir
from bot.standin.signing import signed_headers

BEARER = {"Authorization": "Bearer xoxb-test"}
SHAPES = shared_dir() / "payload-shapes"


def shape_keys(name: str) -> set[str]:
    return set(json.loads((SHAPES / name).read_text()))


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def button(action_id: str = "ack", text: str = "Ack", value: str = "1") -> dict:
    return {"type": "button", "action_id": action_id, "text": plain(text), "value": value}


def section(text: str = "*SEV1* api down", **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def select(options: list[dict], **extra) -> dict:
    return {"type": "static_select", "action_id": "sev", "placeholder": plain("Severity"),
            "options": options, **extra}


def option(text: str = "SEV1", value: str = "sev1") -> dict:
    return {"text": plain(text), "value": value}


def modal(**extra) -> dict:
    return {"type": "modal", "callback_id": "declare", "title": plain("Declare incident"),
            "submit": plain("Declare"), "close": plain("Cancel"),
            "blocks": [{"type": "input", "block_id": "title", "label": plain("Title"),
                        "element": {"type": "plain_text_input", "action_id": "v"}}], **extra}


@pytest.fixture
async def fake():
    async with FakeSlack() as running:
        yield running


def web_client(fake: FakeSlack, **kw) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.api_url, **kw)


# -- signing ---------------------------------------------------------------------------------
def test_the_signer_reproduces_slacks_documented_test_vector():
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
            "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
            "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
            "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body) == expected
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body.encode()) == expected


def test_signed_headers_use_form_for_commands_and_json_for_events():
    form = signed_headers("s", "command=%2Fincident")
    event = signed_headers("s", '{"type":"event_callback"}', timestamp=1)
    assert form["Content-Type"] == "application/x-www-form-urlencoded"
    assert event["Content-Type"] == "application/json"
    assert event["X-Slack-Request-Timestamp"] == "1"
    # slack_sdk's own verifier (the one Bolt uses) accepts the fresh signature
    assert SignatureVerifier("s").is_valid("command=%2Fincident",
                                           form["X-Slack-Request-Timestamp"],
                                           form["X-Slack-Signature"])


# -- Web API contract ------------------------------------------------------------------------
def test_the_contract_flags_an_unknown_method():
    assert any("unknown method" in v for v in check_call("chat.sendTelepathically", {}, BEARER))


def test_the_contract_flags_an_unknown_param():
    violations = check_call("chat.postMessage", {"channel": "C1", "text": "x", "colour": "red"},
                            BEARER)
    assert violations == ["unknown param 'colour' for chat.postMessage"]


def test_the_contract_flags_a_missing_required_param_including_overrides():
    assert check_call("chat.update", {"channel": "C1", "text": "x"}, BEARER) == [
        "missing required param 'ts'"]
    # conversations.create marks `name` optional in the spec; the override list knows better.
    assert check_call("conversations.create", {}, BEARER) == ["missing required param 'name'"]


def test_the_contract_flags_a_token_in_the_body():
    violations = check_call("auth.test", {"token": "xoxb-test"}, {})
    assert any("token sent in the query/body" in v for v in violations)
    assert any("Authorization: Bearer" in v for v in violations)


def test_the_contract_flags_a_bad_channel_name():
    violations = check_call("conversations.create", {"name": "Inc 42!"}, BEARER)
    assert len(violations) == 1 and "does not match" in violations[0]
    assert check_call("conversations.create", {"name": "x" * 81}, BEARER)


def test_the_contract_passes_a_correct_chat_post_message_with_newer_params():
    params = {"channel": "C1", "text": "SEV1 declared", "blocks": [section()],
              "metadata": {"event_type": "incident", "event_payload": {}},
              "unfurl_links": False}
    assert check_call("chat.postMessage", params, BEARER) == []
    assert check_content("chat.postMessage", params) == []


def test_message_content_needs_text_with_blocks_and_at_most_40000_chars():
    assert check_content("chat.postMessage", {"channel": "C1"}) == [
        "a message needs text or blocks"]
    assert any("text fallback" in v
               for v in check_content("chat.update", {"blocks": json.dumps([section()])}))
    assert any("max 40000" in v for v in check_content("chat.postMessage", {"text": "x" * 40001}))


# -- Block Kit limits ------------------------------------------------------------------------
MESSAGE_LIMITS = {
    "51 blocks in a message": ([section()] * 51, "51 blocks"),
    "header of 151 chars": ([{"type": "header", "text": plain("h" * 151)}], "header text is 151"),
    "empty plain_text": ([{"type": "header", "text": plain("")}], "empty plain_text"),
    "empty nested plain_text": ([{"type": "actions", "elements": [button(text=" ")]}],
                                "empty plain_text"),
    "section text of 3001": ([section("s" * 3001)], "section text is 3001"),
    "11 fields": ([section(fields=[plain("f")] * 11)], "11 fields"),
    "field of 2001": ([section(fields=[plain("f" * 2001)])], "section field is 2001"),
    "26 action elements": ([{"type": "actions", "elements": [
        button(f"a{i}") for i in range(26)]}], "26 elements"),
    "11 context elements": ([{"type": "context", "elements": [plain("c")] * 11}], "11 elements"),
    "button text of 76": ([{"type": "actions", "elements": [button(text="b" * 76)]}],
                          "button text is 76"),
    "button value of 2001": ([{"type": "actions", "elements": [button(value="v" * 2001)]}],
                             "button value is 2001"),
    "button url of 3001": ([{"type": "actions", "elements": [
        {**button(), "url": "https://x/" + "u" * 2991}]}], "button url is 3001"),
    "action_id of 256": ([{"type": "actions", "elements": [button("a" * 256)]}],
                         "action_id is 256"),
    "block_id of 256": ([section(block_id="b" * 256)], "block_id is 256"),
    "101 select options": ([section(accessory=select([option()] * 101))], "101 options"),
    "option text of 76": ([section(accessory=select([option(text="o" * 76)]))],
                          "option text is 76"),
    "option value of 151 in a group": ([section(accessory={
        **select([]), "options": None,
        "option_groups": [{"label": plain("g"), "options": [option(value="v" * 151)]}]})],
        "option value is 151"),
    "initial_option text of 76": ([section(accessory=select(
        [option()], initial_option=option(text="o" * 76)))], "option text is 76"),
    "confirm title of 101": ([{"type": "actions", "elements": [{**button(), "confirm": {
        "title": plain("t" * 101), "text": plain("sure?"), "confirm": plain("Yes"),
        "deny": plain("No")}}]}], "confirm title is 101"),
    "confirm label of 31": ([{"type": "actions", "elements": [{**button(), "confirm": {
        "title": plain("t"), "text": plain("sure?"), "confirm": plain("y" * 31),
        "deny": plain("No")}}]}], "confirm confirm is 31"),
    "duplicate block_id": ([section(block_id="b"), section(block_id="b")], "duplicate block_id"),
    "duplicate action_id in one block": ([{"type": "actions", "elements": [button(), button()]}],
                                         "duplicate action_id"),
    "unknown block type": ([{"type": "hologram"}], "unknown block type"),
}


@pytest.mark.parametrize("blocks, expected", MESSAGE_LIMITS.values(), ids=MESSAGE_LIMITS.keys())
def test_block_checks_flag_each_message_limit(blocks, expected):
    violations = check_blocks(blocks, "message")
    assert any(expected in v for v in violations), violations


VIEW_LIMITS = {
    "modal title of 25 chars": (modal(title=plain("t" * 25)), "modal title is 25"),
    "submit of 25 chars": (modal(submit=plain("s" * 25)), "modal submit is 25"),
    "private_metadata of 3001": (modal(private_metadata="m" * 3001), "private_metadata is 3001"),
    "callback_id of 256": (modal(callback_id="c" * 256), "callback_id is 256"),
    "101 blocks in a modal": (modal(blocks=[section()] * 101), "101 blocks"),
    "input block on the Home tab": ({"type": "home", "blocks": modal()["blocks"]},
                                    "not allowed on the Home tab"),
    "input without submit": ({**modal(), "submit": None}, "needs a submit"),
    "empty close label": (modal(close=plain("")), "empty plain_text"),
}


@pytest.mark.parametrize("view, expected", VIEW_LIMITS.values(), ids=VIEW_LIMITS.keys())
def test_view_checks_flag_each_modal_and_home_limit(view, expected):
    violations = check_view(view)
    assert any(expected in v for v in violations), violations


def test_block_checks_pass_a_realistic_message_and_modal():
    message = [
        {"type": "header", "text": plain(":rotating_light: INC-42 API down")},
        section(fields=[{"type": "mrkdwn", "text": "*Severity*\nSEV1"},
                        {"type": "mrkdwn", "text": "*Commander*\n<@U1>"}]),
        section("Pick a severity", block_id="sev", accessory=select(
            [option("SEV1", "sev1"), option("SEV2", "sev2")], initial_option=option())),
        {"type": "actions", "block_id": "controls", "elements": [
            button("ack", "Acknowledge"), {**button("resolve", "Resolve"), "style": "danger",
                                           "confirm": {"title": plain("Resolve?"),
                                                       "text": plain("Close INC-42"),
                                                       "confirm": plain("Resolve"),
                                                       "deny": plain("Cancel")}}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Declared by <@U1>"}]},
        {"type": "divider"},
    ]
    assert check_blocks(message, "message") == []
    assert check_view(modal(private_metadata='{"incident": 42}')) == []
    assert check_view(json.dumps({"type": "home", "blocks": message})) == []


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


# -- requests to the bot over HTTP -----------------------------------------------------------
@asynccontextmanager
async def bolt_over_http(fake: FakeSlack, app: AsyncApp):
    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"
    finally:
        await runner.cleanup()


async def test_signed_command_interaction_and_event_reach_a_real_bolt_app(fake):
    app = AsyncApp(client=web_client(fake), signing_secret="sekret",
                   process_before_response=True)  # handlers finish before the HTTP reply
    seen: list[str] = []

    @app.command("/incident")
    async def on_command(ack, respond, command):
        await ack()
        await respond(text=f"declaring {command['text']}")

    @app.action("ack")
    async def on_ack(ack, body):
        await ack()
        seen.append(body["message"]["text"])

    @app.event("app_mention")
    async def on_mention(event):
        seen.append(event["text"])

    async with bolt_over_http(fake, app) as url:
        status, body, elapsed = await fake.send_command(url, "sekret", text="api down")
        assert (status, body) == (200, "") and elapsed < 3
        response = await fake.wait_for_response()
        assert response["body"]["text"] == "declaring api down"
        posted = await web_client(fake).chat_postMessage(channel="CGENERAL", text="m1")
        payload = fake.block_action_payload("U1", "CGENERAL", posted["ts"], button())
        assert (await fake.send_interaction(url, "sekret", payload))[0] == 200
        event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1"}
        assert (await fake.send_event(url, "sekret", event))[0] == 200
        forged = await fake.send_command(url, "sekret", signature="v0=" + "0" * 64)
        assert forged[0] == 401
    assert seen == ["m1", "<@UBOT> hi"]
    assert fake.violations == []


def test_payload_builders_use_only_keys_from_slacks_payload_shapes():
    fake = FakeSlack()
    command = fake.command_payload(text="x")
    assert set(command) == shape_keys("app-backend_slash-commands_SlashCommandPayload.json") - {
        "enterprise_id", "enterprise_name"}
    action = fake.block_action_payload("U1", "CGENERAL", "1700000000.000100", button())
    assert set(action) <= shape_keys("app-backend_interactive-components_BlockActionPayload.json")
    submission = fake.view_submission_payload("U1", modal(), {"title": {"v": {"value": "x"}}})
    assert set(submission) <= shape_keys("app-backend_views_ViewSubmissionPayload.json")
    event = fake.event_payload({"type": "app_mention", "text": "hi"})
    assert set(event) <= shape_keys("events_AppMentionPayload.json")


# -- Socket Mode with the real Bolt handler --------------------------------------------------
async def test_socket_mode_round_trip_and_reconnect_with_the_real_bolt_handler(fake):
    # process_before_response: acks leave after the listeners ran, so `seen` is settled
    app = AsyncApp(client=web_client(fake), signing_secret="s", process_before_response=True)
    seen: list[str] = []

    @app.command("/incident")
    async def on_command(ack, command):
        await ack(text=f"got {command['text']}")

    @app.action("ack")
    async def on_click(ack, action):
        await ack()
        seen.append(action["action_id"])

    @app.event("app_mention")
    async def on_mention(event):
        seen.append(event["text"])

    handler = AsyncSocketModeHandler(app, "xapp-test")
    assert handler.client.web_client is app.client  # apps.connections.open goes to the fake
    try:
        await handler.connect_async()
        await fake.wait_for_socket()
        ack = await fake.socket_command("api down")
        assert ack["payload"] == {"text": "got api down"}
        await fake.socket_disconnect()
        await fake.wait_for("apps.connections.open", count=2)
        await fake.wait_for_socket(count=2)
        ack = await fake.socket_command("again")
        assert ack["payload"] == {"text": "got again"}
        posted = await app.client.chat_postMessage(channel="CGENERAL", text="m")
        click = fake.block_action_payload("U1", "CGENERAL", posted["ts"], button())
        assert set(await fake.socket_interaction(click)) == {"envelope_id"}
        assert await fake.socket_event({"type": "app_mention", "text": "hi", "user": "U1"})
        assert seen == ["ack", "hi"]
    finally:
        await handler.close_async()
    opens = fake.calls_to("apps.connections.open")
    assert all(c.headers["Authorization"] == "Bearer xapp-test" for c in opens)
    assert fake.violations == []


def test_the_contract_fails_loudly_when_the_shared_folder_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(contract, "_SPEC", None)  # drop the cache; monkeypatch restores it
    monkeypatch.setenv("WARROOM_SLACK_SHARED", str(tmp_path / "absent"))
    with pytest.raises(SharedContractMissing, match="WARROOM_SLACK_SHARED"):
        check_call("auth.test", {}, BEARER)


def test_the_contract_folder_is_where_the_readme_says():
    assert (shared_dir() / "web-api-openapi-v2.json").is_file()
    assert shared_dir().resolve() == (Path(__file__).parents[2].parent / "shared/slack").resolve()
