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
from cards.model import Button
from handlers.app import build_router
from handlers.catalog import Catalog
from handlers.context import Services
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
        self._index = None

    def say(self, text: str) -> None:
        self.out.write(text.rstrip() + "\n\n")
        self.out.flush()

    async def handle_line(self, line: str) -> None:
        line = line.strip()
        if line.lower().startswith("why ") and self.form is None:
            self.say(self.explain(line[4:]))
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
        elif isinstance(response, FormErrors):
            self.say("\n".join(f"{k}: {v}" for k, v in response.errors.items()))
        elif isinstance(response, Home):
            for card in response.cards:
                self.say(render_text(card))

    def _prompt_next(self) -> None:
        assert self.form is not None
        pending = [i for i in self.form.form.inputs if i.id not in self.values]
        if pending:
            self.out.write(f"{pending[0].label}: ")
            self.out.flush()

    async def _fill_form(self, line: str) -> None:
        assert self.form is not None
        pending = [i for i in self.form.form.inputs if i.id not in self.values]
        self.values[pending[0].id] = line
        if len(pending) > 1:
            self._prompt_next()
            return
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
