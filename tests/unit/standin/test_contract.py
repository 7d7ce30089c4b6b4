"""The stand-in's checks, without a socket: the signer, Slack's Web API contract, Block Kit's limits, and where
the contract is read from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.standin import (
    SharedContractMissing,
    check_blocks,
    check_call,
    check_view,
    contract,
    sign,
)
from bot.standin.contract import check_content, shared_dir
from bot.standin.signing import signed_headers
from tests.unit.standin.kit import button, modal, option, plain, section, select

BEARER = {"Authorization": "Bearer xoxb-test"}


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


def test_the_contract_fails_loudly_when_the_shared_folder_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(contract, "_SPEC", None)  # drop the cache; monkeypatch restores it
    monkeypatch.setenv("WARROOM_SLACK_SHARED", str(tmp_path / "absent"))
    with pytest.raises(SharedContractMissing, match="WARROOM_SLACK_SHARED"):
        check_call("auth.test", {}, BEARER)


def test_the_contract_folder_is_where_the_readme_says():
    assert (shared_dir() / "web-api-openapi-v2.json").is_file()
    assert shared_dir().resolve() == (Path(__file__).parents[3].parent / "shared/slack").resolve()
