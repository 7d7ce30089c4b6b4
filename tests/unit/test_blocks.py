"""Block Kit builders stay within Slack's limits, even with extreme input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.config import load_policy
from bot.domain.incident import Incident
from bot.services.declaration import DeclareRequest
from bot.standin.blocks import check_blocks, check_view
from handlers import blocks
from handlers.ids import Action, Block
from handlers.modals import confirm_duplicate_modal, declare_modal, read_declare_values
from handlers.parse import USAGE

POLICY = load_policy(None)
NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def _incident(**kw: object) -> Incident:
    base = dict(team_id="T1", number=42, title="Imports failing", severity="SEV1", status="investigating",
                declared_by="U1", declared_at=NOW, id=1, channel_id="C42", summary="CSV imports 500")
    return Incident(**{**base, **kw})  # type: ignore[arg-type]


def test_the_card_shows_title_severity_status_roles_and_next_update() -> None:
    card = blocks.incident_card(_incident(), POLICY)
    assert card[0]["text"]["text"] == "INC-42: Imports failing"
    fields = " ".join(f["text"] for f in card[1]["fields"])
    for expected in ("SEV1", "Investigating", "Incident commander", "Communications lead", "Scribe",
                     "_unassigned_", f"<!date^{int((NOW + timedelta(minutes=15)).timestamp())}^"):
        assert expected in fields
    assert check_blocks(card) == []


def test_the_card_offers_only_allowed_status_changes_and_other_severities() -> None:
    card = blocks.incident_card(_incident(status="monitoring"), POLICY)
    actions = next(b for b in card if b.get("block_id") == Block.CARD_ACTIONS)
    status, severity, update = actions["elements"]
    assert update["action_id"] == Action.POST_UPDATE
    assert status["action_id"] == Action.CARD_STATUS
    assert [o["value"] for o in status["options"]] == ["investigating", "identified", "resolved"]
    assert [o["value"] for o in severity["options"]] == ["SEV0", "SEV2", "SEV3"]


def test_a_closed_incident_card_has_no_status_select() -> None:
    card = blocks.incident_card(_incident(status="closed"), POLICY)
    actions = next(b for b in card if b.get("block_id") == Block.CARD_ACTIONS)
    assert [e["action_id"] for e in actions["elements"]] == [Action.CARD_SEVERITY]  # no status, no update
    assert check_blocks(card) == []


def test_extreme_text_is_cut_to_the_limits() -> None:
    huge = _incident(title="T" * 500, summary="S" * 10_000, service="x" * 3000)
    assert check_blocks(blocks.incident_card(huge, POLICY)) == []
    assert check_blocks(blocks.announcement(huge, POLICY)) == []


def test_a_list_of_many_incidents_stays_under_50_blocks() -> None:
    many = [_incident(number=n, id=n) for n in range(1, 80)]
    rendered = blocks.incident_list(many, POLICY)
    assert check_blocks(rendered) == []
    assert "34 more" in rendered[-1]["elements"][0]["text"]


def test_help_and_empty_list_are_valid() -> None:
    assert check_blocks(blocks.help_blocks(POLICY, list(USAGE.values()))) == []
    assert check_blocks(blocks.incident_list([], POLICY)) == []


def test_duplicate_prompt_is_valid_and_carries_the_pending_declaration() -> None:
    prompt = blocks.duplicate_prompt([_incident()], POLICY, '{"severity": "SEV1"}')
    assert check_blocks(prompt) == []
    assert prompt[1]["elements"][0]["value"] == '{"severity": "SEV1"}'


def test_the_declare_modal_is_valid_and_its_values_read_back() -> None:
    modal = declare_modal(POLICY, source_channel_id="CGENERAL")
    assert check_view(modal) == []
    view = {"state": {"values": {
        Block.TITLE: {"value": {"type": "plain_text_input", "value": "Imports failing"}},
        Block.SEVERITY: {"value": {"type": "static_select", "selected_option": {"value": "SEV1"}}},
        Block.SERVICE: {"value": {"type": "plain_text_input", "value": None}},
        Block.SUMMARY: {"value": {"type": "plain_text_input", "value": "CSV 500s"}},
        Block.CLASS: {"value": {"type": "static_select", "selected_option": {"value": "import-pipeline"}}},
    }}}
    assert read_declare_values(view) == {Block.TITLE: "Imports failing", Block.SEVERITY: "SEV1",
                                         Block.SERVICE: "", Block.SUMMARY: "CSV 500s",
                                         Block.CLASS: "import-pipeline"}


def test_the_duplicate_confirmation_fits_private_metadata_even_with_a_long_summary() -> None:
    request = DeclareRequest(team_id="T1", user_id="U1", severity="SEV1", title="Imports failing",
                             summary="é\"" * 1000, source_channel_id="C1")
    modal = confirm_duplicate_modal(request, [_incident()], POLICY)
    assert check_view(modal) == []
    assert len(modal["private_metadata"]) <= 3000


def test_a_long_runbook_checklist_stays_within_block_kit_limits() -> None:
    from bot.domain.runbook import FlagStep, Guard, Procedure, Runbook, StepRun, StepState
    from handlers.runbook_blocks import checklist

    steps = tuple(FlagStep(id=f"s{n}", title=f"Step {n} " + "x" * 200, flag="F", value=False,
                       rollback=True, guard=Guard(roles=("commander",), confirm="Sure? " * 80, approval=True))
                  for n in range(60))
    runbook = Runbook(id="long", title="T" * 300, summary="s", procedures=(Procedure(id="p", title="P", steps=steps),))
    states = [StepState.PENDING, StepState.DONE, StepState.FAILED, StepState.AWAITING_APPROVAL]
    runs = [StepRun(team_id="T1", incident_id=1, runbook_id="long", step_id=f"s{n}", state=states[n % 4],
                    actor="U1", error="e" * 500) for n in range(60)]
    blocks = checklist(runbook, runs)
    assert check_blocks(blocks) == []
    assert any(b["type"] == "actions" for b in blocks) and "15 more steps" in json.dumps(blocks)


def test_notification_targets_become_mentions_channels_and_the_roles_nobody_holds() -> None:
    from handlers.format import split_targets

    found = split_targets(["role:commander", "role:scribe", "S0LEADS", "U7", "#oncall-sre"], {"commander": "U1"})
    assert found.mentions == ["<@U1>", "<!subteam^S0LEADS>", "<@U7>"]
    assert found.channels == ["#oncall-sre"] and found.unheld_roles == ["scribe"]
