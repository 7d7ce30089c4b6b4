"""The /incident command parser says what to type instead when it cannot understand."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidCommand
from handlers.class_commands import SetField
from handlers.incident_commands import (
    ChangeClass,
    ChangeSeverity,
    ChangeStatus,
    Declare,
    ListOpen,
    OpenDeclareModal,
)
from handlers.parse import parse_command
from handlers.subcommands import Help


@pytest.mark.parametrize(("text", "expected"), [
    ("", OpenDeclareModal()),
    ("declare", OpenDeclareModal()),
    ("declare sev1 Imports failing", Declare("sev1", "Imports failing")),
    ('declare SEV-1 "Imports failing" --service imports', Declare("SEV-1", "Imports failing", "imports")),
    ("declare p2 Bank sync --service=banking", Declare("p2", "Bank sync", "banking")),
    ("declare sev1 --class import-pipeline Imports failing", Declare("sev1", "Imports failing", "",
                                                                     "import-pipeline")),
    ('declare sev2 Queue stuck --class "Queue failure" --service jobs',
     Declare("sev2", "Queue stuck", "jobs", "Queue failure")),
    ("declare sev2 Queue stuck --class=queue-failure", Declare("sev2", "Queue stuck", "", "queue-failure")),
    ("field tenant acme corp", SetField("tenant", "acme corp")),
    ("field owner <@U123|ana>", SetField("owner", "<@U123>")),
    ("declare sev1 it's broken", Declare("sev1", "it's broken")),
    ("declare sev1 Customer's 'bulk' imports fail for Bob's team",
     Declare("sev1", "Customer's 'bulk' imports fail for Bob's team")),
    ('declare sev2 --service "bank sync" Feeds "stale" again', Declare("sev2", 'Feeds "stale" again', "bank sync")),
    ("status Identified", ChangeStatus("identified")),
    ("severity sev2", ChangeSeverity("sev2")),
    ("class queue-failure", ChangeClass("queue-failure")),
    ("class Queue failure", ChangeClass("Queue failure")),
    ("list", ListOpen()),
    ("help", Help()),
])
def test_commands_parse(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(("text", "hint"), [
    ("frobnicate", "`frobnicate` is not an /incident command"),
    ("declare sev1", "Give a severity and a title"),
    ("declare sev1 --service", "`--service` needs a name"),
    ("declare sev1 Imports --class", "`--class` needs a class"),
    ("declare sev1 Imports --class=", "`--class` needs a class"),
    ("declare sev1 --service= Imports", "`--service` needs a name"),
    ("field tenant", "Give a field and its value"),
    ("status", "Give the new status"),
    ("severity a b", "Give the new severity"),
    ("class", "Give the incident's class"),
])
def test_malformed_commands_explain_what_to_type(text: str, hint: str) -> None:
    with pytest.raises(InvalidCommand, match=hint) as info:
        parse_command(text)
    assert "/incident" in str(info.value)


@pytest.mark.parametrize("text", ["declare sev1 Imports failing --servce api", "declare sev1 --servce=api Imports failing"])
def test_an_unknown_flag_is_an_error_naming_the_valid_flags_not_part_of_the_title(text: str) -> None:
    with pytest.raises(InvalidCommand) as info:
        parse_command(text)
    assert str(info.value).startswith("`--servce` is not a flag of /incident declare; valid flags: `--service <name>`, "
                                      "`--class <class>`.")
    assert "Did you mean `--service`?" in str(info.value)


def test_dashes_that_are_not_a_flag_stay_in_the_title() -> None:
    assert parse_command("declare sev1 Imports -- broken - again") == Declare("sev1", "Imports -- broken - again")


@pytest.mark.parametrize(("typed", "meant"), [("declre", "declare"), ("delcare", "declare"), ("timelin", "timeline"),
                                              ("hlep", "help")])
def test_a_mistyped_subcommand_gets_did_you_mean(typed: str, meant: str) -> None:
    with pytest.raises(InvalidCommand) as info:
        parse_command(f"{typed} sev1 Imports failing")
    message = str(info.value)
    assert message.startswith(f"`{typed}` is not an /incident command. Did you mean `{meant}`? Usage: ")
    assert message.count("/incident ") == 2  # just the closest usage, not every command


def test_an_unknown_word_is_escaped_when_it_is_echoed_back() -> None:
    with pytest.raises(InvalidCommand, match="`&lt;b&gt;x&amp;` is not an /incident command. Try one of"):
        parse_command("<b>x&")
