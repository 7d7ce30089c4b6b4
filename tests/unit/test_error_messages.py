"""What a person is told when a request fails: "not saved" only when nothing of it was saved."""

from __future__ import annotations

from bot.domain.errors import ChatUnavailable, StorageUnavailable, TransactionConflict
from handlers.errors import message_for


def test_a_database_failure_before_anything_was_saved_says_not_saved() -> None:
    text, ref = message_for(StorageUnavailable("unreachable"))
    assert text == f":warning: Not saved: the database is unreachable. Try again in a minute. (ref {ref})"


def test_a_database_failure_after_the_change_was_saved_says_saved_but() -> None:
    text, ref = message_for(StorageUnavailable("unreachable"), saved=True)
    assert text == (f":warning: Saved, but a step after it failed: the database became unreachable. "
                    f"Check the channel before trying again. (ref {ref})")


def test_a_slack_failure_after_the_change_was_saved_names_what_failed() -> None:
    text, _ = message_for(ChatUnavailable("Slack refused chat.postMessage: channel_not_found"), saved=True)
    assert text.startswith(":warning: Saved, but a step after it failed: Slack refused chat.postMessage: "
                           "channel_not_found. ")


def test_a_race_lost_on_every_attempt_says_not_saved_and_to_try_again() -> None:
    text, ref = message_for(TransactionConflict("another change to this workspace was being saved at the same "
                                                "moment. Try again."))
    assert text == (":warning: Not saved: another change to this workspace was being saved at the same moment. "
                    f"Try again. (ref {ref})")
