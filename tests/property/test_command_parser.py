"""Property: whatever follows `/incident`, the parser gives a command or says what to type (never a crash)."""

from __future__ import annotations

import shlex
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import UserError
from handlers.command_text import COMMAND_TEXT_MAX, RECEIVED_MAX, from_slack
from handlers.parse import USAGE, Command, parse_command, user_id_of
from tests.property.strategies import PARSER_RUNS, digits, joined

words = st.one_of(st.sampled_from([*USAGE, "sev", "ls", "?", "follow-up", "on-call", "runbooks", "--service",
                                   "--service=", '"', "'", "<@U0123ABC>", "<@W1|ana>", "U0123ABC", "sev1"]),
                  digits, st.text(max_size=20))
near_valid = st.lists(words, max_size=8).map(" ".join)
command_texts = st.one_of(st.text(), near_valid, joined(st.sampled_from(["declare ", "note ", "role ", "timeline ",
                                                                          "milestone "]), st.text(max_size=30)))


@PARSER_RUNS
@given(command_texts)
def test_any_command_text_gives_a_command_or_a_usage_answer(text: str) -> None:
    try:
        parsed = parse_command(text)
    except UserError as exc:
        assert str(exc), "a refusal must say what to type instead"
        return
    assert isinstance(parsed, Command)


@PARSER_RUNS
@given(st.one_of(st.text(), words, joined(st.sampled_from(["<@U", "<@W", "<@"]), st.text("ABC0123|x", max_size=12),
                                        st.sampled_from([">", "", ">>"]))))
def test_any_word_is_a_user_id_or_none(word: str) -> None:
    found = user_id_of(word)
    assert found is None or (found[0] in "UW" and found.isalnum())


# Long texts built from pieces Slack sends (entities expand what was typed up to five times).
pieces = st.sampled_from(["x", " ", "&amp;", "&lt;", "<@U1|ana>", '"', "'", "\\", "--service ", "é"])
long_texts = st.tuples(st.sampled_from(["", "declare sev1 ", "note ", "followup "]),
                       st.lists(st.tuples(pieces, st.integers(1, 3000)), max_size=4)).map(
    lambda t: t[0] + "".join(piece * n for piece, n in t[1]))


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(long_texts)
def test_shlex_never_sees_more_than_the_bound(text: str) -> None:
    seen: list[int] = []
    split = shlex.split

    def spy(words: str) -> list[str]:
        seen.append(len(words))
        return split(words)

    with patch.object(shlex, "split", spy):
        try:
            parse_command(text)
        except UserError:
            pass
    assert all(n <= RECEIVED_MAX for n in seen) and (not seen or len(from_slack(text)) <= COMMAND_TEXT_MAX)
