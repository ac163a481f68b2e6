"""Explicit routing from a ``Turn`` to the handler that answers it.

Each intent module exposes ``register(router)``; ``handlers.app.build_router`` calls
them one by one, so adding an intent is one module and one line. The ``Dispatcher``
does what every turn needs before a handler runs (language, account, membership)
and turns failures into clear answers instead of silence.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from cards.model import Text
from handlers.accounts import account_for, lang_key, language_for, legacy_link_key, link_key, linked_value, user_key
from handlers.catalog import Catalog
from handlers.context import Context, Services
from handlers.i18n import Translator, fold
from handlers.limits import WINDOW, counters, exceeded
from handlers.ports import StoreUnavailable
from handlers.turn import ConversationKind, Reply, Response, Turn, TurnKind

log = logging.getLogger(__name__)

Handler = Callable[[Turn, Context], Awaitable[Response]]
_TEXT_KINDS = frozenset({TurnKind.COMMAND, TurnKind.MESSAGE, TurnKind.MENTION})


@dataclass(frozen=True, slots=True)
class Route:
    intent: str
    handler: Handler
    needs_account: bool = False
    needs_member: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the dispatcher decided: the intent (for metrics and logs) and the response."""

    intent: str
    response: Response
    lang: str = "en"


class Router:
    """Maps command words, button actions and form submits to routes."""

    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.actions: dict[str, Route] = {}
        self.submits: dict[str, Route] = {}
        self.special: dict[TurnKind, Route] = {}
        self.fallback: Route | None = None
        self.warmups: list[Callable[[Catalog], object]] = []

    def command(self, words: tuple[str, ...], route: Route) -> None:
        """Register a command under each of ``words`` (folded: case and accents ignored)."""
        for word in words:
            key = fold(word)
            if key in self.commands:
                raise ValueError(f"command word {word!r} registered twice")
            self.commands[key] = route

    def action(self, action: str, route: Route) -> None:
        if action in self.actions:
            raise ValueError(f"action {action!r} registered twice")
        self.actions[action] = route

    def submit(self, action: str, route: Route) -> None:
        if action in self.submits:
            raise ValueError(f"form {action!r} registered twice")
        self.submits[action] = route

    def on(self, kind: TurnKind, route: Route) -> None:
        """Routes for turns that carry no command: installs, App Home, shortcuts."""
        self.special[kind] = route

    def is_form(self, action: str) -> bool:
        """Whether ``action`` submits a form (a platform whose forms are cards asks)."""
        return action in self.submits

    def answers(self, kind: TurnKind) -> bool:
        """Whether a route answers turns of ``kind`` that carry no command (an install)."""
        return kind in self.special

    def warm_up(self, prepare: Callable[[Catalog], object]) -> None:
        """Work to do once at start-up rather than on some customer's first turn."""
        self.warmups.append(prepare)

    def prepare(self, catalog: Catalog) -> None:
        for step in self.warmups:
            step(catalog)

    def otherwise(self, route: Route) -> None:
        """What answers text that is no command (a question)."""
        self.fallback = route

    def split(self, text: str) -> tuple[Route | None, str]:
        """The route named by the first word of ``text`` and the rest of the text."""
        stripped = text.strip()
        if not stripped:
            return self.commands.get(""), ""
        first, _, rest = stripped.partition(" ")
        route = self.commands.get(fold(first))
        if route is None:
            return None, stripped
        return route, rest.strip()

    def find(self, turn: Turn) -> tuple[Route | None, Turn]:
        if turn.kind in (TurnKind.COMMAND, TurnKind.MESSAGE, TurnKind.MENTION):
            route, rest = self.split(turn.text)
            if route is not None:
                return route, turn.with_text(rest)
            return self.fallback, turn
        if turn.kind is TurnKind.ACTION:
            return self.actions.get(turn.action), turn
        if turn.kind is TurnKind.SUBMIT:
            return self.submits.get(turn.action), turn
        return self.special.get(turn.kind), turn


class Dispatcher:
    """Runs one turn through the router with everything a handler may rely on."""

    def __init__(self, router: Router, services: Services) -> None:
        self.router = router
        self.services = services

    async def context_for(self, turn: Turn) -> tuple[Context, str | None]:
        """The turn's context, and the rate-limit scope it exceeds (if any).

        One store round trip: the conversation's run-time link, the user's language
        choice and the rate-limit counters. When the store is down, config alone decides
        and no limit applies.
        """
        checks = counters(turn, self.services.limits, self.services.clock().timestamp())
        store_ok = True
        try:
            (linked, legacy, chosen, seen_in), counts = await self.services.store.read_and_count(
                [link_key(turn.where), legacy_link_key(turn.where), lang_key(turn), user_key(turn)],
                [key for _, key, _ in checks],
                ttl=2 * WINDOW, limits=[allowed for _, _, allowed in checks],
            )
            linked = linked_value(linked, legacy)
        except StoreUnavailable:
            store_ok, linked, chosen, seen_in, counts = False, None, None, None, [0] * len(checks)
        member = self.services.catalog.onboarding.member_for(turn.platform, turn.user_id)
        # A member's direct messages are the team's, not the last customer channel's they spoke in.
        account = account_for(turn, linked, self.services, seen_in if member is None else None)
        if store_ok and member is None and account is not None and turn.where.kind is not ConversationKind.DIRECT \
                and seen_in != account.id:
            # Remember where this user meets the bot, so their App Home and direct
            # messages can speak of their account (written once, not every turn).
            try:
                await self.services.store.set(user_key(turn), account.id)
            except StoreUnavailable:
                pass
        ctx = Context(
            services=self.services,
            lang=language_for(turn, chosen, account),
            account=account,
            member=member,
            platform=turn.platform,
            store_ok=store_ok,
        )
        return ctx, exceeded(checks, counts)

    async def dispatch(self, turn: Turn) -> Outcome:
        ctx, scope = await self.context_for(turn)
        if scope is not None:
            return Outcome(f"rate_limited.{scope}", Reply(text=ctx.t(f"error.rate_limited.{scope}"), private=True), ctx.lang)
        original = turn
        route, turn = self.router.find(turn)
        if route is not None and route.needs_member and ctx.member is None and turn.kind in _TEXT_KINDS \
                and len(turn.text.split()) > 1 and self.router.fallback is not None:
            # "link down on our port" from a customer is a question, not a refused command;
            # "link acme-logistics" is still a command, and refused.
            route, turn = self.router.fallback, original
        if route is None:
            return Outcome("unknown", _unknown(turn, ctx), ctx.lang)
        if route.needs_member and ctx.member is None:
            return Outcome(route.intent, Reply(text=ctx.t("error.not_member"), private=True), ctx.lang)
        if route.needs_account and ctx.account is None:
            return Outcome(route.intent, not_linked(ctx), ctx.lang)
        try:
            response = await route.handler(turn, ctx)
        except StoreUnavailable:
            log.warning("store unavailable while handling %s", route.intent)
            response = Reply(text=ctx.t("error.store_down"), private=True)
        except Exception:  # noqa: BLE001 - a bug must not turn into silence for the user
            log.exception("handler %s failed", route.intent)
            self.services.report_error(turn.platform, "handler")
            response = Reply(text=ctx.t("error.internal"), private=True)
        return Outcome(route.intent, response, ctx.lang)


def not_linked(ctx: Context) -> Reply:
    """The answer in a conversation that belongs to no account: what to do, no data."""
    t: Translator = ctx.t
    return Reply(
        text=t("error.not_linked", link=ctx.cmd("link <account-id>"), email=ctx.catalog.onboarding.email),
        private=True,
    )


def stale_button(ctx: Context) -> Reply:
    """A button this version does not know (an old card): the help card itself, headed by
    a line saying why, in place of the old card where the platform can replace it. The
    sentence promises what can be done now, so what can be done must follow it."""
    from handlers.help import help_card  # handlers.help registers itself on a Router

    card = ctx.cached("help", help_card)
    blocks = (Text(ctx.t("error.stale_button")), *card.blocks)
    return Reply(card=replace(card, blocks=blocks), replace=True, private=True)


def _unknown(turn: Turn, ctx: Context) -> Reply:
    if turn.kind is TurnKind.ACTION:
        return stale_button(ctx)
    if turn.kind is TurnKind.SUBMIT:
        return Reply(text=ctx.t("error.stale_form"), private=True)
    return Reply(text=ctx.t("error.unknown", help=ctx.cmd("help")), private=True)
