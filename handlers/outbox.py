"""The outbox: messages the bot owes someone, kept in the store until delivered.

A customer's escalation must reach the onboarding team even when a platform is
down, the bot restarts, or two replicas run at once. So nothing is sent directly:
handlers write an ``OutboxItem`` (what to send, to whom) and a delivery loop
(``bot.delivery``) sends it, retrying with backoff. What is sent is *rendered at
delivery time* from the current escalation state, so a card that was delayed never
shows a stale state.

Item ids are deterministic (``ESC-000001:team:<platform>``), so enqueueing the same thing
twice is one item; a ``version`` field lets an in-flight delivery notice that the item
was re-queued meanwhile (a state change) and must be delivered again.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field, replace

from handlers.ports import Store, Target

DUE = "outbox:due"
DEAD = "outbox:dead"


def _key(item_id: str) -> str:
    return f"outbox:item:{item_id}"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One delivery owed.

    ``kind``: ``team`` (post or update the escalation's card in the team channel),
    ``requester`` (tell the customer about event ``event`` of the history), or
    ``reminder`` (re-announce an unacknowledged escalation, reminder number ``event``).
    """

    id: str
    kind: str
    escalation: str
    target: Target
    event: int = 0
    attempts: int = 0
    version: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    last_error: str = ""
    due: float = 0.0

    def dumps(self) -> str:
        data = asdict(self)
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def loads(cls, raw: str) -> OutboxItem:
        data = json.loads(raw)
        data["target"] = Target.from_dict(data["target"])
        return cls(**data)


class Outbox:
    """Store-backed queue operations shared by the handlers and the delivery loop."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def put(self, item: OutboxItem, due: float) -> None:
        """Queue ``item`` (or re-queue it with a new version: a newer state to render)."""
        await self.store.set(_key(item.id), replace(item, version=uuid.uuid4().hex[:12], due=due).dumps())
        await self.store.index_put(DUE, item.id, due)

    async def due(self, now: float, limit: int = 50) -> list[str]:
        return [member for member, _ in await self.store.index_range(DUE, max_score=now, limit=limit)]

    async def load(self, item_id: str) -> tuple[OutboxItem, str] | None:
        raw = await self.store.get(_key(item_id))
        if not raw:
            await self.store.index_remove(DUE, item_id)
            return None
        return OutboxItem.loads(raw), raw

    async def lease(self, item_id: str, owner: str, seconds: float) -> bool:
        """Only one delivery loop (of any replica) works on an item at a time."""
        return await self.store.add(f"outbox:lease:{item_id}", owner, ttl=seconds)

    async def release(self, item_id: str) -> None:
        await self.store.delete(f"outbox:lease:{item_id}")

    async def done(self, item: OutboxItem, raw: str) -> bool:
        """Remove a delivered item unless it was re-queued meanwhile (then it stays due)."""
        if not await self.store.replace(_key(item.id), raw, ""):
            return False
        await self.store.index_remove(DUE, item.id)
        await self.store.delete(_key(item.id))
        return True

    async def retry(self, item: OutboxItem, raw: str, due: float, error: str) -> None:
        updated = replace(item, attempts=item.attempts + 1, last_error=error, due=due)
        if await self.store.replace(_key(item.id), raw, updated.dumps()):
            await self.store.index_put(DUE, item.id, due)

    async def bury(self, item: OutboxItem, raw: str, error: str, now: float) -> None:
        """A permanent failure: kept aside (never dropped) and reported on /readyz."""
        updated = replace(item, attempts=item.attempts + 1, last_error=error, due=float("inf"))
        await self.store.set(_key(item.id), updated.dumps())
        await self.store.index_remove(DUE, item.id)
        await self.store.index_put(DEAD, item.id, now)

    async def pending_count(self) -> int:
        return len(await self.store.index_range(DUE, limit=10_000))

    async def dead_count(self) -> int:
        return len(await self.store.index_range(DEAD, limit=10_000))

    async def dead(self, limit: int = 20) -> list[OutboxItem]:
        ids = [member for member, _ in await self.store.index_range(DEAD, limit=limit)]
        raws = await self.store.get_many([_key(i) for i in ids]) if ids else []
        return [OutboxItem.loads(raw) for raw in raws if raw]
