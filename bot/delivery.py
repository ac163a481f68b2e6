"""The delivery loop: sends what the outbox holds, and announces overdue escalations.

Runs as one background task per replica. Items are leased in the store before they are
sent, so several replicas never send the same item at once; a failed send is retried
with exponential backoff (or the platform's Retry-After), a permanent failure is parked
and reported on ``/readyz`` instead of dropped. Reminders are claimed per escalation and
reminder number, so each is announced once across replicas.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from dataclasses import replace
from typing import Awaitable, Callable, Mapping

from handlers.catalog import Catalog
from handlers.context import Services
from handlers.escalation_records import ACKNOWLEDGED, NOTIFY_INDEX, REMIND_INDEX, RESOLVED, Escalations
from handlers.escalations import (
    queue_notifications,
    remind_after,
    reminder_card,
    requester_card,
    team_card_for,
    team_targets,
    team_translator,
)
from handlers.i18n import Translator
from handlers.insights import digest
from handlers.outbox import Outbox, OutboxItem
from handlers.ports import DeliveryError, Notifier, StoreUnavailable, Target
from bot.metrics import Metrics

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
        self.records = Escalations(services.store)
        self.owner = uuid.uuid4().hex
        self.wake = wake or asyncio.Event()
        self.dead_count = 0
        self.last_error = ""

    @property
    def catalog(self) -> Catalog:
        return self.services.catalog

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
            except asyncio.TimeoutError:
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
        await digest.queue_due_digest(self.services, self.owner)
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
        if item.target.platform == "console":
            return  # someone at a console (sharing this Redis) reads updates with status there
        notifier = self.notifiers.get(item.target.platform)
        if notifier is None:
            raise DeliveryError(f"{item.target.platform} is not enabled on this server", permanent=True)
        if item.kind == digest.KIND:
            await notifier.post(await self._complete(item.target), await digest.digest_card(self.services, item.escalation))
            return
        esc = await self.records.get(item.escalation)
        if esc is None:
            return  # nothing to say about a record that does not exist
        target = await self._complete(item.target)
        if item.kind == "team":
            card = team_card_for(self.catalog, team_translator(self.services), esc)
            ref = esc.team_refs.get(target.platform)
            if ref:
                await notifier.update(target, ref, card)
            else:
                ref = await notifier.post(target, card)
                await self._bookkeep(lambda: self.records.change(
                    esc.id, lambda e: replace(e, team_refs={**e.team_refs, target.platform: ref})))
        elif item.kind == "requester":
            t = Translator(esc.lang if esc.lang in ("en", "fr") else "en", self.catalog.texts)  # type: ignore[arg-type]
            await notifier.post(target, requester_card(self.catalog, t, esc, item.event))
        elif item.kind == "reminder":
            if esc.state == "open":
                await notifier.post(target, reminder_card(self.catalog, team_translator(self.services), esc, self.services.clock()))

    async def _complete(self, target: Target) -> Target:
        """A Teams conversation needs its service URL: take it from the stored reference."""
        if target.platform != "teams" or target.service_url:
            return target
        raw = await self.services.store.get(f"teams:ref:{target.conversation}")
        if not raw:
            raise DeliveryError("no Teams conversation reference stored for this conversation", permanent=True)
        ref = json.loads(raw)
        # The keys ``bot.teams.reference_of`` writes.
        return replace(target, service_url=str(ref.get("service_url", "")), tenant=target.tenant or str(ref.get("tenant_id", "")))

    async def sweep(self) -> None:
        """Queue notifications a crash or a store blip left unqueued (write-ahead marks)."""
        for esc_id, _ in await self.services.store.index_range(NOTIFY_INDEX, max_score=self.now(), limit=20):
            esc = await self.records.get(esc_id)
            if esc is None:
                await self.services.store.index_remove(NOTIFY_INDEX, esc_id)
                continue
            await queue_notifications(self.services, esc)

    async def remind(self) -> None:
        """Re-announce escalations nobody acknowledged, once per interval, across replicas."""
        now = self.now()
        for esc_id, due in await self.services.store.index_range(REMIND_INDEX, max_score=now, limit=20):
            esc = await self.records.get(esc_id)
            if esc is None or esc.state in (ACKNOWLEDGED, RESOLVED):
                await self.services.store.index_remove(REMIND_INDEX, esc_id)
                continue
            # The claim is on the due time, not on a counter read from the record: a replica
            # that read the record before another one moved the due time cannot claim twice.
            if not await self.services.store.add(f"esc:reminded:{esc_id}:{int(due)}", self.owner, ttl=7 * 24 * 3600):
                continue  # another replica announces this one
            number = esc.reminders + 1
            await self.records.change(esc_id, lambda e, n=number: replace(e, reminders=max(e.reminders, n)))
            await self.services.store.index_put(REMIND_INDEX, esc_id, now + remind_after(self.catalog, esc.urgency))
            for target in team_targets(self.catalog, self.services.platforms):
                item = OutboxItem(f"{esc_id}:reminder:{number}:{target.platform}", "reminder", esc_id, target, event=number)
                await self.outbox.put(item, now)

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
