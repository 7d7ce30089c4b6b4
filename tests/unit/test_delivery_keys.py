"""What names a Slack delivery, so a redelivery is dropped and a replay refused."""

from __future__ import annotations

from handlers.dedupe import READ_ONLY_WORDS, delivery_key
from handlers.export_commands import ShowStats
from handlers.incident_commands import ListOpen
from handlers.people_commands import ShowOnCall, ShowTimeline
from handlers.subcommands import BY_WORD, Help

SIGNATURE = "v0=" + "ab" * 32


def test_a_signed_command_or_view_submission_is_named_by_its_signature() -> None:
    assert delivery_key({"command": "/incident", "text": "note x"}, SIGNATURE) == f"signed:{SIGNATURE}"
    assert delivery_key({"type": "view_submission", "view": {"id": "V1"}}, SIGNATURE) == f"signed:{SIGNATURE}"


def test_socket_mode_commands_carry_no_signature_and_get_no_record() -> None:
    assert delivery_key({"command": "/incident", "text": "note x"}, None) is None


def test_events_and_clicks_keep_their_own_ids_so_slacks_redeliveries_are_recognised_when_resigned() -> None:
    assert delivery_key({"type": "event_callback", "event_id": "Ev1"}, SIGNATURE) == "event:Ev1"
    click = {"type": "block_actions", "actions": [{"action_id": "a", "action_ts": "1.2"}],
             "container": {"message_ts": "3.4"}}
    assert delivery_key(click, SIGNATURE) == "action:a:3.4:1.2"


def test_read_only_requests_slack_repeats_itself_are_not_recorded() -> None:
    for kind in ("block_suggestion", "url_verification", "ssl_check"):
        assert delivery_key({"type": kind}, SIGNATURE) is None


def test_sub_commands_that_only_show_something_get_no_record_and_the_rest_do() -> None:
    for word in ("list", "LS", "help", "timeline 2", "oncall", "stats 30d"):
        assert delivery_key({"command": "/incident", "text": word}, SIGNATURE) is None, word
    for text in ("note x", "declare sev1 x", "", "status resolved", "listing"):
        assert delivery_key({"command": "/incident", "text": text}, SIGNATURE) == f"signed:{SIGNATURE}", text


def test_every_read_only_word_names_a_sub_command_that_changes_nothing() -> None:
    shows_only = (ListOpen, Help, ShowTimeline, ShowOnCall, ShowStats)
    for word in READ_ONLY_WORDS:
        assert set(BY_WORD[word].types) <= set(shows_only), word
