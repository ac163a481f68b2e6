"""One turn pipeline for every platform: dispatch, de-duplication, rate-limit metrics,
reply retries with backoff and the same error handling, written once.

A platform builds the neutral ``Turn`` and says how to show a response (``Answer``);
everything between the two is here, so Slack, Teams and the console cannot disagree
about what a rate-limited turn counts, how often a failed reply is tried again, or what
a bug in the bot's own code costs the user.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TypeVar

from bot.background import Background
from bot.metrics import Metrics
from bot.platform import Answer, ReplyFailed
from handlers.catalog import Lang
from handlers.context import Services
from handlers.i18n import Translator
from handlers.ports import StoreUnavailable
from handlers.router import Dispatcher, Outcome
from handlers.turn import FormErrors, Home, OpenForm, Reply, Response, Turn, TurnKind

log = logging.getLogger(__name__)

ATTEMPTS = 4
"""Tries of one reply call: Slack's and the Bot Connector's 5xx and 429 are usually over
in a second or two, and a reply (a confirmation with its reference, say) is worth it."""
MAX_WAIT = 5.0

_T = TypeVar("_T")


def retry_wait(failure: ReplyFailed, attempt: int) -> float | None:
    """How long to wait before trying a reply call again; None when retrying cannot help."""
    if failure.permanent:
        return None
    if failure.retry_after is not None:
        return min(MAX_WAIT, max(0.0, failure.retry_after))
    return 0.3 * (2 ** attempt)


class TurnPipeline:
    """The turn pipeline bound to one platform's name (metric labels, store keys)."""

    def __init__(self, platform: str, dispatcher: Dispatcher, metrics: Metrics, background: Background, *,
                 attempts: int = ATTEMPTS, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.platform = platform
        self.dispatcher = dispatcher
        self.metrics = metrics
        self.background = background
        self.attempts = attempts
        self._sleep = sleep

    @property
    def services(self) -> Services:
        return self.dispatcher.services

    # -- in -------------------------------------------------------------------------
    async def run(self, turn: Turn) -> Outcome:
        """Dispatch ``turn``; its time and intent are observed, a rate-limit notice counted."""
        started = time.perf_counter()
        outcome = await self.dispatcher.dispatch(turn)
        self.metrics.observe(self.platform, outcome.intent, time.perf_counter() - started)
        if outcome.intent.startswith("rate_limited."):
            self.metrics.rate_limited.labels(self.platform, outcome.intent.partition(".")[2]).inc()
        return outcome

    async def first(self, kind: str, ident: str, ttl: float = 3600.0) -> bool:
        """True the first time the platform delivers ``ident`` (platforms redeliver what
        they think was missed, users double-click). Without an id, or without the store,
        the turn goes on: better a rare duplicate answer than silence."""
        if not ident:
            return True
        try:
            return await self.services.store.add(f"dedupe:{self.platform}:{kind}:{ident}", "1", ttl=ttl)
        except StoreUnavailable:
            return True

    def action_kind(self, action: str) -> TurnKind:
        """A pressed card action is a form submit when a form registered it (platforms
        whose forms are cards cannot tell otherwise)."""
        return TurnKind.SUBMIT if self.dispatcher.router.is_form(action) else TurnKind.ACTION

    def answers(self, kind: TurnKind) -> bool:
        """Whether some route answers turns of ``kind`` (an install, say)."""
        return self.dispatcher.router.answers(kind)

    # -- out ------------------------------------------------------------------------
    async def answer(self, response: Response, answer: Answer) -> None:
        """Show ``response`` the platform's way: the one place that looks at its type."""
        if isinstance(response, Reply):
            await answer.reply(response)
        elif isinstance(response, OpenForm):
            await answer.open_form(response)
        elif isinstance(response, FormErrors):
            await answer.form_errors(response)
        elif isinstance(response, Home):
            await answer.home(response)

    async def send(self, call: Callable[[], Awaitable[_T]], what: str = "a reply") -> _T | None:
        """``call()``, tried again with backoff while it fails with a ``ReplyFailed`` that
        retrying can help. Each failure is counted (``bot_outbound_failures_total``); the
        last is logged. A bug in building the reply is counted and logged, never raised."""
        for attempt in range(self.attempts):
            try:
                return await call()
            except ReplyFailed as failure:
                self.metrics.errors.labels(self.platform, failure.where).inc()
                wait = retry_wait(failure, attempt)
                if wait is None or attempt == self.attempts - 1:
                    log.warning("sending %s to %s failed: %s", what, self.platform.capitalize(), failure.reason)
                    return None
                await self._sleep(wait)
            except Exception as exc:  # noqa: BLE001 - a reply that cannot even be built is a bug to log, not a crash
                self.bug("reply", exc)
                return None
        return None

    async def later(self, work: Coroutine[object, object, None]) -> None:
        """Run ``work`` after the platform's acknowledgement (tracked, drained at shutdown)."""
        await self.background.spawn(work)

    # -- errors -----------------------------------------------------------------------
    def bug(self, where: str, error: BaseException) -> None:
        """An exception in the bot's own code: logged with its traceback and counted in
        ``bot_errors_total``. The platform still answers (a 200 and a polite word), so it
        does not send the same request again into the same bug."""
        log.error("handling a %s %s failed", self.platform.capitalize(), where, exc_info=error)
        self.metrics.bug(self.platform, where)

    def sorry(self, lang: Lang | None) -> str:
        """``error.internal`` in ``lang``, else English."""
        return Translator(lang or "en", self.services.catalog.texts)("error.internal")


__all__ = ["ATTEMPTS", "TurnPipeline", "retry_wait"]
