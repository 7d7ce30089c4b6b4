"""Warroom's pure domain: incidents, policy, lifecycle, errors and the ports use cases need.

Imports the standard library only (enforced by import-linter in the tests).
"""
