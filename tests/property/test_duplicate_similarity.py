"""The duplicate check's shortcut decides exactly as difflib's full ratio does."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.incident import _similar

# Titles from a small alphabet, so many pairs are close to the threshold rather than all far below it.
titles = st.text(alphabet="abcde fgh", max_size=40)


@settings(max_examples=3000, deadline=None, database=None, derandomize=True)
@given(titles, titles, st.sampled_from([0.0, 0.5, 0.6, 0.75, 0.8, 0.9, 1.0]))
def test_the_shortcut_agrees_with_the_full_ratio(a: str, b: str, threshold: float) -> None:
    assert _similar(a, b, threshold) == (difflib.SequenceMatcher(None, a, b).ratio() >= threshold)
