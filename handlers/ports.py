"""The ports the handlers need from the outside world, as Protocols.

``bot/`` implements them (in-memory and Redis stores, each platform's sender); tests
can implement them too. Nothing here imports a platform or an infrastructure library.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cards.model import Card

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware UTC. Injected so tests can move time."""


class StoreUnavailable(Exception):
    """The store cannot be reached right now. Handlers answer that clearly; nothing crashes."""


class Store(Protocol):
    """A small key/value store with the few primitives the bot needs to stay correct
    across replicas: atomic create-if-absent, compare-and-set, counters, and sorted
    indexes. Keys are plain strings; implementations add their own namespace.

    Every method may raise ``StoreUnavailable``.
    """

    async def get(self, key: str) -> str | None: ...

    async def get_many(self, keys: Sequence[str]) -> list[str | None]: ...

    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None: ...

    async def add(self, key: str, value: str, *, ttl: float | None = None) -> bool:
        """Set ``key`` only if it does not exist. True when this call created it."""
        ...

    async def replace(self, key: str, expected: str, value: str) -> bool:
        """Set ``key`` to ``value`` only if it currently holds ``expected``."""
        ...

    async def add_all(
        self, values: Sequence[tuple[str, str, float | None]], *, index: Sequence[tuple[str, str, float]] = ()
    ) -> list[str | None]:
        """Create every key of ``values`` (``(key, value, ttl)`` each) and put every entry
        of ``index`` (``(index, member, score)`` each) in one atomic step, only if none
        of the keys exists: a record and the keys that find it again are written
        together or not at all, whatever fails or runs at the same time.

        Returns what each key held: all None when this call wrote everything; otherwise
        nothing was written and the values say who was first. ``values`` must not be empty.
        """
        ...

    async def delete(self, key: str) -> None: ...

    async def incr(self, key: str, *, ttl: float | None = None) -> int:
        """Add one and return the new value; ``ttl`` is applied when the key is created."""
        ...

    async def read_and_count(
        self, keys: Sequence[str], counters: Sequence[str], *, ttl: float, limits: Sequence[int] | None = None
    ) -> tuple[list[str | None], list[int]]:
        """Read ``keys`` and add one to each of ``counters`` (``ttl`` applied when a counter
        is created), in one round trip: what every turn needs before a handler runs.

        ``limits`` (one per counter, 0 for none) is what the caller compares the counts
        with: a store that counts approximately must be exact up to it (no more than
        ``limit`` calls may get a count within it, across every process)."""
        ...

    async def index_put(self, index: str, member: str, score: float) -> None: ...

    async def index_remove(self, index: str, member: str) -> None: ...

    async def index_range(
        self, index: str, *, max_score: float | None = None, limit: int = 100
    ) -> list[tuple[str, float]]:
        """Members with the lowest scores first, up to ``max_score`` when given."""
        ...

    async def ping(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Target:
    """Somewhere the bot can post without being asked: a channel or a conversation.

    ``platform`` names the notifier that posts there. ``tenant`` (the workspace or
    tenant the conversation belongs to, when the platform has one) and ``address``
    (whatever else that platform needs to reach the conversation, as ``config/`` or the
    platform gave it) are the platform's business: the handlers carry them, never read
    them. Not hashable (``address`` is a dict); nothing needs it to be.
    """

    platform: str
    conversation: str
    tenant: str = ""
    address: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        """A target as ``dataclasses.asdict`` wrote it, or as versions before ``address`` did: they
        kept a platform's extra fields (a service URL) beside the others, where they are
        read into ``address`` now, so items queued before an upgrade are still delivered."""
        known = ("platform", "conversation", "tenant", "address")
        address = {str(k): str(v) for k, v in (data.get("address") or {}).items()}
        address.update({str(k): str(v) for k, v in data.items() if k not in known and v})
        return cls(str(data["platform"]), str(data["conversation"]), str(data.get("tenant") or ""), address)


class DeliveryError(Exception):
    """A platform refused or failed a send.

    ``permanent`` means retrying cannot help (channel gone, bot removed): the item is
    parked and reported, never silently dropped. ``retry_after`` is the platform's own
    hint in seconds (HTTP 429), when it gave one.
    """

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Notifier(Protocol):
    """Posts and updates cards in a conversation the bot was not asked in.

    Used by the outbox worker, never on a customer's request path. ``post`` returns
    the platform's reference to the message so it can be updated later.
    """

    async def post(self, target: Target, card: Card) -> str: ...

    async def update(self, target: Target, ref: str, card: Card) -> None: ...
