"""Escalation records in the store: creation exactly once, state changes by compare-and-set.

Kept apart from the intents (``handlers.escalations``) because the delivery loop and
the reminders need the records without the cards.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from handlers.ports import Store, Target

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"

OPEN_INDEX = "esc:open"        # unresolved escalations, by creation time
REMIND_INDEX = "esc:remind"    # unacknowledged escalations, by next reminder time
NOTIFY_INDEX = "esc:notify"    # escalations whose latest events may not be queued yet, by when to check
NOTIFY_GRACE = 10.0            # seconds the normal path has to queue them before the sweep does
CATEGORIES = ("portal", "gsd", "billing", "shipping", "site_access", "smart_hands", "commercial", "technical", "other")
URGENCIES = ("normal", "urgent")
IDEM_TTL = 7 * 24 * 3600.0     # how long a request's key finds its escalation again
IDEM_PREFIX = "idem:escalation:"
LEGACY_IDEM_PREFIX = "idem:esc:"
"""Keys of versions that claimed them with "pending" before the record existed: still
read, so a request retried across an upgrade finds its escalation, never written (a
"pending" one is not waited for). Reading them can go once IDEM_TTL has passed."""


def account_index(account_id: str) -> str:
    return f"esc:account:{account_id}"


def _key(esc_id: str) -> str:
    return f"esc:{esc_id}"


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the history: what happened, who did it, when."""

    at: str
    who: str
    what: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Requester:
    platform: str
    tenant: str
    conversation: str
    kind: str
    user_id: str
    user_name: str = ""

    def target(self) -> Target:
        return Target(self.platform, self.conversation, self.tenant)


@dataclass(frozen=True, slots=True)
class Escalation:
    id: str
    account: str
    requester: Requester
    subject: str
    category: str
    urgency: str
    description: str
    lang: str
    created_at: str
    link: str = ""
    state: str = OPEN
    assignee: str = ""
    history: tuple[Event, ...] = ()
    team_refs: dict[str, str] = field(default_factory=dict)
    reminders: int = 0
    notified: int = 0  # history events whose notifications are queued in the outbox

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at)

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True, ensure_ascii=False)

    @classmethod
    def loads(cls, raw: str) -> Escalation:
        data = json.loads(raw)
        data["requester"] = Requester(**data["requester"])
        data["history"] = tuple(Event(**e) for e in data.get("history", ()))
        return cls(**data)


class Conflict(Exception):
    """The record kept changing under us; the caller answers "try again"."""


class Escalations:
    """The repository of escalation records."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, esc_id: str) -> Escalation | None:
        raw = await self.store.get(_key(esc_id))
        return Escalation.loads(raw) if raw else None

    async def get_many(self, ids: list[str]) -> list[Escalation]:
        if not ids:
            return []
        raws = await self.store.get_many([_key(i) for i in ids])
        return [Escalation.loads(raw) for raw in raws if raw]

    @staticmethod
    def _idem_keys(idempotency_key: str, content_key: str, content_ttl: float) -> list[tuple[str, float]]:
        keys = [(f"{IDEM_PREFIX}{idempotency_key}", IDEM_TTL)] if idempotency_key else []
        if content_key:
            keys.append((f"{IDEM_PREFIX}form:{content_key}", content_ttl))
        return keys

    async def find(self, idempotency_key: str, content_key: str = "") -> Escalation | None:
        """The escalation an earlier request with either key created, if any."""
        keys = [idem for idem, _ in self._idem_keys(idempotency_key, content_key, 0.0)]
        keys += [LEGACY_IDEM_PREFIX + idem.removeprefix(IDEM_PREFIX) for idem in keys]
        if not keys:
            return None
        for value in await self.store.get_many(keys):
            if value and value != "pending":
                esc = await self.get(value)
                if esc is not None:
                    return esc
        return None

    async def create(self, draft: Escalation, idempotency_key: str, remind_at: float, *,
                     content_key: str = "", content_ttl: float = 600.0) -> tuple[Escalation, bool]:
        """Store a new escalation once per ``idempotency_key`` and once per ``content_key``.

        Returns the escalation and whether this call created it. A retried platform request
        or a second replica receiving the same event carry the same request key; the same
        form sent twice (Send pressed twice: two requests, two ids) carries the same
        content key for ``content_ttl`` seconds. Either way the first call's escalation
        comes back.

        The record, both keys, its index entries and its write-ahead mark are written in
        one atomic store call, so no key ever points at nothing and no record is ever
        without its keys: a create that stalls, fails or dies at any step, while the same
        request is handled elsewhere, leaves either everything or nothing, and the
        request sent again finds what was written instead of waiting on a half-made one.
        """
        keys = self._idem_keys(idempotency_key, content_key, content_ttl)
        number = await self.store.incr("seq:esc")
        esc = replace(draft, id=f"ESC-{number:06d}")
        created = esc.created.timestamp()
        held = await self.store.add_all(
            [(_key(esc.id), esc.dumps(), None), *((idem, esc.id, ttl) for idem, ttl in keys)],
            index=[(OPEN_INDEX, esc.id, created), (account_index(esc.account), esc.id, created),
                   (REMIND_INDEX, esc.id, remind_at),
                   # Write-ahead mark: if we die before the team card is queued, the sweep queues it.
                   (NOTIFY_INDEX, esc.id, created + NOTIFY_GRACE)],
        )
        if all(value is None for value in held):
            return esc, True
        if held[0] is not None:
            raise Conflict(f"{esc.id} exists already")
        for value in held[1:]:
            existing = await self.get(value) if value else None
            if existing is not None:
                # The other key (a second request id for the same form) finds it too.
                for (idem, ttl), was in zip(keys, held[1:], strict=True):
                    if was is None:
                        await self.store.add(idem, existing.id, ttl=ttl)
                return existing, False
        raise Conflict(f"an idempotency key of {esc.id} names no escalation")

    async def mark_unnotified(self, esc_id: str, check_at: float) -> None:
        await self.store.index_put(NOTIFY_INDEX, esc_id, check_at)

    async def change(self, esc_id: str, mutate: Callable[[Escalation], Escalation]) -> tuple[Escalation, Escalation]:
        """Apply ``mutate`` atomically (compare-and-set, retried on a concurrent change).

        ``mutate`` may raise to refuse the change; it must not have side effects.
        Returns (before, after).
        """
        for _ in range(10):
            raw = await self.store.get(_key(esc_id))
            if raw is None:
                raise KeyError(esc_id)
            before = Escalation.loads(raw)
            after = mutate(before)
            if await self.store.replace(_key(esc_id), raw, after.dumps()):
                return before, after
        raise Conflict(esc_id)

    async def for_account(self, account_id: str, limit: int = 50) -> list[Escalation]:
        entries = await self.store.index_range(account_index(account_id), limit=1000)
        ids = [member for member, _ in entries][-limit:]
        return list(reversed(await self.get_many(ids)))

    async def open(self, limit: int = 50) -> list[Escalation]:
        entries = await self.store.index_range(OPEN_INDEX, limit=limit)
        return await self.get_many([member for member, _ in entries])
