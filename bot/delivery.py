"""The delivery loop: sends what the outbox holds, and announces overdue escalations.

Runs as one background task per replica. Items are leased in the store before they are
sent, so several replicas never send the same item at once; a failed send is retried
with exponential backoff (or the platform's Retry-After), a permanent failure is parked
and reported on ``/readyz`` instead of dropped. What each item sends, and which reminders
are due, is the domain's policy (``handlers.notifications``); where a platform finds a
conversation (a Teams service URL, say) is that platform's notifier's business.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping

from bot.metrics import Metrics
from handlers.context import Services
from handlers.notifications import Notifications
from handlers.outbox import Outbox, OutboxItem
from handlers.ports import DeliveryError, Notifier, StoreUnavailable

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
MAX_BACKOFF = 300.0


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next try: the platform's hint, else 1, 2, 4 ... 300 with jitter."""
    if retry_after is not None:
        return max(0.5, min(retry_after, MAX_BACKOFF))
    return min(MAX_BACKOFF, 2.0 ** attempts) * (0.8 + 0.4 * random.random())


class Deliverer:
    """One pass (``run_once``) and the loop around it (``run``)."""

    def __init__(self, services: Services, notifiers: Mapping[str, Notifier], metrics: Metrics, *,
                 interval: float = 0.5, wake: asyncio.Event | None = None) -> None:
        self.services = services
        self.notifiers = notifiers
        self.metrics = metrics
        self.interval = interval
        self.outbox = Outbox(services.store)
        self.notifications = Notifications(services)
        self.owner = uuid.uuid4().hex
        self.wake = wake or asyncio.Event()
        self.dead_count = 0
        self.last_error = ""

    def now(self) -> float:
        return self.services.clock().timestamp()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once(stop)
            except StoreUnavailable as exc:
                self.last_error = "store unavailable"
                log.warning("delivery paused: store unavailable (%s)", type(exc).__name__)
            except Exception:  # noqa: BLE001 - the loop must survive a bug in one item
                log.exception("delivery pass failed")
                self.metrics.bug("any", "delivery")
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass

    async def drain(self, seconds: float) -> int:
        """Deliver what is due now, for at most about ``seconds`` (checked between items;
        an item in flight finishes or times out first). For shutdown with a store that
        does not outlive the process. Returns items delivered."""
        stop = asyncio.Event()
        timer = asyncio.get_running_loop().call_later(seconds, stop.set)
        delivered = 0
        try:
            while not stop.is_set():
                try:
                    if not await self.outbox.due(self.now()):
                        break
                    sent = await self.run_once(stop)
                except StoreUnavailable:
                    break
                delivered += sent
                if not sent:
                    break  # what is left failed just now and waits for its retry time
        finally:
            timer.cancel()
        return delivered

    async def run_once(self, stop: asyncio.Event | None = None) -> int:
        """Queue what a crash left unqueued, announce due reminders, then deliver every
        due item, checking ``stop`` between items so shutdown never waits for a whole
        pass. Returns items delivered."""
        await self.sweep()
        await self.remind()
        await self.notifications.queue_digest(self.owner)
        delivered = 0
        for item_id in await self.outbox.due(self.now()):
            if stop is not None and stop.is_set():
                break
            if await self.deliver(item_id):
                delivered += 1
        try:
            self.metrics.outbox_pending.set(await self.outbox.pending_count())
        except StoreUnavailable:
            pass
        return delivered

    async def deliver(self, item_id: str) -> bool:
        if not await self.outbox.lease(item_id, self.owner, LEASE_SECONDS):
            return False
        try:
            loaded = await self.outbox.load(item_id)
            if loaded is None:
                return False
            item, raw = loaded
            if item.due > self.now():
                return False  # another replica rescheduled it after we listed it
            try:
                await self._send(item)
            except DeliveryError as exc:
                self.metrics.outbox_failed.labels(item.target.platform, "permanent" if exc.permanent else "transient").inc()
                if exc.permanent:
                    log.error("delivery of %s to %s failed for good: %s", item.id, item.target.platform, exc.reason)
                    await self.outbox.bury(item, raw, exc.reason, self.now())
                else:
                    wait = backoff(item.attempts, exc.retry_after)
                    log.warning("delivery of %s to %s failed (%s); retry in %.1fs", item.id, item.target.platform, exc.reason, wait)
                    await self.outbox.retry(item, raw, self.now() + wait, exc.reason)
                return False
            await self._bookkeep(lambda: self.outbox.done(item, raw))
            self.metrics.outbox_delivered.labels(item.target.platform).inc()
            return True
        finally:
            try:
                await self._bookkeep(lambda: self.outbox.release(item_id))
            except StoreUnavailable:
                pass  # the lease expires by itself

    async def _bookkeep(self, step: Callable[[], Awaitable[object]]) -> object:
        """Record what was already sent, retrying through a store blip for most of the
        lease: giving up here would make another pass send the same thing again."""
        delay = 0.05
        deadline = time.monotonic() + LEASE_SECONDS / 2
        while True:
            try:
                return await step()
            except StoreUnavailable:
                if time.monotonic() + delay > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _send(self, item: OutboxItem) -> None:
        notifier = self.notifiers.get(item.target.platform)
        if notifier is None:
            raise DeliveryError(f"{item.target.platform} is not enabled on this server", permanent=True)
        delivery = await self.notifications.prepare(item)
        if delivery is None:
            return
        if delivery.update:
            await notifier.update(item.target, delivery.update, delivery.card)
            return
        ref = await notifier.post(item.target, delivery.card)
        await self._bookkeep(lambda: self.notifications.delivered(item, delivery, ref))

    async def sweep(self) -> None:
        """Queue notifications a crash or a store blip left unqueued."""
        await self.notifications.sweep(self.now())

    async def remind(self) -> None:
        """Queue the reminders that are due (the policy decides which, once across replicas)."""
        await self.notifications.remind(self.owner, self.now())

    async def readiness(self) -> tuple[object, bool]:
        """For /readyz, which anyone can reach: counts only. Which items were parked and
        why is in the log (one error line per item) and in ``bot_outbox_failures_total``
        and ``bot_outbox_undeliverable``."""
        try:
            dead = await self.outbox.dead_count()
            pending = await self.outbox.pending_count()
        except StoreUnavailable:
            return {"status": "store unavailable"}, False
        self.metrics.outbox_undeliverable.set(dead)
        return {"pending": pending, "undeliverable": dead}, True  # restarting this replica would not help
