"""Feature flags in Unleash (7.x), through its Admin API with an admin API token.

A flag here is a feature toggle of one project, and its value is whether the toggle is enabled in
one environment: Warroom reads and sets on/off, nothing else. Calls made:

    GET  /api/admin/projects/{project}/features/{flag}                    read (404: absent)
    POST /api/admin/projects/{project}/features                           create a missing toggle
    POST /api/admin/projects/{project}/features/{flag}/environments/{env}/on|off

Turning a toggle on in an environment where it has no active strategy makes Unleash add the
project's default strategy (a 100% rollout unless the project says otherwise), so "on" means on
for everyone unless someone gave the toggle narrower strategies. Toggles Warroom creates are of
type `kill-switch`. The token travels only in the Authorization header; it is never part of a
message, a log line or this object's repr.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.domain.errors import FlagProviderError
from bot.domain.runbook import FlagValue

_TIMEOUT = aiohttp.ClientTimeout(total=15)


class UnleashProvider:
    """Reads and sets Unleash feature toggles (on/off in one environment of one project)."""

    def __init__(
        self, name: str, url: str, token: str, project: str = "default", environment: str = "development"
    ) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.project = project
        self.environment = environment
        self._token = token
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return (
            f"UnleashProvider(name={self.name!r}, url={self.url!r}, project={self.project!r}, "
            f"environment={self.environment!r})"
        )

    async def get(self, flag: str) -> FlagValue:
        """True/False: whether the toggle is enabled in the environment (None when it does not exist)."""
        status, body = await self._call("GET", self._feature_path(flag), flag)
        if status == 404:
            return None
        self._raise_unless_ok(status, body, flag, "read")
        environments = body.get("environments") if isinstance(body, dict) else None
        for environment in environments if isinstance(environments, list) else []:
            if isinstance(environment, dict) and environment.get("name") == self.environment:
                return bool(environment.get("enabled"))
        raise FlagProviderError(
            f"{self.name}: the toggle {flag} has no environment {self.environment!r} in project "
            f"{self.project!r}; enable that environment for the project in Unleash or fix the provider config"
        )

    async def set(self, flag: str, value: FlagValue) -> FlagValue:
        """Turn the toggle on or off in the environment, creating it when missing; returns the old state."""
        if not isinstance(value, bool):
            raise FlagProviderError(
                f"{self.name}: Unleash flags here are on/off; set {flag} to true or false, not {value!r}"
            )
        previous = await self.get(flag)
        if previous is None:
            await self._create(flag)
        action = "on" if value else "off"
        path = f"{self._feature_path(flag)}/environments/{quote(self.environment, safe='')}/{action}"
        status, body = await self._call("POST", path, flag)
        self._raise_unless_ok(status, body, flag, f"turn {action}")
        return previous

    async def close(self) -> None:
        """Close the HTTP session (the provider can still be used: it opens a new one)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _create(self, flag: str) -> None:
        payload = {"name": flag, "type": "kill-switch", "description": "Created by Warroom from a runbook step."}
        path = f"/api/admin/projects/{quote(self.project, safe='')}/features"
        status, body = await self._call("POST", path, flag, payload)
        self._raise_unless_ok(status, body, flag, "create")

    def _feature_path(self, flag: str) -> str:
        return f"/api/admin/projects/{quote(self.project, safe='')}/features/{quote(flag, safe='')}"

    async def _call(self, method: str, path: str, flag: str, payload: Any = None) -> tuple[int, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=_TIMEOUT, headers={"Authorization": self._token, "Accept": "application/json"}
            )
        try:
            async with self._session.request(method, self.url + path, json=payload) as response:
                text = await response.text()
                return response.status, _json_or_text(text)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FlagProviderError(
                f"{self.name}: cannot reach Unleash at {self.url} for {flag} ({type(exc).__name__}: {exc}); "
                "check the URL and that Unleash is up"
            ) from exc

    def _raise_unless_ok(self, status: int, body: Any, flag: str, doing: str) -> None:
        if 200 <= status < 300:
            return
        hint = {
            401: "the API token was refused: check the provider's token variable",
            403: "the token may not do this: use an admin API token",
            404: f"check that project {self.project!r} and environment {self.environment!r} exist",
            409: "the name is taken, perhaps by an archived toggle: revive or delete it in Unleash",
        }.get(status, "")
        raise FlagProviderError(
            f"{self.name}: Unleash refused to {doing} {flag} (HTTP {status}): {_message(body)}"
            + (f"; {hint}" if hint else "")
        )


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _message(body: Any) -> str:
    """Unleash's own explanation of an error response, shortened."""
    if isinstance(body, dict):
        details = body.get("details")
        if isinstance(details, list) and details and isinstance(details[0], dict) and details[0].get("message"):
            message = str(details[0]["message"])
        else:
            message = str(body.get("message") or body.get("error") or body)
    else:
        message = str(body or "no message")
    return message[:300]
