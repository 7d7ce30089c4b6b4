"""`warroom serve` serves the status page's directory at /status/ (for small setups; a web server can do it too).

The directory is a link to the latest complete build, so it is resolved again on every request: a request
is answered from one build, and a publish is seen by the next request.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATUS_PATH = "/status/"
TYPES = {".json": "application/json", ".atom": "application/atom+xml", ".rss": "application/rss+xml",
         ".html": "text/html"}


def add_status_routes(app: web.Application, directory: Path) -> None:
    """GET /status/... from `directory` (index.html for a directory), /status redirected to /status/."""

    async def redirect(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(STATUS_PATH)

    async def serve(request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail", "")
        try:
            build = directory.resolve(strict=True)
        except OSError:
            raise web.HTTPServiceUnavailable(text="The status page has not been built yet.") from None
        wanted = (build / tail).resolve()
        if wanted.is_dir():
            wanted = wanted / "index.html"
        if not wanted.is_relative_to(build) or not wanted.is_file():
            raise web.HTTPNotFound(text="No such page.")
        response = web.FileResponse(wanted, headers={
            "Cache-Control": "no-cache",  # revalidated each time: a publish shows at once
            "Content-Type": TYPES.get(wanted.suffix, "application/octet-stream") + "; charset=utf-8"})
        return response

    app.router.add_get("/status", redirect)
    app.router.add_get(STATUS_PATH + "{tail:.*}", serve)
