"""Step executors for real: commands (argv, timeout, scrubbed environment, redaction) and HTTP probes."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.domain.redaction import Redactor
from bot.domain.runbook import CommandStep, FlagStep, HttpCheckStep
from runbooks.executors import HTTP_SHOWN, OUTPUT_LIMIT, StepRunner


def command(*argv: str, timeout: float = 10.0, workdir: str | None = None) -> CommandStep:
    return CommandStep(id="c", title="cmd", argv=argv, timeout_seconds=timeout, workdir=workdir)


def runner(**environ: str) -> StepRunner:
    return StepRunner(providers={}, default_provider=None, environ={"PATH": "/usr/bin:/bin", **environ},
                      redactor=Redactor(["hunter2-secret"]))


async def test_a_command_runs_as_an_argv_without_a_shell() -> None:
    outcome = await runner().run(command("echo", "a; rm -rf /", "$HOME"))
    assert outcome.ok and outcome.output == "a; rm -rf / $HOME\n"


async def test_a_command_sees_only_the_scrubbed_environment() -> None:
    outcome = await runner(SLACK_BOT_TOKEN="xoxb-1-2-3", DATABASE_URL="postgresql://u:p@h/db").run(
        command(sys.executable, "-c", "import os; print(sorted(os.environ))"))
    assert outcome.ok
    assert "SLACK_BOT_TOKEN" not in outcome.output and "DATABASE_URL" not in outcome.output and "PATH" in outcome.output


async def test_command_output_is_redacted() -> None:
    outcome = await runner().run(command("echo", "token=abcdefghijkl xoxb-9-9 password: hunter2-secret"))
    assert "abcdefghijkl" not in outcome.output and "xoxb-9-9" not in outcome.output
    assert "hunter2-secret" not in outcome.output and outcome.output.count("[redacted]") == 3


async def test_a_command_that_runs_too_long_is_killed_and_fails() -> None:
    outcome = await runner().run(command(sys.executable, "-c", "import time; print('started', flush=True); time.sleep(30)",
                                         timeout=0.5))
    assert not outcome.ok and outcome.error == "timed out after 0.5 s" and "started" in outcome.output


async def test_a_timed_out_shell_is_killed_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    outcome = await runner().run(command("sh", "-c", f"echo begun; sleep 30 & echo $! > {pid_file}; wait",
                                         timeout=1.0))
    assert not outcome.ok and outcome.output == "begun\n"
    child = int(pid_file.read_text())
    assert not _running(child), "the sleep was in the killed process group"


@pytest.mark.parametrize("script", [
    "echo begun; setsid sleep 30 & echo $! > {pid_file}; wait",  # the shell waits for the escaped child
    "echo begun; setsid sleep 30 & echo $! > {pid_file}",  # the shell exits; the escaped child keeps the output
])
async def test_a_timed_out_step_ends_on_time_though_a_child_left_its_session(tmp_path: Path, script: str) -> None:
    pid_file = tmp_path / "escaped.pid"
    started = time.monotonic()
    try:
        outcome = await runner().run(command("sh", "-c", script.format(pid_file=pid_file), timeout=1.0))
        elapsed = time.monotonic() - started
    finally:
        escaped = int(pid_file.read_text())
        survived = _running(escaped)
        if survived:  # leave nothing behind, even when the runner failed to kill it
            with contextlib.suppress(ProcessLookupError):
                os.kill(escaped, signal.SIGKILL)
    assert elapsed < 1.0 + 2.0, f"the step took {elapsed:.1f} s"
    assert not outcome.ok and outcome.error.startswith("timed out after 1 s") and outcome.output == "begun\n"
    assert not survived, "the child that left the session outlived the step"


def _running(pid: int) -> bool:
    """True while `pid` is a live process (a killed one may linger as a zombie until reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


async def test_a_secret_straddling_the_output_cut_is_redacted_whole() -> None:
    before = OUTPUT_LIMIT - 5  # the cut falls after "hunte" of "hunter2-secret"
    outcome = await runner().run(command(sys.executable, "-c", f"print('x' * {before} + 'hunter2-secret')"))
    assert outcome.ok and "hunte" not in outcome.output
    assert outcome.output.startswith("x" * before + "[reda") and outcome.output.endswith("(6 more characters)")


async def test_output_kept_up_to_the_collection_cap_never_ends_in_part_of_a_secret() -> None:
    secret = "s3cret-" + "q" * 93  # redacted to 10 characters: 100,000s of bytes shrink below the display cut
    step = command(sys.executable, "-c", f"import sys; [print({secret!r}) for _ in range(5000)]")
    outcome = await StepRunner(providers={}, default_provider=None, environ={"PATH": "/usr/bin:/bin"},
                               redactor=Redactor([secret])).run(step)
    *lines, last = outcome.output.splitlines()
    assert outcome.ok and set(lines) == {"[redacted]"} and last.startswith("… (output beyond ")


async def test_a_failing_command_reports_its_status_and_output() -> None:
    outcome = await runner().run(command("sh", "-c", "echo boom >&2; exit 3"))
    assert not outcome.ok and outcome.error == "exited with status 3" and outcome.output == "boom\n"


async def test_a_missing_variable_is_named() -> None:
    outcome = await runner().run(command("npm", "run", "ops:import-health", workdir="${DEPOSITMATCH_REPO}"))
    assert not outcome.ok and outcome.error.startswith("${DEPOSITMATCH_REPO} is not set where Warroom runs")


async def test_a_runbook_cannot_read_a_secret_from_the_environment() -> None:
    outcome = await runner(SLACK_SIGNING_SECRET="s3cret", UNLEASH_TOKEN="t0ken").run(
        command("echo", "${SLACK_SIGNING_SECRET}"))
    assert not outcome.ok and "looks like a secret" in outcome.error and "s3cret" not in outcome.output


async def test_the_runner_for_an_environment_redacts_its_secret_values() -> None:
    env = {"PATH": "/usr/bin:/bin", "UNLEASH_ADMIN_TOKEN": "unleash-admin-abcdef", "DEPLOY_DIR": "/srv"}
    outcome = await StepRunner.for_environment({}, None, env).run(command("echo", "token is unleash-admin-abcdef"))
    assert outcome.output == "token is [redacted]\n"


async def test_an_unknown_program_is_a_clear_failure() -> None:
    outcome = await runner().run(command("no-such-program-xyz"))
    assert not outcome.ok and outcome.error.startswith("could not start `no-such-program-xyz`")


@pytest.fixture
async def service() -> AsyncIterator[str]:
    async def workers(_request: web.Request) -> web.Response:
        return web.json_response({"status": "healthy", "workers": 4})

    async def broken(_request: web.Request) -> web.Response:
        return web.json_response({"status": "degraded"}, status=503)

    async def verbose(_request: web.Request) -> web.Response:
        return web.Response(text="x" * (HTTP_SHOWN - 5) + "hunter2-secret")  # the cut falls inside the secret

    app = web.Application()
    app.router.add_get("/health/workers", workers)
    app.router.add_get("/health/verbose", verbose)
    app.router.add_get("/health/broken", broken)
    app_runner = web.AppRunner(app)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{app_runner.addresses[0][1]}"
    await app_runner.cleanup()


def probe(url: str, status: int | None = 200, body: str = "") -> HttpCheckStep:
    return HttpCheckStep(id="h", title="probe", url=url, expect_status=status, expect_body=body, timeout_seconds=5)


async def test_an_http_check_passes_on_the_expected_status_and_body(service: str) -> None:
    outcome = await runner(SVC=service).run(probe("${SVC}/health/workers", body='"healthy"'))
    assert outcome.ok and "→ 200" in outcome.output


async def test_an_http_check_fails_on_another_status_or_body(service: str) -> None:
    wrong_status = await runner().run(probe(f"{service}/health/broken"))
    assert not wrong_status.ok and wrong_status.error == "expected status 200, got 503"
    wrong_body = await runner().run(probe(f"{service}/health/workers", body="degraded"))
    assert not wrong_body.ok and wrong_body.error == "the body does not contain 'degraded'"


async def test_a_secret_straddling_the_cut_of_a_response_body_is_redacted_whole(service: str) -> None:
    outcome = await runner().run(probe(f"{service}/health/verbose"))
    assert outcome.ok and "hunte" not in outcome.output and "x" * (HTTP_SHOWN - 5) + "[reda" in outcome.output


async def test_an_unreachable_url_fails_cleanly() -> None:
    outcome = await runner().run(probe("http://127.0.0.1:1/health"))
    assert not outcome.ok and outcome.error.startswith("GET http://127.0.0.1:1/health failed")


async def test_a_flag_step_without_a_configured_provider_says_so() -> None:
    step = FlagStep(id="f", title="kill", flag="FEATURE_IMPORTS", value=False, rollback=True)
    outcome = await runner().run(step)
    assert not outcome.ok and outcome.error.startswith("no default flag provider is configured")
