"""Property: the alert payload parsers give a notification or a clean PayloadError, whatever arrives; a valid
notification keeps every alert, and its group identity does not depend on the order of its alerts."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.alerts import AlertSource
from handlers.alert_payloads import PayloadError, parse
from tests.alerting import alert, alertmanager, grafana
from tests.property.strategies import PARSER_RUNS, json_values, mutated

VALID = alertmanager("ImportsFailing", [alert("fp1"), alert("fp2", "resolved")])
GRAFANA = grafana([alert("g1")])
sources = st.sampled_from(list(AlertSource))
fingerprints = st.lists(st.text(alphabet="0123456789abcdef", min_size=1, max_size=16), min_size=1, max_size=8,
                        unique=True)


@PARSER_RUNS
@given(source=sources, payload=st.one_of(mutated(VALID), mutated(GRAFANA), json_values))
def test_any_body_parses_or_is_refused_cleanly(source: AlertSource, payload: object) -> None:
    try:
        notification = parse(source, json.dumps(payload))
    except PayloadError:
        return
    assert notification.alerts and all(a.status in ("firing", "resolved") for a in notification.alerts)


@PARSER_RUNS
@given(source=sources, raw=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_any_bytes_parse_or_are_refused_cleanly(source: AlertSource, raw: bytes | str) -> None:
    try:
        parse(source, raw)
    except PayloadError:
        pass


@PARSER_RUNS
@given(fps=fingerprints, order=st.randoms(use_true_random=False))
def test_without_a_group_key_the_group_is_its_fingerprints_in_any_order(fps: list[str], order: object) -> None:
    shuffled = list(fps)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    first = parse(AlertSource.GRAFANA, json.dumps(grafana([alert(f) for f in fps])))
    second = parse(AlertSource.GRAFANA, json.dumps(grafana([alert(f) for f in shuffled])))
    assert [a.fingerprint for a in first.alerts] == fps
    assert first.dedup_key == second.dedup_key
