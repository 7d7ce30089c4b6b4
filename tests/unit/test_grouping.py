"""Grouped notices: how many incidents' notices read as one message in a shared channel."""

from __future__ import annotations

import pytest

from bot.domain.grouping import COUNT, MAX_LINES, Notice, grouped_text


def test_the_grouped_message_counts_the_incidents_and_lists_each_on_its_own_line() -> None:
    text, held = grouped_text(f":rotating_light: {COUNT} SEV1 incidents have no incident commander:",
                              ["INC-1 (SEV1: Imports)", "INC-2 (SEV1: Billing)"])
    assert held == 2
    assert text.splitlines() == [":rotating_light: 2 SEV1 incidents have no incident commander:",
                                 "• INC-1 (SEV1: Imports)", "• INC-2 (SEV1: Billing)"]


def test_lines_that_would_pass_the_length_limit_are_left_for_the_next_message() -> None:
    lines = [f"INC-{n} " + "x" * 90 for n in range(1, 20)]
    text, held = grouped_text(f"{COUNT} incidents:", lines, limit=500)
    assert len(text) <= 500
    assert 1 < held < len(lines)
    assert text.startswith(f"{held} incidents:") and f"INC-{held} " in text and f"INC-{held + 1} " not in text


def test_one_message_names_at_most_max_lines_incidents() -> None:
    _, held = grouped_text(f"{COUNT}:", [f"INC-{n}" for n in range(MAX_LINES + 10)], limit=100_000)
    assert held == MAX_LINES


def test_a_heading_must_say_how_many() -> None:
    with pytest.raises(ValueError, match="how many"):
        Notice(key="k", heading="Incidents have no commander:", line="INC-1")


def test_mentions_make_their_own_group_and_open_the_grouped_message() -> None:
    notice = Notice(key="response_target/SEV1", heading=f"{COUNT} incidents:", line="INC-1")
    paged = notice.with_prefix("<!subteam^S1>", " <#C1>")
    assert paged.key != notice.key and paged.key != notice.with_prefix("<!subteam^S2>").key
    assert paged.heading == f"<!subteam^S1> {COUNT} incidents:" and paged.line == "INC-1 <#C1>"
    assert notice.with_prefix("", " <#C1>").key == notice.key
