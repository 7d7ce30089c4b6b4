"""Property: every parser of a Slack payload gives a value or a clean refusal (a UserError), whatever arrives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import UserError
from bot.domain.milestones import parse_milestone, parse_when
from bot.domain.stats import parse_period
from bot.services.review_reader import parse_ref
from bot.services.updates import Audience, parse_audience
from handlers.ids import Block
from handlers.modals import read_declare_values, read_text_values
from handlers.payload import MAX_COUNT, count_value, payload_text, view_metadata
from handlers.runbook_blocks import read_step_value
from handlers.runbook_handlers import _step
from tests.property.strategies import PARSER_RUNS, digits, joined, json_values, mutated, shape

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
dates = st.one_of(st.dates().map(lambda d: d.isoformat()), joined(digits, st.just("-"), digits, st.just("-"), digits))
small = st.integers(0, 999).map(str)
# JSON nested past the recursion limit (a few depths: building and refusing 5000-deep text is slow).
nested = st.sampled_from([1, 2, 50, 999, 1001, 5000]).map(lambda n: "[" * n + "]" * n)
block_action = shape("app-backend_interactive-components_BlockActionPayload", "type", "team", "user", "channel",
                     "trigger_id") | {"actions": [{"action_id": "card_status_select", "block_id": "card_actions",
                                                   "type": "static_select", "selected_option": {"value": "identified"}}]}
view_submission = shape("app-backend_views_ViewSubmissionPayload", "type", "team", "user", "view")
declare_state = {"values": {b: {"value": {"type": "plain_text_input", "value": "x"}} for b in
                            (Block.TITLE, Block.SERVICE, Block.SUMMARY, Block.UPDATE_TEXT)}
                 | {Block.SEVERITY: {"value": {"type": "static_select", "selected_option": {"value": "sev1"}}}}}
our_view = {"id": view_submission["view"]["id"], "callback_id": "declare_modal", "state": declare_state,
            "private_metadata": json.dumps({"channel_id": "C1"})}
step_values = st.one_of(st.text(), json_values.map(json.dumps),
                        st.fixed_dictionaries({"r": json_values, "s": json_values, "a": json_values}).map(json.dumps),
                        nested)


def clean(parse: Any, *args: Any, **kw: Any) -> Any:
    """Run a parser; a UserError is a clean answer too (returned as None)."""
    try:
        return parse(*args, **kw)
    except UserError as exc:
        assert str(exc)
        return None


@PARSER_RUNS
@given(st.one_of(json_values, mutated(our_view), mutated({"view": our_view})))
def test_any_view_submission_reads_as_text_values(view: Any) -> None:
    values = read_declare_values(view) | read_text_values(view, Block.RESOLUTION, Block.UPDATE_TEXT)
    assert all(isinstance(v, str) for v in values.values())


@PARSER_RUNS
@given(st.one_of(json_values, mutated(our_view), st.builds(lambda m: {"private_metadata": m}, st.one_of(
    st.text(), json_values.map(json.dumps), nested))))
def test_any_private_metadata_is_ours_or_refused(view: Any) -> None:
    meta = clean(view_metadata, view)
    assert meta is None or isinstance(meta, dict)


@PARSER_RUNS
@given(st.one_of(json_values, mutated(block_action)))
def test_any_block_action_gives_its_ids_and_selection_or_a_refusal(body: Any) -> None:
    for path in (("team", "id"), ("user", "id"), ("channel", "id"), ("actions", 0, "selected_option", "value")):
        found = clean(payload_text, body, *path)
        assert found is None or (isinstance(found, str) and found)


@PARSER_RUNS
@given(st.one_of(json_values, digits))
def test_any_button_number_is_a_bounded_count_or_the_default(value: Any) -> None:
    assert 0 < count_value(value, 1) <= MAX_COUNT


@PARSER_RUNS
@given(st.one_of(step_values, json_values))
def test_any_runbook_step_button_value_is_a_step_or_a_refusal(value: Any) -> None:
    step = clean(_step, {"value": value})
    if step is not None:
        assert step == read_step_value(value) and isinstance(step[0], str) and isinstance(step[1], str)


@PARSER_RUNS
@given(st.one_of(st.text(), joined(st.sampled_from(["", "inc", "INC-", " inc-"]), digits)))
def test_any_incident_reference_is_a_number_or_a_refusal(text: str) -> None:
    ref = clean(parse_ref, text)
    assert ref is None or ref >= 0


@PARSER_RUNS
@given(st.one_of(st.text(), st.sampled_from(["status-page", "statuspage", "customer", "resolved", ""])))
def test_any_audience_is_one_of_ours_or_a_refusal(text: str) -> None:
    audience = clean(parse_audience, text)
    assert audience is None or isinstance(audience, Audience)


@PARSER_RUNS
@given(st.one_of(st.text(), joined(digits, st.sampled_from(["", " ", "d", "w", "m", "y", "days", "weeks", "h"])),
                 joined(dates, st.sampled_from(["..", "...", " .. "]), dates)))
def test_any_stats_period_is_a_range_or_a_refusal(text: str) -> None:
    period = clean(parse_period, text, now=NOW)
    assert period is None or period[0] < period[1]


@PARSER_RUNS
@given(st.one_of(st.text(), st.sampled_from(["now", "NOW", "yesterday"]),
                 joined(st.sampled_from(["", "yesterday ", "2026-02-30 ", "2026-03-01 "]), small, st.just(":"), small,
                        st.sampled_from(["", ":00", ":61"]), st.sampled_from(["", " UTC", " +05:45", " PST", " Mars/Base", "Z"]))),
       st.sampled_from(["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kathmandu"]))
def test_any_milestone_time_is_in_the_past_or_a_refusal(text: str, tz: str) -> None:
    when = clean(parse_when, text, now=NOW, tz=tz)
    assert when is None or when.tzinfo is not None
    assert clean(parse_milestone, text) is None or text.strip()
