"""Fixtures shared by the integration tests (the databases come from tests/conftest.py)."""

from tests.integration.runbook_setup import setup  # noqa: F401  (fixture)
