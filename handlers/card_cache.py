"""Cards that depend only on who is asking where, built once.

The help, team, service-desk and portal cards are a pure function of the account, the
language, the platform and the day (which decides whether access is open). Building
them is most of the work of a turn, so each is kept here the first time and returned as
the same object afterwards, which also lets an adapter keep its rendering of it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from cards.model import Card


class CardCache:
    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._cards: dict[Hashable, Card] = {}

    def get(self, key: Hashable, build: Callable[[], Card]) -> Card:
        card = self._cards.get(key)
        if card is None:
            if len(self._cards) >= self._size:
                self._cards.clear()  # a new day or a config reload; rebuilding is cheap enough
            card = self._cards[key] = build()
        return card
