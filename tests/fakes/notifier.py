"""A Notifier that records what it was asked to send, and can fail on demand."""

from __future__ import annotations

import itertools

from cards.model import Card
from handlers.ports import DeliveryError, Target


class RecordingNotifier:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.posts: list[tuple[Target, Card, str]] = []
        self.updates: list[tuple[Target, str, Card]] = []
        self.failures: list[DeliveryError] = []
        self._ids = itertools.count(1)

    async def post(self, target: Target, card: Card) -> str:
        if self.failures:
            raise self.failures.pop(0)
        ref = f"{self.platform}-msg-{next(self._ids)}"
        self.posts.append((target, card, ref))
        return ref

    async def update(self, target: Target, ref: str, card: Card) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.updates.append((target, ref, card))
