"""Warroom's benchmark: the real app against a bare Bolt app, over loopback, in one process.

Run it with ``.venv/bin/python -m bench.run`` (see bench/README.md).
"""
