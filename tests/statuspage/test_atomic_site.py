"""The site is swapped whole: a reader sees the old site or the new one, never a half-written one."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from bot.domain.errors import ConfigError
from store.status_site import writer
from store.status_site.writer import builds_dir, render_site, write_site
from tests.statuspage.pages import sample_page

BUILDS = 40


def _read_whole_site(site: Path) -> str:
    """Every file of the build the link points at now, checked complete and of one generation."""
    build = site.resolve()
    summary = json.loads((build / "api/v2/summary.json").read_text(encoding="utf-8"))
    html = (build / "index.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    generation = summary["page"]["name"]
    assert f"<title>{generation}:" in html
    for path in ("api/v2/status.json", "api/v2/components.json", "api/v2/incidents.json",
                 "api/v2/incidents/unresolved.json"):
        assert json.loads((build / path).read_text(encoding="utf-8"))["page"]["name"] == generation
    assert (build / "history.atom").read_bytes().rstrip().endswith(b"</feed>")
    return generation


def _page(n: int):
    page = sample_page()
    return type(page)(**{**page.__dict__, "settings": type(page.settings)(name=f"Gen{n}", url="", time_zone="UTC")})


def test_a_reader_never_sees_a_half_written_site(tmp_path: Path) -> None:
    site = tmp_path / "status"
    write_site(site, render_site(_page(0)))
    seen: set[str] = set()
    failures: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                seen.add(_read_whole_site(site))
                # Through the link too, one file at a time: each file is whole.
                json.loads((site / "api/v2/summary.json").read_text(encoding="utf-8"))
            except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
                failures.append(exc)
                return

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for n in range(1, BUILDS + 1):
            write_site(site, render_site(_page(n)))
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert not failures, failures[0]
    assert _read_whole_site(site) == f"Gen{BUILDS}"
    assert len(seen) >= 2


def test_builds_older_than_the_previous_one_are_removed_once_readers_are_done(tmp_path: Path) -> None:
    site = tmp_path / "status"
    for n in range(4):
        write_site(site, render_site(_page(n)))
    builds = sorted(b for b in builds_dir(site).iterdir() if b.is_dir())
    assert len(builds) == 4  # written moments ago: a reader may still be in any of them
    long_ago = time.time() - writer.READERS_GRACE - 1
    for build in builds:
        os.utime(build, (long_ago, long_ago))
    write_site(site, render_site(_page(4)))
    left = sorted(b for b in builds_dir(site).iterdir() if b.is_dir())
    assert len(left) == writer.KEEP_BUILDS and left[-1] == site.resolve() and left[0] == builds[-1]


def test_a_build_that_fails_half_way_leaves_the_old_site_in_place(tmp_path: Path, monkeypatch) -> None:
    site = tmp_path / "status"
    write_site(site, render_site(_page(1)))
    files = render_site(_page(2))
    real_open = open
    written: list[str] = []

    def failing_open(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).endswith("history.rss"):
            raise OSError(28, "No space left on device")
        written.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(OSError):
        write_site(site, files)
    monkeypatch.setattr("builtins.open", real_open)
    assert _read_whole_site(site) == "Gen1"
    assert [b for b in builds_dir(site).iterdir() if b.is_dir()] == [site.resolve()]  # the half build is gone


def test_a_build_of_an_older_reading_never_replaces_a_newer_one(tmp_path: Path) -> None:
    site = tmp_path / "status"
    assert write_site(site, render_site(_page(2)), "2026-12-04T23:00:02.000000+00:00") is not None
    assert write_site(site, render_site(_page(1)), "2026-12-04T23:00:01.000000+00:00") is None
    assert _read_whole_site(site) == "Gen2"
    assert write_site(site, render_site(_page(3)), "2026-12-04T23:00:03.000000+00:00") is not None
    assert _read_whole_site(site) == "Gen3"


def test_a_directory_with_other_content_is_not_taken_over(tmp_path: Path) -> None:
    site = tmp_path / "status"
    site.mkdir()
    (site / "keep.txt").write_text("theirs")
    with pytest.raises(ConfigError, match="status_page.dir"):
        write_site(site, render_site(_page(1)))
    assert (site / "keep.txt").read_text() == "theirs"
    empty = tmp_path / "empty"
    empty.mkdir()
    write_site(empty, render_site(_page(1)))
    assert empty.is_symlink() and _read_whole_site(empty) == "Gen1"
