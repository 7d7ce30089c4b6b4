"""`warroom sandbox`: the real bot on SQLite, the Slack stand-in, and a page to use them in a browser.

Composition-root level: it wires bot.app (the same app `warroom serve` runs), bot.standin and
an aiohttp page (server.py, static/) together; see launch.py.
"""

from .launch import DEFAULT_DIR, DEFAULT_PORT, Sandbox, run_sandbox, start_sandbox

__all__ = ["DEFAULT_DIR", "DEFAULT_PORT", "Sandbox", "run_sandbox", "start_sandbox"]
