"""The declare form: its severity hint lists every severity of the policy, within Slack's limit; its service
is a select of the service catalog when there is one."""

from __future__ import annotations

from dataclasses import replace

from bot.config import load_policy
from bot.domain.catalog import Catalog, Service
from bot.domain.severity import SeverityScale
from bot.standin.blocks import check_view
from handlers.ids import Block
from handlers.modals import HINT_MAX, declare_modal, read_declare_values

POLICY = load_policy(None)


def _hint(modal: dict[str, object]) -> str:
    [severity] = [b for b in modal["blocks"] if b["block_id"] == Block.SEVERITY]  # type: ignore[attr-defined,index]
    return str(severity["hint"]["text"])


def test_the_hint_lists_every_severity_of_the_shipped_policy_with_its_whole_description() -> None:
    hint = _hint(declare_modal(POLICY, source_channel_id=None))
    levels = sorted(POLICY.severities.levels, key=lambda s: s.rank)
    assert [part.split(":")[0] for part in hint.split("\n")] == [s.id for s in levels] == ["SEV0", "SEV1", "SEV2", "SEV3"]
    for severity in levels:
        assert f"{severity.id}: {severity.description}" in hint


def test_a_policy_with_many_wordy_severities_still_names_each_one_within_the_limit() -> None:
    base = POLICY.severities.levels[0]
    levels = tuple(replace(base, id=f"P{n}", aliases=(), rank=n, description=f"Level {n} " + "word " * 200)
                   for n in range(8))
    modal = declare_modal(replace(POLICY, severities=SeverityScale(levels)), source_channel_id=None)
    hint = _hint(modal)
    assert len(hint) <= HINT_MAX and [part.split(":")[0] for part in hint.split("\n")] == [f"P{n}" for n in range(8)]
    assert check_view(modal) == []


def test_with_a_service_catalog_the_form_offers_its_services_and_reads_the_choice() -> None:
    policy = replace(POLICY, catalog=Catalog((Service(id="imports", name="Import pipeline"), Service(id="ledger"))))
    modal = declare_modal(policy, source_channel_id="C1")
    assert check_view(modal) == []
    [service] = [b for b in modal["blocks"] if b["block_id"] == Block.SERVICE]
    assert [(o["text"]["text"], o["value"]) for o in service["element"]["options"]] == [
        ("Import pipeline", "imports"), ("ledger", "ledger")]
    chosen = {"state": {"values": {Block.SERVICE: {"value": {"type": "static_select",
                                                             "selected_option": {"value": "imports"}}}}}}
    assert read_declare_values(chosen)[Block.SERVICE] == "imports"
    without = declare_modal(POLICY, source_channel_id="C1")
    assert [b for b in without["blocks"] if b["block_id"] == Block.SERVICE][0]["element"]["type"] == "plain_text_input"
