"""Runbooks adapter: the YAML runbook format, its loader, the shipped library, step executors and flag providers."""
