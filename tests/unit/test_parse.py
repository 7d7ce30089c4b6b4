"""The /incident command parser says what to type instead when it cannot understand."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidCommand
from handlers.parse import (
    ChangeSeverity,
    ChangeStatus,
    Declare,
    Help,
    ListOpen,
    OpenDeclareModal,
    parse_command,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("", OpenDeclareModal()),
    ("declare", OpenDeclareModal()),
    ("declare sev1 Imports failing", Declare("sev1", "Imports failing")),
    ('declare SEV-1 "Imports failing" --service imports', Declare("SEV-1", "Imports failing", "imports")),
    ("declare p2 Bank sync --service=banking", Declare("p2", "Bank sync", "banking")),
    ("declare sev1 it's broken", Declare("sev1", "it's broken")),
    ("declare sev1 Customer's 'bulk' imports fail for Bob's team",
     Declare("sev1", "Customer's 'bulk' imports fail for Bob's team")),
    ('declare sev2 --service "bank sync" Feeds "stale" again', Declare("sev2", 'Feeds "stale" again', "bank sync")),
    ("status Identified", ChangeStatus("identified")),
    ("severity sev2", ChangeSeverity("sev2")),
    ("list", ListOpen()),
    ("help", Help()),
])
def test_commands_parse(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(("text", "hint"), [
    ("frobnicate", "`frobnicate` is not an /incident command"),
    ("declare sev1", "Give a severity and a title"),
    ("declare sev1 --service", "`--service` needs a name"),
    ("status", "Give the new status"),
    ("severity a b", "Give the new severity"),
])
def test_malformed_commands_explain_what_to_type(text: str, hint: str) -> None:
    with pytest.raises(InvalidCommand, match=hint) as info:
        parse_command(text)
    assert "/incident" in str(info.value)
