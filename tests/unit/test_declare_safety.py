"""A declare that cannot be stored is refused before its channel exists, or leaves no channel behind."""

from __future__ import annotations

import pytest

from bot.config import load_policy
from bot.domain.errors import InvalidInput, StorageUnavailable
from bot.services.declaration import DeclareRequest, validate_declare
from tests.unit.services import make_world

POLICY = load_policy(None)


@pytest.mark.parametrize("field", ["title", "summary", "service"])
@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b", "\x9b"])
def test_a_control_character_in_a_declare_field_is_refused_by_field(field: str, bad: str) -> None:
    values = {"title": "Imports failing", "summary": "", "service": "", field: f"Imports {bad}failing"}
    with pytest.raises(InvalidInput) as info:
        validate_declare(DeclareRequest(team_id="T1", user_id="U1", severity="sev1", **values), POLICY)
    assert list(info.value.errors) == [field]
    assert f"contains a control character (U+{ord(bad):04X})" in info.value.errors[field]


async def test_a_declare_refused_for_a_nul_byte_creates_no_channel_and_uses_no_number() -> None:
    world = make_world()
    with pytest.raises(InvalidInput):
        await world.declare("Imports\x00failing")
    assert world.chat.calls("create_channel") == [] and world.db.numbers == {}


async def test_a_declare_that_cannot_be_saved_archives_the_channel_it_created() -> None:
    world = make_world()
    world.chat.fail["post_card"] = StorageUnavailable("the database went away")  # inside the incident's transaction
    with pytest.raises(StorageUnavailable):
        await world.declare("Imports failing")
    [name] = world.chat.calls("create_channel")
    [archived] = world.chat.calls("archive_channel")
    assert archived.name == name and world.db.incidents == {}  # type: ignore[attr-defined]
