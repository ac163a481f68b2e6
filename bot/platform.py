"""What a platform is to the app: the one protocol Slack, Teams and the console implement.

A platform is a package (``bot.slack``, ``bot.teams``, ``bot.console``) that
``bot.platforms`` lists. The app mounts its HTTP routes, starts it with a ``Runtime``
(the shared store, HTTP session, metrics, background tasks, and a ``TurnPipeline`` bound
to its name), hands its notifier to the delivery loop and closes it on the way out.

Inbound, a platform's routes turn a request into neutral ``Turn``s and give each to the
pipeline (``TurnPipeline.run``), which dispatches, counts and de-duplicates the same way
for every platform. Outbound, a platform says how it shows each kind of neutral response
by implementing ``Answer`` for one turn; ``TurnPipeline.answer`` picks the method, and
``TurnPipeline.send`` retries a failed call with backoff. Proactive posts (the outbox's
team cards, reminders, requester updates) go through the platform's ``notifier``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import aiohttp
from aiohttp import web

from handlers.ports import Notifier, Store
from handlers.turn import FormErrors, Home, OpenForm, Reply

if TYPE_CHECKING:
    from bot.background import Background
    from bot.metrics import Metrics
    from bot.pipeline import TurnPipeline
    from bot.settings import Settings
    from handlers.catalog import Catalog

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """One route a platform mounts: ``POST /slack/events`` and its handler.

    The app checks a POST body's declared size before calling the handler."""

    method: str
    path: str
    handler: Handler


@dataclass(frozen=True, slots=True)
class Runtime:
    """What the app opened and shares with every platform it starts."""

    settings: Settings
    catalog: Catalog
    store: Store
    session: aiohttp.ClientSession
    metrics: Metrics
    background: Background
    pipeline: TurnPipeline


class Platform(Protocol):
    """A platform the bot runs on. Built from settings alone (no I/O); everything that
    needs the store or the network is made in ``start``."""

    name: str
    """The platform's name: metric labels, store keys, config keys and outbox targets."""

    def routes(self) -> Sequence[HttpRoute]:
        """The HTTP routes to mount (none for the console)."""
        ...

    @property
    def notifier(self) -> Notifier:
        """Posts and updates cards for the outbox; valid once started."""
        ...

    async def start(self, runtime: Runtime) -> None:
        """Build the clients that need the shared runtime; never waits on the network."""
        ...

    async def close(self) -> None:
        """Stop calls still under way (shutdown); the session belongs to the app."""
        ...


class Answer(Protocol):
    """How a platform shows each kind of neutral response, for one turn.

    ``TurnPipeline.answer`` calls the one method the response asks for (``NoReply`` calls
    none), so no platform writes its own ladder over response types."""

    async def reply(self, reply: Reply) -> None: ...

    async def open_form(self, form: OpenForm) -> None: ...

    async def form_errors(self, errors: FormErrors) -> None: ...

    async def home(self, home: Home) -> None: ...


class ReplyFailed(Exception):
    """A call that shows a reply failed (the platform's API refused or did not answer).

    ``where`` names the call for ``bot_outbound_failures_total``; ``permanent``: trying
    again cannot help (a 4xx); ``retry_after``: the platform said when to try again.
    The message never carries a token."""

    def __init__(self, where: str, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.where = where
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


__all__ = ["Answer", "Handler", "HttpRoute", "Platform", "ReplyFailed", "Runtime"]
