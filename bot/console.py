"""``onboarding-bot console``: the real handlers in a terminal, cards drawn as text.

Lets anyone try the bot without a Slack workspace or a Teams tenant. Buttons are
numbered; typing the number presses it. The store is the one ``serve`` would open
(``REDIS_URL``: the same escalations, links and language choices as the running
servers, whose delivery loop then posts the team cards and updates this console
causes). An onboarding-team member (``--user`` with a member's e-mail) sees the team's
card of each escalation, with its buttons, and can act by reference too
(``ack ESC-000001``, ``assign 1``, ``resolve ESC-000001 the badge works again``).

Input is read by a daemon thread, so Ctrl-C and Ctrl-D quit at once, even while the
terminal waits for a line.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import aiohttp

from bot.background import Background
from bot.metrics import Metrics
from bot.pipeline import TurnPipeline
from bot.platform import HttpRoute, Runtime
from bot.services import build_services
from bot.settings import Settings
from cards.model import Button, Card, SelectInput, TextInput
from cards.text import render_form_text, render_text, terminal
from handlers.app import build_router
from handlers.catalog import Catalog, Lang
from handlers.escalation_cards import ACK, ASSIGN, REOPEN, RESOLVE, RESOLVE_SUBMIT, SHOW, team_card_for
from handlers.escalation_records import Escalations
from handlers.escalation_targets import team_translator
from handlers.i18n import Translator
from handlers.ports import Clock, Notifier, Store, StoreUnavailable, Target
from handlers.router import Dispatcher
from handlers.turn import CONSOLE, ConversationKind, FormErrors, Home, OpenForm, Reply, Response, Turn, TurnKind, Where

if TYPE_CHECKING:
    from handlers.matching import Index

_TEAM_ACTION = re.compile(r"^(ack|acknowledge|assign|resolve|reopen)\s+(esc-?)?(\d{1,9})(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)
_ACTIONS = {"ack": ACK, "acknowledge": ACK, "assign": ASSIGN, "resolve": RESOLVE, "reopen": REOPEN}
_CANCEL = ("cancel", "annuler", "/cancel")
_INBOX = ("inbox", "escalations")


class ConsoleNotifier:
    """The console's ``handlers.ports.Notifier``: it posts nothing. Someone at a console
    (sharing a server's Redis) reads what changed with ``status`` there; an item owed to
    a console conversation is done once it is reached."""

    async def post(self, target: Target, card: Card) -> str:
        return ""

    async def update(self, target: Target, ref: str, card: Card) -> None:
        return None


class ConsolePlatform:
    """The console as a platform (``bot.platform.Platform``): no routes, a notifier that
    posts nothing, and terminal conversations run through the same turn pipeline."""

    name = CONSOLE

    def __init__(self) -> None:
        self._notifier = ConsoleNotifier()
        self._runtime: Runtime | None = None

    def routes(self) -> tuple[HttpRoute, ...]:
        return ()

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    async def start(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def close(self) -> None:
        return None

    def conversation(self, out: TextIO, account: str, user: str, lang: str | None) -> Console:
        """A terminal conversation in ``account``'s console channel, as ``user``."""
        if self._runtime is None:
            raise RuntimeError("the console platform is not started")
        return Console(self._runtime.pipeline, out, account, user, lang)


NAME = CONSOLE
KEYED_IN_CONFIG = False
"""Nothing in ``config/`` is keyed by the console: its conversation is an account id and
its user an e-mail address (``bot.platforms.config_names``)."""


def configured(settings: Settings) -> ConsolePlatform:
    """Always there: a console conversation needs no settings, and a server sharing its
    store owes the console's conversations nothing to post."""
    return ConsolePlatform()


class Console:
    """One terminal conversation in the account's console channel."""

    def __init__(self, pipeline: TurnPipeline, out: TextIO, account: str, user: str, lang: str | None) -> None:
        catalog = pipeline.services.catalog
        self.pipeline = pipeline
        self.catalog = catalog
        self.out = out
        self.where = Where(CONSOLE, "console", account, ConversationKind.CHANNEL)
        self.user = user
        self.locale = lang
        self.services = pipeline.services
        self.dispatcher = pipeline.dispatcher
        self.member = catalog.onboarding.member_for("console", user)
        known = catalog.account(account)
        self.lang: Lang = lang if lang in ("en", "fr") else (known.language if known else "en")  # type: ignore[assignment]
        self.buttons: list[Button] = []
        self.form: OpenForm | None = None
        self.values: dict[str, str] = {}
        self.last_form: OpenForm | None = None
        self.last_values: dict[str, str] = {}
        self.last_question = ""
        self._index: Index | None = None

    @property
    def t(self) -> Translator:
        return Translator(self.lang, self.catalog.texts)

    def say(self, text: str) -> None:
        self.out.write(text.rstrip() + "\n\n")
        self.out.flush()

    async def start(self) -> None:
        """The greeting, then help; a member also gets the team's open escalations."""
        self.say(self.t("console.header", account=self.where.conversation, user=self.user))
        await self.handle_line("help")
        if self.member is not None:
            await self.handle_line("inbox")

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if self.form is not None:
            if line.casefold() in _CANCEL:
                self.form = None
                self.say(self.t("console.cancelled"))
                return
            await self._fill_form(line)
            return
        if not line:
            return
        folded = line.casefold()
        if folded in ("why", "pourquoi"):
            if self.last_question:
                self.say(self.explain(self.last_question) + await self.taught(self.last_question))
            else:
                self.say(self.t("console.why_usage"))
            return
        if folded.startswith("why "):
            self.say(self.explain(line[4:]) + await self.taught(line[4:]))
            return
        if line.isdigit():
            await self._press(int(line))
            return
        if folded in _INBOX:
            await self._dispatch(Turn(TurnKind.HOME, self.where, self.user, locale=self.locale))
            return
        team_action = _TEAM_ACTION.match(line)
        # "assign 3 racks to us" from a customer is a question; "ack ESC-000001" is not.
        if team_action and (self.member is not None or team_action.group(2)):
            await self._team_action(team_action.group(1).casefold(), int(team_action.group(3)), team_action.group(4) or "")
            return
        await self._dispatch(Turn(TurnKind.MESSAGE, self.where, self.user, locale=self.locale, text=line))

    async def _press(self, number: int) -> None:
        if not 0 < number <= len(self.buttons):
            key = "console.no_button" if self.buttons else "console.no_buttons"
            self.say(self.t(key, n=number, last=len(self.buttons)))
            return
        button = self.buttons[number - 1]
        if button.url:
            self.say(self.t("console.opens", url=button.url))
            return
        await self._dispatch(Turn(TurnKind.ACTION, self.where, self.user, locale=self.locale, action=button.action,
                                  data=dict(button.data)))

    async def _team_action(self, verb: str, number: int, note: str) -> None:
        """``ack ESC-000001``: what pressing the button on that escalation's team card does;
        ``resolve ESC-000001 note`` resolves with the note, without asking for one."""
        data = {"id": f"ESC-{number:06d}"}
        if verb == "resolve" and note.strip():
            turn = Turn(TurnKind.SUBMIT, self.where, self.user, locale=self.locale, action=RESOLVE_SUBMIT,
                        data={**data, "note": note.strip()})
        else:
            turn = Turn(TurnKind.ACTION, self.where, self.user, locale=self.locale, action=_ACTIONS[verb], data=data)
        await self._dispatch(turn)
        if turn.kind is TurnKind.SUBMIT and self.member is not None:
            await self._show_team_card(data["id"])

    def explain(self, question: str) -> str:
        """Why the router sends ``question`` where it does: the scored topics and words."""
        from handlers.matching import build_index, match

        if self._index is None:
            self._index = build_index(self.catalog.routing)
        return match(self._index, question).explain()

    async def _dispatch(self, turn: Turn) -> None:
        outcome = await self.pipeline.run(turn)
        if outcome.lang in ("en", "fr"):
            self.lang = outcome.lang  # type: ignore[assignment]
        if turn.kind is TurnKind.MESSAGE and outcome.intent == "ask":
            self.last_question = turn.text  # what a bare "why" explains
        await self.show(outcome.response)
        if turn.kind is TurnKind.SUBMIT and turn.action != RESOLVE_SUBMIT and self.member is not None:
            created = _escalation_of(outcome.response)
            if created:
                await self._show_team_card(created)

    async def _show_team_card(self, esc_id: str) -> None:
        """What the onboarding team's channel shows for ``esc_id`` now, with its buttons."""
        try:
            esc = await Escalations(self.services.store).get(esc_id)
        except StoreUnavailable:
            return
        if esc is None:
            return
        self.say(self.t("console.team_channel"))
        self._show_cards([team_card_for(self.catalog, team_translator(self.services), esc)])

    def _show_cards(self, cards: list[Card]) -> None:
        self.buttons = []
        for card in cards:
            self.say(render_text(card, first=len(self.buttons) + 1))
            self.buttons.extend(card.buttons)

    async def taught(self, question: str) -> str:
        """One more line when a lesson answers ``question`` before the matcher."""
        from handlers.insights.lessons import taught_note
        from handlers.insights.views import taught_line

        lesson = await taught_note(self.dispatcher.services.store, question)
        if lesson is None:
            return ""
        t = Translator(self.catalog.onboarding.language, self.catalog.texts)
        return f"\n-> {lesson.topic}: {taught_line(t, lesson)}"

    async def show(self, response: Response) -> None:
        """``response`` in the terminal (the console's ``bot.platform.Answer``)."""
        await self.pipeline.answer(response, self)

    async def reply(self, reply: Reply) -> None:
        if reply.card is not None:
            self._show_cards([reply.card])
        else:
            self.say(terminal(reply.text))

    async def open_form(self, form: OpenForm) -> None:
        self.form = form
        self.values = {}
        self.say(render_form_text(form.form))
        self.say(self.t("console.form_hint"))
        self._prompt_next()

    async def form_errors(self, errors: FormErrors) -> None:
        if self.last_form is None:
            return
        # The form stays open: keep what was right, ask again for what was not.
        labels = {i.id: i.label for i in self.last_form.form.inputs}
        self.say("\n".join(f"{labels.get(k, k)}: {terminal(v)}" for k, v in errors.errors.items()))
        self.form = self.last_form
        self.values = {k: v for k, v in self.last_values.items() if k not in errors.errors}
        self._prompt_next()

    async def home(self, home: Home) -> None:
        self._show_cards(list(home.cards))

    def _prompt_next(self) -> None:
        """Ask for the next input: choices by number, Enter keeps what is shown in []."""
        assert self.form is not None
        pending = [i for i in self.form.form.inputs if i.id not in self.values]
        if not pending:
            return
        field = pending[0]
        if isinstance(field, SelectInput):
            choices = "  ".join(f"{n}) {c.label}" for n, c in enumerate(field.options, 1))
            self.out.write(f"{choices}\n")
        default = self._default(field)
        self.out.write(f"{field.label}{f' [{default}]' if default else ''}: ")
        self.out.flush()

    @staticmethod
    def _default(field: TextInput | SelectInput) -> str:
        if isinstance(field, SelectInput):
            return next((c.label for c in field.options if c.value == field.initial), "")
        return field.initial

    @staticmethod
    def _value(field: TextInput | SelectInput, line: str) -> str:
        """What the user typed, as the form's value: a choice's number or label, or text."""
        if isinstance(field, TextInput):
            return line or field.initial
        if not line:
            return field.initial or ""
        if line.isdigit() and 0 < int(line) <= len(field.options):
            return field.options[int(line) - 1].value
        for choice in field.options:
            if line.casefold() in (choice.value.casefold(), choice.label.casefold()):
                return choice.value
        return line  # the handler's validation says what is wrong

    async def _fill_form(self, line: str) -> None:
        assert self.form is not None
        pending = [i for i in self.form.form.inputs if i.id not in self.values]
        self.values[pending[0].id] = self._value(pending[0], line)
        if len(pending) > 1:
            self._prompt_next()
            return
        self.last_form, self.last_values = self.form, dict(self.values)
        form, self.form = self.form.form, None
        await self._dispatch(Turn(TurnKind.SUBMIT, self.where, self.user, locale=self.locale, action=form.action,
                                  data={**form.data, **self.values}))


def _escalation_of(response: object) -> str:
    """The reference of the escalation a confirmation card is about (its status button)."""
    if isinstance(response, Reply) and response.card is not None:
        for button in response.card.buttons:
            if button.action == SHOW and button.data.get("id"):
                return str(button.data["id"])
    return ""


def _reader(read: Callable[[], str]) -> asyncio.Queue[str]:
    """Lines from ``read`` on a daemon thread: a thread blocked on the terminal never
    holds up the exit (``asyncio.to_thread`` would, until Enter is pressed)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        while True:
            try:
                line = read()
            except (OSError, ValueError):
                line = ""
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if not line:
                return

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    return lines


async def run_console(settings: Settings, catalog: Catalog, clock: Clock, account: str, user: str, lang: str | None, *,
                      store: Store, read_line: Callable[[], str] | None = None, out: TextIO = sys.stdout) -> None:
    """Talk until end of input (Ctrl-D); the caller turns Ctrl-C into a quiet exit."""
    services = build_services(settings, catalog, store, clock, console=True)
    metrics, background = Metrics(), Background()
    pipeline = TurnPipeline(CONSOLE, Dispatcher(build_router(), services), metrics, background)
    platform = ConsolePlatform()
    async with aiohttp.ClientSession() as session:
        await platform.start(Runtime(settings, catalog, store, session, metrics, background, pipeline))
        try:
            await _converse(platform.conversation(out, account, user, lang), read_line, out)
        finally:
            await background.drain()
            await platform.close()


async def _converse(console: Console, read_line: Callable[[], str] | None, out: TextIO) -> None:
    await console.start()
    lines = _reader(read_line or sys.stdin.readline)
    while True:
        if console.form is None:
            out.write("> ")
            out.flush()
        line = await lines.get()
        if not line:
            out.write("\n")
            return
        await console.handle_line(line)
