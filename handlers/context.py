"""What a handler gets besides the turn: the services and the per-turn facts.

``Services`` is built once by the app and shared; ``Context`` is built per turn by the
dispatcher (which account this conversation belongs to, which language to answer in,
whether the user is on the onboarding team).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cards.model import Card
from handlers.card_cache import CardCache
from handlers.catalog import Account, Catalog, Lang, Member
from handlers.i18n import Translator
from handlers.insights.options import InsightsOptions
from handlers.limits import Limits
from handlers.ports import Clock, Store
from handlers.turn import Platform

DEFAULT_COMMAND_FORMAT = "`{words}`"
"""A command as inline code, for a platform whose adapter names no format of its own."""


@dataclass(frozen=True, slots=True)
class Services:
    """The long-lived dependencies of the handlers, passed in by the app."""

    catalog: Catalog
    store: Store
    clock: Clock
    command_formats: Mapping[str, str] = field(default_factory=dict)
    """How a user types a command, by platform name: a format of ``{words}`` (a slash
    command before them, inline code or bold around them), as the platform's adapter
    says; a platform not named gets ``DEFAULT_COMMAND_FORMAT``."""
    strict_texts: bool = False
    wake_outbox: Callable[[], None] = lambda: None
    limits: Limits = Limits(per_user=0, per_conversation=0)
    report_error: Callable[[str, str], None] = lambda platform, where: None
    """Counts an exception caught in the handlers (platform, where); the caller logs it."""
    platforms: frozenset[str] | None = None  # where the bot can post; None: everywhere configured
    cards: CardCache = field(default_factory=CardCache)
    insights: InsightsOptions = InsightsOptions()


class View(Protocol):
    """What the status lines, buttons and contacts read: who is asked where, today, and
    nothing about who is asking. ``Context`` and ``CardView`` both are one."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def lang(self) -> Lang: ...

    @property
    def account(self) -> Account | None: ...

    @property
    def platform(self) -> Platform: ...

    @property
    def strict_texts(self) -> bool: ...

    @property
    def t(self) -> Translator: ...

    def today(self) -> dt.date: ...

    def access_open(self) -> bool: ...

    def cmd(self, words: str) -> str: ...


@dataclass(frozen=True, slots=True)
class CardView:
    """All a cached card may depend on: its cache key (account, language, platform, day)
    and the configuration. A builder that gets this cannot read the member, the user or
    the store, so one person's card cannot be shown to another by construction."""

    catalog: Catalog
    lang: Lang
    account: Account | None
    platform: Platform
    day: dt.date
    strict_texts: bool = False
    command_format: str = DEFAULT_COMMAND_FORMAT

    @property
    def t(self) -> Translator:
        return Translator(self.lang, self.catalog.texts, self.strict_texts, self.shared)

    def shared(self, name: str, lang: Lang) -> str | None:
        return shared_text(self, name, lang)

    def today(self) -> dt.date:
        return self.day

    def access_open(self) -> bool:
        return self.account is not None and self.account.access_open(self.day)

    def cmd(self, words: str) -> str:
        return command_text(self.catalog, self.command_format, self.lang, words)


Build = Callable[[CardView], Card]


def shared_text(view: View, name: str, lang: Lang) -> str | None:
    """Placeholders any text may use without its caller passing them, so they read
    the same in every card: ``{team_name}`` (the onboarding team, in ``lang``),
    ``{provider}``,
    ``{guidance}`` (the bot's advice until access opens) and ``{urgent}`` (what to
    do about an urgent problem, for this account today)."""
    if name == "team_name":
        return view.catalog.onboarding.name_in(lang)
    if name == "provider":
        return view.catalog.site.provider
    if name in ("guidance", "urgent"):
        from handlers import status_line  # it builds on this module

        return status_line.guidance(view, lang) if name == "guidance" else status_line.urgent_line(view, lang)
    return None


def command_text(catalog: Catalog, command_format: str, lang: Lang, words: str) -> str:
    """How the user types a command on this platform (``command_format``, the
    platform's). The command word is shown in the reply language when the locale
    names one (``command.help: aide``); every such word is registered with the router
    too."""
    first, sep, rest = words.partition(" ")
    first = catalog.texts.get(lang, {}).get(f"command.{first}", first)
    return command_format.replace("{words}", first + sep + rest)


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
        return shared_text(self, name, lang)

    @property
    def catalog(self) -> Catalog:
        return self.services.catalog

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def strict_texts(self) -> bool:
        return self.services.strict_texts

    def now(self) -> dt.datetime:
        return self.services.clock()

    def today(self) -> dt.date:
        return self.services.clock().date()

    def access_open(self) -> bool:
        return self.account is not None and self.account.access_open(self.today())

    def card_view(self) -> CardView:
        """This turn as a cached card sees it: without the member, the user or the store."""
        services = self.services
        return CardView(services.catalog, self.lang, self.account, self.platform, self.today(),
                        services.strict_texts, self.command_format)

    def cached(self, name: str, build: Build) -> Card:
        """``build(view)``, once per account, language, platform and day: the view holds
        exactly what the key does, so whatever the builder reads is in the key."""
        key = (name, self.account.id if self.account else None, self.lang, self.platform, self.today())
        return self.services.cards.get(key, lambda: build(self.card_view()))

    @property
    def command_format(self) -> str:
        return self.services.command_formats.get(self.platform, DEFAULT_COMMAND_FORMAT)

    def cmd(self, words: str) -> str:
        return command_text(self.services.catalog, self.command_format, self.lang, words)
