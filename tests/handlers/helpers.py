"""Building turns and running them through the real router, without any platform."""

from __future__ import annotations

from typing import Any

from bot.stores.memory import MemoryStore
from handlers.app import build_router
from handlers.catalog import Catalog
from handlers.context import Services
from handlers.router import Dispatcher, Outcome
from handlers.turn import ConversationKind, Turn, TurnKind, Where

ACME = Where("slack", "T0DEMO", "C0DEMO00001")
GLOBEX = Where("slack", "T0DEMO", "C0DEMO00002")
UNLINKED = Where("slack", "T0DEMO", "C0UNLINKED1")
TEAMS_ACME = Where("teams", "tenant-demo", "19:demo-acme@thread.tacv2")
ONBOARDING = Where("slack", "T0DEMO", "C0ONBOARD01")
DM = Where("slack", "T0DEMO", "D0DM0001", ConversationKind.DIRECT)
COMMAND_FORMATS = {"slack": "`/equinix {words}`", "teams": "**{words}**"}
"""How the server shows commands on each platform (``bot.services.command_formats``)."""


class Bot:
    """The dispatcher with an in-memory store: say something, get the outcome."""

    def __init__(self, catalog: Catalog, clock: Any, store: Any = None) -> None:
        self.store = store or MemoryStore()
        self.services = Services(catalog=catalog, store=self.store, clock=clock, strict_texts=True,
                                 command_formats=COMMAND_FORMATS)
        self.dispatcher = Dispatcher(build_router(), self.services)

    async def say(self, text: str, *, where: Where = ACME, user: str = "U0CUSTOMER", locale: str | None = "en-US",
                  kind: TurnKind = TurnKind.COMMAND) -> Outcome:
        return await self.dispatcher.dispatch(Turn(kind, where, user, locale=locale, text=text))

    async def press(self, action: str, data: dict[str, str] | None = None, *, where: Where = ACME,
                    user: str = "U0CUSTOMER", locale: str | None = "en-US") -> Outcome:
        return await self.dispatcher.dispatch(Turn(TurnKind.ACTION, where, user, locale=locale, action=action, data=data or {}))

    async def submit(self, action: str, data: dict[str, str], *, where: Where = ACME, user: str = "U0CUSTOMER",
                     locale: str | None = "en-US", dedupe_key: str = "") -> Outcome:
        return await self.dispatcher.dispatch(
            Turn(TurnKind.SUBMIT, where, user, locale=locale, action=action, data=data, dedupe_key=dedupe_key)
        )


def card_text(outcome: Outcome) -> str:
    """Every string of a reply's card, joined, for ``in`` assertions about content.

    French typography's no-break spaces become plain spaces here, so an assertion
    reads as the sentence does; tests/cards/test_typography.py checks the spaces."""
    from cards.text import render_text

    reply = outcome.response
    card = getattr(reply, "card", None)
    text = getattr(reply, "text", "") if card is None else render_text(card)
    return spaces(text)


def spaces(text: str) -> str:
    """``text`` with no-break spaces (U+00A0, U+202F) as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")
