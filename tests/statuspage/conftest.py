"""Fixtures of the status page tests."""

from tests.statuspage.publishing_setup import page_setup  # noqa: F401  (fixture)
