"""The flag providers against the real thing: files, OpenFeature's flagd provider, Unleash, an HTTP server."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from openfeature import api
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.event import ProviderEvent

from bot.domain.errors import ConfigError, FlagProviderError
from runbooks.flags import (
    FileFlagProvider,
    FlagdFileProvider,
    UnleashProvider,
    WebhookFlagProvider,
    build_providers,
    close_providers,
)
from tests.unleash.harness import UnleashServer


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.05)  # the poll interval; the deadline bounds the wait
    return result


# --- plain YAML / JSON files -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
async def test_a_flag_file_set_returns_the_previous_value_and_keeps_other_flags_in_order(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"feature-flags{suffix}"
    original = {"FEATURE_IMPORTS": True, "AGENT_SAFE_MODE": 0, "BANNER": "hello", "RATIO": 0.5}
    path.write_text(yaml.safe_dump(original, sort_keys=False) if suffix == ".yaml" else json.dumps(original))
    flags = FileFlagProvider("app", path)

    assert await flags.set("AGENT_SAFE_MODE", 1) == 0
    assert await flags.set("FEATURE_IMPORTS", False) is True
    assert await flags.set("NEW_FLAG", "on") is None

    on_disk = yaml.safe_load(path.read_text()) if suffix == ".yaml" else json.loads(path.read_text())
    assert list(on_disk.items()) == [
        ("FEATURE_IMPORTS", False), ("AGENT_SAFE_MODE", 1), ("BANNER", "hello"), ("RATIO", 0.5), ("NEW_FLAG", "on")
    ]
    assert await flags.get("FEATURE_IMPORTS") is False
    assert await flags.get("MISSING") is None


async def test_a_missing_flag_file_reads_as_no_flags_and_the_first_set_creates_it(tmp_path: Path) -> None:
    flags = FileFlagProvider("app", tmp_path / "flags.yml")
    assert await flags.get("FEATURE_IMPORTS") is None
    assert await flags.set("FEATURE_IMPORTS", False) is None
    assert yaml.safe_load((tmp_path / "flags.yml").read_text()) == {"FEATURE_IMPORTS": False}


async def test_a_failed_write_leaves_the_old_file_intact_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text('{"FEATURE_IMPORTS": true}')
    flags = FileFlagProvider("app", path)
    with pytest.raises(FlagProviderError, match="app: could not write RATIO"):
        await flags.set("RATIO", float("nan"))  # JSON cannot hold it: the write fails part-way
    assert path.read_text() == '{"FEATURE_IMPORTS": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["flags.json"]


async def test_readers_never_see_a_half_written_flag_file(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({f"FLAG_{i}": i for i in range(5000)}))
    flags, stop, seen = FileFlagProvider("app", path), threading.Event(), []

    def read_until_stopped() -> None:
        while not stop.is_set():
            try:
                seen.append(len(json.loads(path.read_text())))
            except ValueError:
                seen.append(-1)  # a torn file

    reader = threading.Thread(target=read_until_stopped)
    reader.start()
    try:
        for i in range(50):
            await flags.set("FLAG_0", -i)
    finally:
        stop.set()
        reader.join()
    assert seen and set(seen) == {5000}


async def test_twenty_concurrent_sets_are_serialized_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "flags.yaml"
    path.write_text("COUNTER: -1\n")
    providers = [FileFlagProvider("app", path) for _ in range(2)]  # two providers, one file, one lock

    previous = await asyncio.gather(*(providers[i % 2].set("COUNTER", i) for i in range(20)))
    await asyncio.gather(*(providers[i % 2].set(f"FLAG_{i}", True) for i in range(20)))

    final = await providers[0].get("COUNTER")
    # Each set saw exactly the value one other set left behind: a chain from -1 to the final value.
    assert sorted([*previous, final]) == list(range(-1, 20))
    on_disk = yaml.safe_load(path.read_text())
    assert all(on_disk[f"FLAG_{i}"] is True for i in range(20))


async def test_a_flag_file_that_is_not_a_mapping_is_an_actionable_error(tmp_path: Path) -> None:
    path = tmp_path / "flags.yaml"
    path.write_text("- FEATURE_IMPORTS\n")
    with pytest.raises(FlagProviderError, match="must be a mapping of FLAG: value"):
        await FileFlagProvider("app", path).get("FEATURE_IMPORTS")
    with pytest.raises(ConfigError, match="name it .yaml, .yml or .json"):
        FileFlagProvider("app", tmp_path / "flags.txt")


# --- flagd, read back through OpenFeature's own flagd provider in file mode ----------------------


@pytest.fixture
def openfeature_client(tmp_path: Path) -> Iterator[Callable[[], tuple[Any, threading.Event]]]:
    """Starts an OpenFeature client on a flagd provider watching tmp_path/flags.json, with an event
    set whenever the provider reloads the file; shuts it down and joins its watcher afterwards."""

    def start() -> tuple[Any, threading.Event]:
        provider = FlagdProvider(
            resolver_type=ResolverType.FILE, offline_flag_source_path=str(tmp_path / "flags.json"), deadline_ms=50
        )
        api.set_provider_and_wait(provider, domain="warroom-flagd-test")
        client, reloaded = api.get_client(domain="warroom-flagd-test"), threading.Event()
        client.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, lambda _details: reloaded.set())
        return client, reloaded

    yield start
    api.clear_providers()  # shuts the provider down: its file watcher stops at its next poll
    for thread in threading.enumerate():
        if thread.name == "FlagdFileWatcherWorkerThread":
            thread.join(timeout=5)
            assert not thread.is_alive(), "flagd's file watcher did not stop"


async def reload_of(reloaded: threading.Event) -> None:
    """Wait until the flagd provider has reloaded the file."""
    assert await asyncio.to_thread(reloaded.wait, 10), "flagd did not reload the file within 10s"
    reloaded.clear()


async def test_flagd_booleans_set_by_warroom_are_what_openfeature_evaluates(tmp_path: Path, openfeature_client: Any) -> None:
    flags = FlagdFileProvider("flagd", tmp_path / "flags.json")
    assert await flags.set("FEATURE_IMPORTS", False) is None
    client, reloaded = openfeature_client()
    assert client.get_boolean_value("FEATURE_IMPORTS", True) is False

    reloaded.clear()
    assert await flags.set("FEATURE_IMPORTS", True) is False
    await reload_of(reloaded)
    assert client.get_boolean_value("FEATURE_IMPORTS", False) is True
    assert await flags.get("FEATURE_IMPORTS") is True


async def test_flagd_strings_and_numbers_become_variants_openfeature_evaluates(tmp_path: Path, openfeature_client: Any) -> None:
    flags = FlagdFileProvider("flagd", tmp_path / "flags.json")
    await flags.set("CHECKOUT_MODE", "read-only")
    await flags.set("CHECKOUT_MODE", "normal")
    await flags.set("SAMPLE_RATE", 0.25)
    await flags.set("MAX_WORKERS", 4)
    client, reloaded = openfeature_client()

    assert client.get_string_value("CHECKOUT_MODE", "default") == "normal"
    assert client.get_float_value("SAMPLE_RATE", 1.0) == 0.25
    assert client.get_integer_value("MAX_WORKERS", 1) == 4
    reloaded.clear()
    assert await flags.set("CHECKOUT_MODE", "read-only") == "normal"  # reuses its variant
    document = json.loads((tmp_path / "flags.json").read_text())
    assert document["$schema"] == "https://flagd.dev/schema/v0/flags.json"
    assert document["flags"]["CHECKOUT_MODE"]["variants"] == {"read-only": "read-only", "normal": "normal"}
    await reload_of(reloaded)
    assert client.get_string_value("CHECKOUT_MODE", "default") == "read-only"


async def test_flagd_keeps_other_flags_and_refuses_a_flag_with_targeting(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    targeted = {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on",
                "targeting": {"if": [{"==": [{"var": "tier"}, "free"]}, "off", None]}}
    path.write_text(json.dumps({"flags": {"BETA": targeted}, "metadata": {"team": "payments"}}))
    flags = FlagdFileProvider("flagd", path)

    assert await flags.set("FEATURE_IMPORTS", False) is None
    with pytest.raises(FlagProviderError, match="BETA .* has targeting rules"):
        await flags.set("BETA", False)
    document = json.loads(path.read_text())
    assert document["flags"]["BETA"] == targeted and document["metadata"] == {"team": "payments"}


# --- a real Unleash server ----------------------------------------------------------------------


@pytest.fixture
async def unleash_flags(unleash: UnleashServer) -> AsyncIterator[UnleashProvider]:
    provider = UnleashProvider("unleash", unleash.url, unleash.admin_token)
    yield provider
    await provider.close()


def new_toggle() -> str:
    return f"FEATURE_IMPORTS_{uuid.uuid4().hex[:8]}"


async def test_unleash_set_creates_the_toggle_and_turns_it_on_and_off_as_sdks_see_it(
    unleash: UnleashServer, unleash_flags: UnleashProvider
) -> None:
    flag = new_toggle()
    assert await unleash_flags.get(flag) is None
    assert await unleash_flags.set(flag, True) is None
    await eventually(lambda: unleash.client_features().get(flag, {}).get("enabled") is True)
    on = unleash.client_features()[flag]
    assert on["type"] == "kill-switch" and on["strategies"], "enabled with a strategy, so it is on for users"

    assert await unleash_flags.set(flag, False) is True
    await eventually(lambda: unleash.client_features()[flag]["enabled"] is False)
    assert await unleash_flags.get(flag) is False


async def test_unleash_flags_are_on_or_off_only(unleash_flags: UnleashProvider) -> None:
    with pytest.raises(FlagProviderError, match="Unleash flags here are on/off"):
        await unleash_flags.set(new_toggle(), "read-only")


async def test_unleash_errors_carry_the_status_and_unleash_s_message_but_never_the_token(unleash: UnleashServer) -> None:
    wrong = UnleashProvider("unleash", unleash.url, "*:*.not-the-token")
    missing_env = UnleashProvider("unleash", unleash.url, unleash.admin_token, environment="staging")
    try:
        with pytest.raises(FlagProviderError, match="HTTP 401.*You must log in") as refused:
            await wrong.get("FEATURE_IMPORTS")
        assert "not-the-token" not in str(refused.value) and "not-the-token" not in repr(wrong)
        unknown_environment = "HTTP 404.*Could not find environment staging.*environment 'staging' exist"
        with pytest.raises(FlagProviderError, match=unknown_environment):
            await missing_env.set(new_toggle(), True)
    finally:
        await wrong.close()
        await missing_env.close()


# --- a team's own endpoint (the webhook contract) -------------------------------------------------


def flag_service(secret: str | None) -> web.Application:
    """A minimal implementation of the webhook contract that checks signatures as documented."""
    flags: dict[str, Any] = {"FEATURE_IMPORTS": True}

    async def verified(request: web.Request) -> bytes:
        body = await request.read()
        if secret is not None:
            timestamp = request.headers.get("X-Warroom-Timestamp", "")
            base = f"v1:{timestamp}:{request.method}:{request.match_info['flag']}:".encode() + body
            expected = "v1=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
            if not (fresh and hmac.compare_digest(expected, request.headers.get("X-Warroom-Signature", ""))):
                raise web.HTTPUnauthorized(text=json.dumps({"error": "bad signature"}), content_type="application/json")
        return body

    async def get(request: web.Request) -> web.Response:
        await verified(request)
        if request.match_info["flag"] not in flags:
            raise web.HTTPNotFound()
        return web.json_response({"value": flags[request.match_info["flag"]]})

    async def put(request: web.Request) -> web.Response:
        value = json.loads(await verified(request))["value"]
        previous = flags.get(request.match_info["flag"])
        flags[request.match_info["flag"]] = value
        return web.json_response({"previous": previous})

    async def broken(_request: web.Request) -> web.Response:
        return web.json_response({"enabled": True})

    app = web.Application()
    app.router.add_get("/flags/{flag}", get)
    app.router.add_put("/flags/{flag}", put)
    app.router.add_get("/broken/{flag}", broken)
    return app


@pytest.fixture
async def flag_server() -> AsyncIterator[TestServer]:
    async with TestServer(flag_service(secret="s3cret"), host="127.0.0.1") as server:
        yield server


async def test_a_signed_webhook_reads_and_sets_flags_on_a_server_that_verifies_signatures(flag_server: TestServer) -> None:
    flags = WebhookFlagProvider("billing", str(flag_server.make_url("/flags")), secret="s3cret")
    try:
        assert await flags.get("FEATURE_IMPORTS") is True
        assert await flags.get("MISSING") is None
        assert await flags.set("FEATURE_IMPORTS", False) is True
        assert await flags.set("CHECKOUT_MODE", "read-only") is None
        assert await flags.get("CHECKOUT_MODE") == "read-only"
        assert "s3cret" not in repr(flags)
    finally:
        await flags.close()


async def test_a_webhook_with_the_wrong_secret_or_a_broken_answer_is_an_actionable_error(flag_server: TestServer) -> None:
    wrong = WebhookFlagProvider("billing", str(flag_server.make_url("/flags")), secret="guess")
    broken = WebhookFlagProvider("billing", str(flag_server.make_url("/broken")))
    try:
        with pytest.raises(FlagProviderError, match=r"refused to set FEATURE_IMPORTS \(HTTP 401\): bad signature"):
            await wrong.set("FEATURE_IMPORTS", False)
        with pytest.raises(FlagProviderError, match='it must answer {"value"'):
            await broken.get("FEATURE_IMPORTS")
    finally:
        await close_providers({"wrong": wrong, "broken": broken})


# --- configuration ------------------------------------------------------------------------------


async def test_providers_are_built_from_config_with_paths_relative_to_the_config_file(tmp_path: Path) -> None:
    providers = build_providers(
        {
            "app": {"type": "file", "path": "config/flags.json"},
            "flagd": {"type": "flagd", "path": str(tmp_path / "flagd.json")},
            "unleash": {
                "type": "unleash", "url": "http://127.0.0.1:1", "token_env": "UNLEASH_TOKEN", "environment": "production"
            },
            "billing": {"type": "webhook", "url": "http://127.0.0.1:1/flags", "secret_env": "BILLING_SECRET"},
        },
        {"UNLEASH_TOKEN": "*:*.tok3n", "BILLING_SECRET": "s3cret"},
        tmp_path,
    )
    assert providers["app"].path == tmp_path / "config/flags.json"  # type: ignore[attr-defined]
    assert providers["app"].format == "json"  # type: ignore[attr-defined]
    assert providers["flagd"].path == tmp_path / "flagd.json"  # type: ignore[attr-defined]
    assert providers["unleash"].environment == "production"  # type: ignore[attr-defined]
    assert all(secret not in repr(providers) for secret in ("tok3n", "s3cret"))
    with pytest.raises(FlagProviderError, match="cannot reach Unleash at http://127.0.0.1:1"):
        await providers["unleash"].get("FEATURE_IMPORTS")
    await close_providers(providers)


def test_a_missing_secret_variable_or_a_bad_key_is_a_config_error_naming_it(tmp_path: Path) -> None:
    unleash = {"type": "unleash", "url": "http://127.0.0.1:1", "token_env": "UNLEASH_TOKEN"}
    with pytest.raises(ConfigError, match="flag_providers.flags.token_env: the environment variable UNLEASH_TOKEN is not set"):
        build_providers({"flags": unleash}, {}, tmp_path)
    with pytest.raises(ConfigError, match="flag_providers.flags.token: Extra inputs are not permitted"):
        build_providers({"flags": {**unleash, "token": "inline"}}, {"UNLEASH_TOKEN": "x"}, tmp_path)
    with pytest.raises(ConfigError, match="flag_providers.flags: `type` must be one of file, flagd, unleash, webhook"):
        build_providers({"flags": {"type": "launchdarkly"}}, {}, tmp_path)
