"""OutboxSender: deliver the stored Slack calls, in order per channel, at Slack's pace, exactly once.

Each lane (channel) sends one call at a time; different lanes go out concurrently. A 429 pauses
the method for the workspace for Retry-After; 5xx, timeouts and dropped connections are retried
with backoff; a call that may have reached Slack before failing (a timeout, a dropped connection)
is looked up in the channel by its outbox tag before it is posted again. A channel named by name is
resolved to its id first, so it is paced, and looked up, as the channel it is. Everything the sender
decides is kept in the database, so a restart carries on where it stopped; a call still waiting for
its turn when the sender stops is handed back at once, for the next start to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace
from datetime import timedelta

import structlog

from bot.domain.errors import StorageUnavailable
from bot.domain.outbox import (
    GIVE_UP_AFTER,
    Attempt,
    ChannelNames,
    OutboundCall,
    OutboxStore,
    Outcome,
    Pace,
    SlackTransport,
    backoff,
    in_channel,
    is_channel_name,
)
from bot.domain.ports import Clock

log = structlog.get_logger(__name__)

LEASE = timedelta(seconds=60)  # a call whose sender died is taken again after this
CLAIM_LIMIT = 100  # lane heads leased per look
PUMP_GAP = 0.02  # seconds between two looks for calls at most (wakes in between wait for the next)
MAX_WAIT_IN_LEASE = 20.0  # seconds a leased call may wait for its pace or a 429 before it is released


class OutboxSender:
    """The background sender of one Warroom process (any number of processes may run one)."""

    def __init__(self, *, store: OutboxStore, transport: SlackTransport, clock: Clock, pace: Pace | None = None,
                 poll_seconds: float = 1.0, first_retry: float = 1.0, channels: ChannelNames | None = None) -> None:
        self.store, self.transport, self._clock = store, transport, clock
        self._channels = channels
        self._pace = pace or Pace()
        self._poll = poll_seconds
        self._first_retry = first_retry
        self._wake = asyncio.Event()
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._waiting: set[asyncio.Task[None]] = set()  # lanes waiting for their turn: nothing sent yet
        self._paused: dict[tuple[str, str], float] = {}  # (team, method) -> monotonic until, after a 429
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        # Delivered but not recorded yet: recorded in the next claim's transaction, one write for many calls.
        # Lost in a crash, a call is taken again after its lease as uncertain and looked up, not reposted.
        self._delivered: list[tuple[OutboundCall, str | None]] = []
        self._forgot_at = time.monotonic()
        self.delivered = 0
        self.failures = 0

    def wake(self) -> None:
        """Look for new calls now (a transaction that queued some has committed)."""
        self._wake.set()

    def start(self) -> None:
        """Run in the background until `stop()`."""
        if self._loop_task is None:
            self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="outbox-sender")

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop looking for calls; give the ones being sent `drain_seconds` to finish."""
        self._stopping = True
        if self._loop_task is not None:
            # The look in progress finishes: cancelled after its claim committed, the calls it leased would
            # reach no lane and wait out their lease (a minute) before the next start could send them.
            self.wake()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._loop_task), drain_seconds)
            self._loop_task.cancel()  # a look stuck on an unreachable database
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        for task in list(self._waiting):  # not sent yet: handed back at once (see _wait_turn)
            task.cancel()
        lanes = list(self._lanes.values())
        if lanes:
            _, pending = await asyncio.wait(lanes, timeout=drain_seconds)
            for task in pending:  # left leased: the next start takes them again, as uncertain
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._delivered:  # record what went out (a claim of no new call)
            with contextlib.suppress(StorageUnavailable):
                await self.store.claim_heads(self._clock.now(), self._clock.now(), 0, frozenset(), self._delivered)
                self._delivered = []

    async def _run(self) -> None:
        last = 0.0
        while not self._stopping:
            # Wakes that come close together share one look: each look is a write transaction.
            gap = PUMP_GAP - (time.monotonic() - last)
            if gap > 0:
                await asyncio.sleep(gap)
                if self._stopping:  # stop() came during the gap: no new look
                    break
            last = time.monotonic()
            self._wake.clear()
            try:
                await self.pump()
            except StorageUnavailable as exc:
                log.warning("outbox_storage_unavailable", error=str(exc))
            except Exception:
                log.exception("outbox_pump_failed")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the cancellation that
            # stop() sends when a wake arrives at the same moment, and the sender would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()

    async def pump(self) -> int:
        """Lease the head of every idle lane and start sending them; returns how many were started."""
        if time.monotonic() - self._forgot_at > 60:
            self.forget_idle_lanes()
            self._forgot_at = time.monotonic()
        now = self._clock.now()
        busy = frozenset(lane for lane, task in self._lanes.items() if not task.done())
        delivered, self._delivered = self._delivered, []
        try:
            calls = await self.store.claim_heads(now, now + LEASE, CLAIM_LIMIT, busy, delivered)
        except BaseException:
            self._delivered[:0] = delivered  # recorded with the next look (a lease running out is safe too)
            raise
        for call in calls:
            self._lanes[call.lane] = asyncio.get_running_loop().create_task(self._lane(call))
        return len(calls)

    async def _lane(self, call: OutboundCall) -> None:
        try:
            await self._send(call)
        except StorageUnavailable as exc:  # the lease runs out and the call is taken again
            log.warning("outbox_storage_unavailable", call=call.id, error=str(exc))
        except Exception:
            log.exception("outbox_send_failed", call=call.id, method=call.method)
        finally:
            self._lanes.pop(call.lane, None)
            self.wake()  # the next call of this lane may go now

    async def _send(self, call: OutboundCall) -> None:
        resolved = await self._resolve(call)
        if resolved is None:
            return
        named, call = (call if resolved is not call else None), resolved
        if not await self._wait_turn(call):
            return
        if call.uncertain and call.posts:
            try:
                ts = await self.transport.find_posted(call)
            except LookupError as exc:
                await self.store.retry(call, self._clock.now() + backoff(call.attempts + 1, first=self._first_retry), str(exc), True)
                return
            if ts is not None:  # it did reach Slack before: record it, do not post it twice
                log.info("outbox_found_delivered", call=call.id, lane=call.lane)
                self._delivered.append((call, ts))
                self.delivered += 1
                return
        if call.ts_from:
            ts = await self.store.anchor_ts(call.team_id, call.ts_from)
            if ts is None:
                await self._fail(call, f"the message it refers to ({call.ts_from}) was never posted")
                return
            call = replace(call, params={**call.params, call.ts_param: ts})
        attempt = await self.transport.deliver(call)
        if attempt.error == "channel_not_found" and named is not None and self._forget(named):
            # The cached id is gone (the channel was deleted and made again): list the channels anew.
            await self.store.retry(call, self._clock.now(), attempt.error, False)
            return
        await self._settle(call, attempt)

    async def _resolve(self, call: OutboundCall) -> OutboundCall | None:
        """The call addressed to its channel's id; None when Slack cannot say now (the call is retried)."""
        channel = str(call.params.get("channel", ""))
        if self._channels is None or not is_channel_name(channel):
            return call
        try:
            found = await self._channels.resolve(call.team_id, channel)
        except LookupError as exc:
            await self.store.retry(call, self._clock.now() + backoff(call.attempts + 1, first=self._first_retry),
                                   str(exc), False)
            return None
        return call if found is None else in_channel(call, found)  # an unknown name: Slack says so

    def _forget(self, call: OutboundCall) -> bool:
        return self._channels is not None and self._channels.forget(call.team_id, str(call.params.get("channel", "")))

    async def _wait_turn(self, call: OutboundCall) -> bool:
        """Wait for the lane's pace and any 429 pause; False when the call was released instead."""
        now = time.monotonic()
        paused = self._paused.get((call.team_id, call.method), 0.0)
        wait = max(self._pace.take(call.lane, now), paused - now)
        if wait > MAX_WAIT_IN_LEASE:
            await self.store.retry(call, self._clock.now() + timedelta(seconds=wait), "waiting for Slack's pace", False)
            return False
        if wait > 0 and self._stopping:  # leased by the last look before shutdown: the next start sends it
            with contextlib.suppress(StorageUnavailable):
                await self.store.release(call)
            return False
        if wait > 0:
            task = asyncio.current_task()
            assert task is not None  # a lane's own task
            self._waiting.add(task)
            try:
                await asyncio.sleep(wait)
            except asyncio.CancelledError:
                if self._stopping:  # never tried: the next start sends it now, not once its lease runs out
                    with contextlib.suppress(StorageUnavailable):
                        await self.store.release(call)
                raise
            finally:
                self._waiting.discard(task)
        return True

    async def _settle(self, call: OutboundCall, attempt: Attempt) -> None:
        now = self._clock.now()
        match attempt.outcome:
            case Outcome.SENT:
                self._delivered.append((call, attempt.ts))
                self.delivered += 1
            case Outcome.RATE_LIMITED:
                until = now + timedelta(seconds=attempt.retry_after or 1.0)
                self._paused[(call.team_id, call.method)] = time.monotonic() + (attempt.retry_after or 1.0)
                log.warning("slack_rate_limited", method=call.method, team_id=call.team_id,
                            retry_after=attempt.retry_after)
                await self.store.retry(call, until, attempt.error, False)
            case Outcome.TRANSIENT if call.created_at is None or now - call.created_at < GIVE_UP_AFTER:
                log.warning("outbox_retry", call=call.id, method=call.method, attempts=call.attempts + 1,
                            error=attempt.error)
                await self.store.retry(call, now + backoff(call.attempts + 1, first=self._first_retry), attempt.error, attempt.maybe_delivered)
            case _:
                await self._fail(call, attempt.error)

    async def _fail(self, call: OutboundCall, error: str) -> None:
        self.failures += 1
        log.error("outbox_call_failed", call=call.id, method=call.method, lane=call.lane, error=error)
        await self.store.failed(call, error, self._clock.now())

    async def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued or being sent (for tests and a graceful shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not any(not t.done() for t in self._lanes.values()) and await self.store.backlog() == 0:
                return True
            self.wake()
            waiting = [t for t in self._lanes.values() if not t.done()]
            if waiting:
                await asyncio.wait(waiting, timeout=max(0.0, deadline - loop.time()))
            else:
                await asyncio.sleep(0.01)  # backlog is due later (backoff): look again shortly
        return False

    def forget_idle_lanes(self) -> None:
        """Drop pace state of quiet lanes and expired 429 pauses (keeps memory flat)."""
        now = time.monotonic()
        self._pace.forget_idle(now)
        self._paused = {k: v for k, v in self._paused.items() if v > now}
