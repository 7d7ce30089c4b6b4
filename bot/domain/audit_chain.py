"""The audit log's hash chain: one per workspace, so an edited, deleted or inserted record shows.

Records of a workspace are numbered 1, 2, 3... (`seq`). Each stores the hash of the record before
it (`prev_hash`; 64 zeros for the first) and its own `hash`: the SHA-256 of a canonical JSON
serialization of its contents, its seq and its prev_hash. Editing a record breaks its hash,
deleting one leaves a gap in seq, moving or inserting one breaks the link to its neighbour. The
head (last seq and hash, kept apart from the records) also exposes a deleted last record.

The chain has no secret: someone with write access to the database who recomputes every hash
after an edit is not detected. It catches records changed directly in the database, which is what
the append-only triggers are there to prevent in the first place.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from itertools import groupby

from bot.domain.incident import AuditEvent

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainHead:
    """The last record appended to a workspace's chain (seq 0 and GENESIS before the first)."""

    team_id: str
    seq: int
    hash: str

    @classmethod
    def start(cls, team_id: str) -> ChainHead:
        """The head of a workspace that has no audit record yet."""
        return cls(team_id, 0, GENESIS)


@dataclass(frozen=True)
class AuditChain:
    """A workspace's records in seq order and its head, as the store read them."""

    team_id: str
    records: tuple[AuditEvent, ...]
    head: ChainHead | None


class ProblemKind(StrEnum):
    """What verification found wrong with a record."""

    CHANGED = "changed"
    MISSING = "missing"
    BROKEN_LINK = "broken link"
    DUPLICATE = "duplicate"
    HEAD = "head mismatch"


@dataclass(frozen=True)
class ChainProblem:
    """One problem at one place in a workspace's chain."""

    team_id: str
    seq: int
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"{self.team_id} seq {self.seq}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying one or more workspaces."""

    workspaces: int
    records: int
    problems: tuple[ChainProblem, ...]

    @property
    def intact(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def _plain(value: object) -> object:
    # What the JSON column gives back: int keys become strings, tuples lists. Hashing the
    # round-tripped form makes the hash of a stored record equal to the hash computed on append.
    return json.loads(json.dumps(value))


def _utc_iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(event: AuditEvent, *, seq: int, prev_hash: str) -> bytes:
    """The bytes a record's hash covers: sorted-key compact JSON of its contents and chain position."""
    # A storage format: changing it breaks every stored hash (migration 0003 chained old records with it).
    body = {
        "team_id": event.team_id,
        "seq": seq,
        "incident_id": event.incident_id,
        "actor": event.actor,
        "action": event.action,
        "before": _plain(event.before),
        "after": _plain(event.after),
        "at": _utc_iso(event.at),
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def record_hash(event: AuditEvent, *, seq: int, prev_hash: str) -> str:
    """The hex SHA-256 of the record's canonical form."""
    return hashlib.sha256(canonical(event, seq=seq, prev_hash=prev_hash)).hexdigest()


def link(event: AuditEvent, head: ChainHead) -> AuditEvent:
    """`event` as the record after `head`: numbered, pointing at the head's hash, and hashed."""
    if event.team_id != head.team_id:
        raise ValueError(f"event of {event.team_id} appended to the chain of {head.team_id}")
    seq = head.seq + 1
    return replace(event, seq=seq, prev_hash=head.hash, hash=record_hash(event, seq=seq, prev_hash=head.hash))


def head_of(record: AuditEvent) -> ChainHead:
    """The head once `record` (a linked record) is the last of its chain."""
    if record.seq is None or record.hash is None:
        raise ValueError("the record is not linked into a chain")
    return ChainHead(record.team_id, record.seq, record.hash)


def verify_chain(chain: AuditChain) -> list[ChainProblem]:
    """Every problem in one workspace's chain, in seq order."""
    team = chain.team_id
    problems: list[ChainProblem] = []
    last_seq, last_hashes = 0, {GENESIS}
    ordered = sorted(chain.records, key=lambda r: (r.seq or 0, r.id or 0))
    for seq, same_seq in groupby(ordered, key=lambda r: r.seq or 0):
        records = list(same_seq)
        for record in records:
            if record.hash != record_hash(record, seq=seq, prev_hash=record.prev_hash or ""):
                problems.append(ChainProblem(team, seq, ProblemKind.CHANGED,
                                             "its contents do not match its hash (the record was edited)"))
        if len(records) > 1:
            problems.append(ChainProblem(team, seq, ProblemKind.DUPLICATE,
                                         f"{len(records)} records share this seq (one was inserted)"))
        if seq > last_seq + 1:
            problems.append(ChainProblem(team, last_seq + 1, ProblemKind.MISSING,
                                         f"{_span(last_seq + 1, seq - 1)} missing (deleted)"))
        elif any(r.prev_hash not in last_hashes for r in records):
            problems.append(ChainProblem(team, seq, ProblemKind.BROKEN_LINK,
                                         "it does not follow the record before it (one was removed, moved or inserted)"))
        last_seq, last_hashes = seq, {r.hash or "" for r in records}
    problems.extend(_check_head(chain, last_seq, last_hashes))
    return problems


def _check_head(chain: AuditChain, last_seq: int, last_hashes: set[str]) -> list[ChainProblem]:
    head = chain.head
    if head is None:
        if last_seq == 0:
            return []
        return [ChainProblem(chain.team_id, last_seq, ProblemKind.HEAD, "the workspace has no chain head (it was deleted)")]
    if head.seq > last_seq:
        return [ChainProblem(chain.team_id, last_seq + 1, ProblemKind.MISSING,
                             f"{_span(last_seq + 1, head.seq)} missing from the end (deleted)")]
    if head.seq < last_seq:
        return [ChainProblem(chain.team_id, head.seq + 1, ProblemKind.HEAD,
                             f"the chain head ends at seq {head.seq} (later records were added around Warroom)")]
    if head.hash not in last_hashes:
        return [ChainProblem(chain.team_id, last_seq, ProblemKind.HEAD,
                             "the last record is not the one the chain head names (it was replaced)")]
    return []


def _span(first: int, last: int) -> str:
    return f"seq {first} is" if first == last else f"seqs {first}-{last} are"


def verify_all(chains: Sequence[AuditChain]) -> ChainReport:
    """Verify several workspaces' chains into one report."""
    problems = [p for chain in chains for p in verify_chain(chain)]
    return ChainReport(workspaces=len(chains), records=sum(len(c.records) for c in chains), problems=tuple(problems))
