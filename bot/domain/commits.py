"""Counting the commits made on behalf of a request or a use case while it runs.

A unit of work calls `committed()` after each commit; every count open in the calling task sees it.
A use case that lost a race is run again only while its attempt counted no commit (nothing of it
was saved), and an error is reported as "not saved" only while its request counted none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Self

_open: ContextVar[tuple[CommitCount, ...]] = ContextVar("warroom_commit_counts", default=())


class CommitCount:
    """`with CommitCount() as count:` counts the commits made in the block (in this task and the tasks it starts)."""

    def __init__(self) -> None:
        self.commits = 0
        self._token: Token[tuple[CommitCount, ...]] | None = None

    def __enter__(self) -> Self:
        self._token = _open.set((*_open.get(), self))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._token is not None:
            _open.reset(self._token)

    @property
    def saved(self) -> bool:
        """Whether anything was committed in the block so far."""
        return self.commits > 0


def committed() -> None:
    """Called by a unit of work right after its transaction committed."""
    for count in _open.get():
        count.commits += 1


@contextmanager
def uncounted() -> Iterator[None]:
    """Commits in the block are not counted: a reservation (an incident number) saves nothing anyone sees."""
    token = _open.set(())
    try:
        yield
    finally:
        _open.reset(token)
