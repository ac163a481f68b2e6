"""What a handler gets besides the turn: the services and the per-turn facts.

``Services`` is built once by the app and shared; ``Context`` is built per turn by the
dispatcher (which account this conversation belongs to, which language to answer in,
whether the user is on the onboarding team).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from cards.model import Card
from handlers.card_cache import CardCache
from handlers.catalog import Account, Catalog, Lang, Member
from handlers.i18n import Translator
from handlers.insights.options import InsightsOptions
from handlers.limits import Limits
from handlers.ports import Clock, Store
from handlers.turn import Platform


@dataclass(frozen=True, slots=True)
class Services:
    """The long-lived dependencies of the handlers, passed in by the app."""

    catalog: Catalog
    store: Store
    clock: Clock
    command: str = "/equinix"
    strict_texts: bool = False
    wake_outbox: Callable[[], None] = lambda: None
    limits: Limits = Limits(per_user=0, per_conversation=0)
    report_error: Callable[[str, str], None] = lambda platform, where: None
    """Counts an exception caught in the handlers (platform, where); the caller logs it."""
    platforms: frozenset[str] | None = None  # where the bot can post; None: everywhere configured
    cards: CardCache = field(default_factory=CardCache)
    insights: InsightsOptions = InsightsOptions()


@dataclass(frozen=True, slots=True)
class Context:
    """Per-turn view of the services."""

    services: Services
    lang: Lang
    account: Account | None
    member: Member | None
    platform: Platform
    store_ok: bool = True

    @property
    def t(self) -> Translator:
        return Translator(self.lang, self.services.catalog.texts, self.services.strict_texts, self.shared)

    def shared(self, name: str, lang: Lang) -> str | None:
        """Placeholders any text may use without its caller passing them, so they read
        the same in every card: ``{team_name}`` (the onboarding team, in ``lang``),
        ``{provider}``,
        ``{guidance}`` (the bot's advice until access opens) and ``{urgent}`` (what to
        do about an urgent problem, for this account today)."""
        if name == "team_name":
            return self.services.catalog.onboarding.name_in(lang)
        if name == "provider":
            return self.services.catalog.site.provider
        if name in ("guidance", "urgent"):
            from handlers import status_line  # it builds on this module

            return status_line.guidance(self, lang) if name == "guidance" else status_line.urgent_line(self, lang)
        return None

    @property
    def catalog(self) -> Catalog:
        return self.services.catalog

    @property
    def store(self) -> Store:
        return self.services.store

    def now(self) -> dt.datetime:
        return self.services.clock()

    def today(self) -> dt.date:
        return self.services.clock().date()

    def access_open(self) -> bool:
        return self.account is not None and self.account.access_open(self.today())

    def cached(self, name: str, build: Callable[["Context"], Card]) -> Card:
        """``build(self)``, once per account, language, platform and day."""
        key = (name, self.account.id if self.account else None, self.lang, self.platform, self.today())
        return self.services.cards.get(key, lambda: build(self))

    def cmd(self, words: str) -> str:
        """How the user types a command on this platform: inline code on Slack, bold on
        Teams (its card markdown has no code). The command word is shown in the reply
        language when the locale names one (``command.help: aide``); every such word
        is registered with the router too."""
        first, sep, rest = words.partition(" ")
        first = self.services.catalog.texts.get(self.lang, {}).get(f"command.{first}", first)
        words = first + sep + rest
        if self.platform is Platform.SLACK:
            return f"`{self.services.command} {words}`"
        if self.platform is Platform.TEAMS:
            return f"**{words}**"
        return f"`{words}`"
