"""Step executors: run a runbook step for real (commands, HTTP probes, flags); checks and notifications are recorded.

Commands come from the runbook file only (never from chat), run as an argv without a shell, with a
timeout and a scrubbed environment (see runbooks/processes.py); their output is redacted, then cut,
before anyone sees it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.domain.errors import FlagProviderError
from bot.domain.ports import FlagProvider
from bot.domain.redaction import Redactor
from bot.domain.runbook import CommandStep, FlagStep, HttpCheckStep, Step, StepKind, StepOutcome
from runbooks.processes import run_command

OUTPUT_LIMIT = 20_000
# How much of a command's output is kept (in bytes) before it is redacted and cut to OUTPUT_LIMIT.
KEPT_OUTPUT = 4 * OUTPUT_LIMIT
# The only variables a diagnostic command inherits, besides those the operator allows.
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
_VAR = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
# Variables a runbook may never pull into a command line, URL or its output.
SENSITIVE = re.compile(r"TOKEN|SECRET|PASSW|API_?KEY|PRIVATE|CREDENTIAL|SIGNING|^DATABASE_URL$")
HTTP_BODY_LIMIT = 65_536
HTTP_SHOWN = 2_000
# Where kept output was cut, what is shown stops this far before the cut (or at an earlier line break):
# at least the longest known secret, so no part of one the cut split is shown. The floor covers
# shape-recognised credentials cut too short to be recognised.
UNFINISHED_TAIL = 64


class MissingVariable(Exception):
    """A ${VAR} in a runbook is not set in the bot's environment."""


def expand(text: str, environ: Mapping[str, str]) -> str:
    """Replace ${VAR} with the environment's value; a missing one raises MissingVariable."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if SENSITIVE.search(name):
            raise MissingVariable(f"the runbook uses ${{{name}}}, which looks like a secret; runbooks may not read secrets")
        if name not in environ:
            raise MissingVariable(f"${{{name}}} is not set where Warroom runs: ask the Warroom operator to set it, "
                                  "or do this step by hand")
        return environ[name]

    return _VAR.sub(value, text)


@dataclass
class StepRunner:
    """Runs steps of the kinds that do something outside Slack."""

    providers: Mapping[str, FlagProvider]
    default_provider: str | None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    allowed_env: tuple[str, ...] = ()
    redactor: Redactor = field(default_factory=Redactor)

    @classmethod
    def for_environment(cls, providers: Mapping[str, FlagProvider], default_provider: str | None,
                        environ: Mapping[str, str], secrets: tuple[str, ...] = ()) -> StepRunner:
        """A runner whose output redaction knows every secret-looking value of the environment."""
        found = [v for k, v in environ.items() if SENSITIVE.search(k)]
        return cls(providers=providers, default_provider=default_provider, environ=dict(environ),
                   redactor=Redactor([*found, *secrets]))

    async def run(self, step: Step, *, rollback: bool = False) -> StepOutcome:
        """Run `step` (or undo a flag step) with its kind's executor; never raises for the step's own failure."""
        try:
            return await EXECUTORS[step.kind](self, step, rollback)
        except MissingVariable as exc:
            return StepOutcome(ok=False, error=str(exc))

    async def _nothing(self, step: Step, rollback: bool) -> StepOutcome:
        """A check is ticked and a notification is sent through the chat: nothing runs here, the run is recorded."""
        return StepOutcome(ok=True)

    async def _command(self, step: CommandStep, rollback: bool) -> StepOutcome:
        argv = [expand(a, self.environ) for a in step.argv]
        cwd = expand(step.workdir, self.environ) if step.workdir else None
        env = {k: self.environ[k] for k in (*BASE_ENV, *self.allowed_env) if k in self.environ}
        try:
            ran = await run_command(argv, cwd=cwd, env=env, timeout=step.timeout_seconds, limit=KEPT_OUTPUT)
        except OSError as exc:
            return StepOutcome(ok=False, error=f"could not start `{argv[0]}`: {exc.strerror}")
        text = self._shown(ran.output.decode(errors="replace"), OUTPUT_LIMIT, cut_at=KEPT_OUTPUT if ran.truncated else None)
        if ran.timed_out:
            held = "" if ran.returncode is None else ": it exited, but a process it started kept its output open"
            return StepOutcome(ok=False, output=text, error=f"timed out after {step.timeout_seconds:g} s{held}")
        if ran.returncode != 0:
            return StepOutcome(ok=False, output=text, error=f"exited with status {ran.returncode}")
        return StepOutcome(ok=True, output=text)

    def _shown(self, text: str, limit: int, *, cut_at: int | None = None) -> str:
        """`text` redacted, then cut to `limit`: redaction sees every secret whole before any cut.

        `cut_at`: the text was already cut there when kept, maybe inside a secret redaction could not
        recognise in part; what is shown stops before it.
        """
        text = self.redactor.scrub(text)
        kept = ""
        if cut_at is not None:
            safe = max(0, len(text) - max(self.redactor.longest, UNFINISHED_TAIL))
            text = text[:text.rfind("\n", 0, safe) + 1 or safe]
            kept = f"… (output beyond {cut_at:,} bytes not kept)"
        if len(text) > limit:
            text = text[:limit] + f"\n… ({len(text) - limit} more characters)"
        return text + ("\n" if kept and text and not text.endswith("\n") else "") + kept

    async def _http(self, step: HttpCheckStep, rollback: bool) -> StepOutcome:
        url = expand(step.url, self.environ)
        timeout = aiohttp.ClientTimeout(total=step.timeout_seconds)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.request(step.method, url) as resp:
                raw = b""
                while len(raw) < HTTP_BODY_LIMIT and (chunk := await resp.content.read(HTTP_BODY_LIMIT - len(raw))):
                    raw += chunk
                truncated = len(raw) >= HTTP_BODY_LIMIT and not resp.content.at_eof()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return StepOutcome(ok=False, error=f"{step.method} {self.redactor.scrub(url)} failed: {type(exc).__name__}")
        body = raw.decode(errors="replace")
        shown = self._shown(body, HTTP_SHOWN, cut_at=HTTP_BODY_LIMIT if truncated else None)
        summary = self.redactor.scrub(f"{step.method} {url} → {status}") + "\n" + shown
        if step.expect_status is not None and status != step.expect_status:
            return StepOutcome(ok=False, output=summary, error=f"expected status {step.expect_status}, got {status}")
        if step.expect_body and step.expect_body not in body:
            return StepOutcome(ok=False, output=summary, error=f"the body does not contain {step.expect_body!r}")
        return StepOutcome(ok=True, output=summary)

    async def _flag(self, step: FlagStep, rollback: bool) -> StepOutcome:
        value = step.rollback if rollback else step.value
        name = step.provider or self.default_provider
        provider = self.providers.get(name or "")
        if provider is None:
            missing = f"no flag provider {name!r}" if name else "no default flag provider"
            return StepOutcome(ok=False, error=f"{missing} is configured: add it under flag_providers in warroom.yaml "
                                               f"(and default_flag_provider), or flip {step.flag} by hand")
        try:
            before = await provider.set(step.flag, value)
        except FlagProviderError as exc:
            return StepOutcome(ok=False, error=str(exc))
        return StepOutcome(ok=True, before=before, after=value, output=f"{step.flag}: {before!r} → {value!r} ({provider.name})")


# Each kind's executor, found by the kind: (runner, step of that kind, rollback) -> outcome.
Executor = Callable[[StepRunner, Any, bool], Awaitable[StepOutcome]]
EXECUTORS: dict[StepKind, Executor] = {
    StepKind.CHECK: StepRunner._nothing,
    StepKind.COMMAND: StepRunner._command,
    StepKind.HTTP_CHECK: StepRunner._http,
    StepKind.FLAG: StepRunner._flag,
    StepKind.NOTIFY: StepRunner._nothing,
}
