"""What names a Slack delivery, so a redelivery is dropped and a replay refused."""

from __future__ import annotations

from handlers.dedupe import delivery_key

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
