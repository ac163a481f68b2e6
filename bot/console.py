"""``onboarding-bot console``: the real handlers in a terminal, cards drawn as text.

Lets anyone try the bot without a Slack workspace or a Teams tenant. Buttons are
numbered; typing the number presses it. Input is read off the event loop.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Callable, TextIO

from bot.stores.memory import MemoryStore
from cards.text import render_form_text, render_text
from cards.model import Button, SelectInput, TextInput
from handlers.app import build_router
from handlers.catalog import Catalog
from handlers.context import Services
from handlers.i18n import Translator
from handlers.ports import Clock
from handlers.router import Dispatcher
from handlers.turn import ConversationKind, FormErrors, Home, OpenForm, Platform, Reply, Turn, TurnKind, Where


class Console:
    def __init__(self, catalog: Catalog, clock: Clock, out: TextIO, account: str, user: str, lang: str | None):
        self.catalog = catalog
        self.out = out
        self.where = Where(Platform.CONSOLE, "console", account, ConversationKind.CHANNEL)
        self.user = user
        self.locale = lang
        self.dispatcher = Dispatcher(build_router(), Services(catalog=catalog, store=MemoryStore(), clock=clock, command=""))
        self.buttons: list[Button] = []
        self.form: OpenForm | None = None
        self.last_form: OpenForm | None = None
        self.last_values: dict[str, str] = {}
        self._index = None

    def say(self, text: str) -> None:
        self.out.write(text.rstrip() + "\n\n")
        self.out.flush()

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if line.lower().startswith("why ") and self.form is None:
            self.say(self.explain(line[4:]) + await self.taught(line[4:]))
            return
        if self.form is not None:
            await self._fill_form(line)
            return
        if line.isdigit() and 0 < int(line) <= len(self.buttons):
            button = self.buttons[int(line) - 1]
            if button.url:
                self.say(f"(opens {button.url})")
                return
            turn = Turn(TurnKind.ACTION, self.where, self.user, locale=self.locale, action=button.action, data=dict(button.data))
        else:
            turn = Turn(TurnKind.MESSAGE, self.where, self.user, locale=self.locale, text=line)
        await self.show((await self.dispatcher.dispatch(turn)).response)

    def explain(self, question: str) -> str:
        """Why the router sends ``question`` where it does: the scored topics and words."""
        from handlers.matching import build_index, match

        if self._index is None:
            self._index = build_index(self.catalog.routing)
        return match(self._index, question).explain()

    async def taught(self, question: str) -> str:
        """One more line when a lesson answers ``question`` before the matcher."""
        from handlers.insights.lessons import taught_note
        from handlers.insights.views import taught_line

        lesson = await taught_note(self.dispatcher.services.store, question)
        if lesson is None:
            return ""
        t = Translator(self.catalog.onboarding.language, self.catalog.texts)
        return f"\n-> {lesson.topic}: {taught_line(t, lesson)}"

    async def show(self, response: object) -> None:
        if isinstance(response, Reply):
            if response.card is not None:
                self.buttons = list(response.card.buttons)
                self.say(render_text(response.card))
            else:
                self.say(response.text)
        elif isinstance(response, OpenForm):
            self.form = response
            self.values: dict[str, str] = {}
            self.say(render_form_text(response.form))
            self._prompt_next()
        elif isinstance(response, FormErrors) and self.last_form is not None:
            # The form stays open: keep what was right, ask again for what was not.
            labels = {i.id: i.label for i in self.last_form.form.inputs}
            self.say("\n".join(f"{labels.get(k, k)}: {v}" for k, v in response.errors.items()))
            self.form = self.last_form
            self.values = {k: v for k, v in self.last_values.items() if k not in response.errors}
            self._prompt_next()
        elif isinstance(response, Home):
            for card in response.cards:
                self.say(render_text(card))

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
        turn = Turn(TurnKind.SUBMIT, self.where, self.user, locale=self.locale, action=form.action, data={**form.data, **self.values})
        await self.show((await self.dispatcher.dispatch(turn)).response)


async def run_console(catalog: Catalog, clock: Clock, account: str, user: str, lang: str | None,
                      read_line: Callable[[], str] | None = None, out: TextIO = sys.stdout) -> None:
    console = Console(catalog, clock, out, account, user, lang)
    read = read_line or sys.stdin.readline
    console.say(f"Console for account '{account}' as '{user}'. Type help, team, gsd, ecp, a question, 'why <question>' to see how a question is routed, or a button number. Ctrl-D quits.")
    await console.handle_line("help")
    while True:
        if console.form is None:
            out.write("> ")
            out.flush()
        line = await asyncio.to_thread(read)
        if not line:
            return
        await console.handle_line(line)
