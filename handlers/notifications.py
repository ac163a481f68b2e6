"""What the bot owes whom, and when: the notification policy.

The outbox (``handlers.outbox``) holds items; a delivery loop in ``bot/`` leases them,
sends them through a platform's notifier, retries, backs off and parks. Everything
that is a decision about the escalation itself lives here instead, so it reads the same
whatever platform carries it and is tested without one:

- which card an outbox item sends (``delivery_for``), and whether it updates a message
  posted before (the team card is updated in place);
- what a state means for the team (``awaits_acknowledgement``: only an open escalation
  is re-announced);
- when the next reminder is due (``next_reminder``) and what it queues
  (``reminder_items``).

``Notifications`` is the same policy with the store reads and writes around it, for the
loop to call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from cards.model import Card
from handlers.catalog import Catalog
from handlers.context import Services
from handlers.escalation_cards import reminder_card, requester_card, team_card_for
from handlers.escalation_records import NOTIFY_INDEX, OPEN, REMIND_INDEX, Escalation, Escalations
from handlers.escalation_targets import remind_after, team_targets, team_translator
from handlers.escalations import queue_notifications
from handlers.i18n import Translator
from handlers.insights import digest
from handlers.outbox import Outbox, OutboxItem

TEAM = "team"
REQUESTER = "requester"
REMINDER = "reminder"

REMINDER_CLAIM_TTL = 7 * 24 * 3600.0
"""How long a replica's claim on one reminder is kept: longer than any reminder interval."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one outbox item sends.

    ``update`` is the platform's reference to a message posted before (the team card
    changes in place); empty: post a new message. ``keep_ref`` says that the reference
    of a new post must be recorded on the escalation (``Notifications.delivered``), so
    that the next change updates it instead of posting again.
    """

    card: Card
    update: str = ""
    keep_ref: bool = False


def awaits_acknowledgement(esc: Escalation) -> bool:
    """Only an escalation nobody acknowledged yet is re-announced to the team."""
    return esc.state == OPEN


def next_reminder(catalog: Catalog, esc: Escalation, now: float) -> float:
    """When the team is reminded of ``esc`` again (epoch seconds), given it is ``now``."""
    return now + remind_after(catalog, esc.urgency)


def reminder_items(catalog: Catalog, esc: Escalation, number: int, platforms: frozenset[str] | None) -> list[OutboxItem]:
    """Reminder ``number`` of ``esc``: one item per team channel the bot can post to.
    Ids are deterministic, so queueing the same reminder twice is one item."""
    return [
        OutboxItem(f"{esc.id}:{REMINDER}:{number}:{target.platform}", REMINDER, esc.id, target, event=number)
        for target in team_targets(catalog, platforms)
    ]


def requester_translator(catalog: Catalog, esc: Escalation) -> Translator:
    """The customer reads updates in the language they escalated in."""
    return Translator("fr" if esc.lang == "fr" else "en", catalog.texts)


def delivery_for(catalog: Catalog, team_t: Translator, esc: Escalation, item: OutboxItem, now: dt.datetime) -> Delivery | None:
    """The card ``item`` sends about ``esc``, rendered from the record as it is now (a
    delayed card never shows a stale state); None when nothing is owed any more (a
    reminder for an escalation someone acknowledged meanwhile, an unknown kind)."""
    if item.kind == TEAM:
        ref = esc.team_refs.get(item.target.platform, "")
        return Delivery(team_card_for(catalog, team_t, esc), update=ref, keep_ref=not ref)
    if item.kind == REQUESTER:
        return Delivery(requester_card(catalog, requester_translator(catalog, esc), esc, item.event))
    if item.kind == REMINDER:
        return Delivery(reminder_card(catalog, team_t, esc, now)) if awaits_acknowledgement(esc) else None
    return None


def _counted(number: int) -> Callable[[Escalation], Escalation]:
    """The record with reminder ``number`` counted (never counting back)."""
    return lambda esc: replace(esc, reminders=max(esc.reminders, number))


class Notifications:
    """The policy above, with the store around it, for the delivery loop of ``bot/``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.outbox = Outbox(services.store)
        self.records = Escalations(services.store)

    async def prepare(self, item: OutboxItem) -> Delivery | None:
        """What to send for ``item`` now, or None when nothing is owed."""
        if item.kind == digest.KIND:
            return Delivery(await digest.digest_card(self.services, item.escalation))
        esc = await self.records.get(item.escalation)
        if esc is None:
            return None  # nothing to say about a record that does not exist
        return delivery_for(self.services.catalog, team_translator(self.services), esc, item, self.services.clock())

    async def delivered(self, item: OutboxItem, delivery: Delivery, ref: str) -> None:
        """Record what a sent item changes: the team card's message reference."""
        if not delivery.keep_ref:
            return
        platform = item.target.platform
        await self.records.change(item.escalation, lambda e: replace(e, team_refs={**e.team_refs, platform: ref}))

    async def sweep(self, now: float) -> None:
        """Queue notifications a crash or a store blip left unqueued (write-ahead marks)."""
        store = self.services.store
        for esc_id, _ in await store.index_range(NOTIFY_INDEX, max_score=now, limit=20):
            esc = await self.records.get(esc_id)
            if esc is None:
                await store.index_remove(NOTIFY_INDEX, esc_id)
                continue
            await queue_notifications(self.services, esc)

    async def remind(self, owner: str, now: float) -> None:
        """Re-announce escalations nobody acknowledged, once per interval, across replicas
        (``owner`` names this replica's claims)."""
        store = self.services.store
        catalog = self.services.catalog
        for esc_id, due in await store.index_range(REMIND_INDEX, max_score=now, limit=20):
            esc = await self.records.get(esc_id)
            if esc is None or not awaits_acknowledgement(esc):
                await store.index_remove(REMIND_INDEX, esc_id)
                continue
            # The claim is on the due time, not on a counter read from the record: a replica
            # that read the record before another one moved the due time cannot claim twice.
            if not await store.add(f"esc:reminded:{esc_id}:{int(due)}", owner, ttl=REMINDER_CLAIM_TTL):
                continue  # another replica announces this one
            number = esc.reminders + 1
            await self.records.change(esc_id, _counted(number))
            await store.index_put(REMIND_INDEX, esc_id, next_reminder(catalog, esc, now))
            for item in reminder_items(catalog, esc, number, self.services.platforms):
                await self.outbox.put(item, now)

    async def queue_digest(self, owner: str) -> bool:
        """This week's digest for the team, once across replicas, when it is due."""
        return await digest.queue_due_digest(self.services, owner)
