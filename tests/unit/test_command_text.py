"""A slash command's text is unescaped exactly once, bounded before parsing, and refused with control characters."""

from __future__ import annotations

import shlex

import pytest

from bot.domain.errors import InvalidCommand
from handlers import parse
from handlers.command_text import COMMAND_TEXT_MAX
from handlers.incident_commands import Declare
from handlers.parse import parse_command
from handlers.people_commands import AddFollowUp, AssignRole, Handover, Note


def test_a_title_slack_escaped_is_stored_as_typed() -> None:
    assert parse_command("declare sev1 Imports &lt;failing&gt; &amp; slow") == Declare("sev1", "Imports <failing> & slow")


def test_slack_escaping_is_undone_exactly_once() -> None:
    # Typed: `<!channel> &lt; a & b` (the person typed an entity literally): Slack sent each & < > escaped.
    assert parse_command("note &lt;!channel&gt; &amp;lt; a &amp; b") == Note("<!channel> &lt; a & b")


def test_mentions_and_links_slack_inserted_are_stored_as_typed_in_free_text() -> None:
    parsed = parse_command("followup ask <@U123|ana> in <#C9|general> about <https://x.example|x.example> "
                           "and <https://y.example/?a=1&amp;b=2> <!here> <!subteam^S1|@oncall>")
    assert parsed == AddFollowUp("ask @ana in #general about x.example and https://y.example/?a=1&b=2 @here @oncall")


def test_a_note_keeps_the_people_slack_mentioned_so_the_timeline_and_review_name_them() -> None:
    assert parse_command("note ask <@U123|ana> &amp; <!here>, see &lt;@U9&gt;") == Note("ask <@U123> & @here, see <@U9>")


@pytest.mark.parametrize(("text", "expected"), [
    ("role commander <@U123|ana>", AssignRole("commander", "U123")),
    ("handover <@W42|bo>", Handover("W42")),
    ("followup Add an alert &amp; a test <@U9|cy>", AddFollowUp("Add an alert & a test", "U9")),
])
def test_a_mention_slack_inserted_is_the_user_argument_where_one_is_expected(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\x7f", "\x85", "\x0b"])
def test_a_control_character_is_refused_at_parse_with_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidCommand, match=r"control character \(U\+00"):
        parse_command(f"declare sev1 Imports{bad}failing")


def test_tabs_and_line_breaks_are_text_not_control_characters() -> None:
    assert parse_command("note first line\nsecond\tline") == Note("first line\nsecond\tline")


def test_text_over_the_bound_is_refused_before_shlex_sees_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    split = shlex.split

    def spy(text: str) -> list[str]:
        seen.append(len(text))
        return split(text)

    monkeypatch.setattr(parse.shlex, "split", spy)
    for text in ("note " + "x" * 900_000, "note " + "&amp;" * (COMMAND_TEXT_MAX + 1), "declare sev1 " + "a " * 3000):
        with pytest.raises(InvalidCommand, match="Keep the command under 4,000 characters"):
            parse_command(text)
    assert seen == []
    parse_command("note " + "&amp;" * (COMMAND_TEXT_MAX - 5))  # 3,995 ampersands typed: within the bound
    assert seen == [len("note ") + len("&amp;") * (COMMAND_TEXT_MAX - 5)]
