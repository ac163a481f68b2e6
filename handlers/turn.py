"""What reaches the handlers (a ``Turn``) and what they give back (a reply).

Adapters build a ``Turn`` from a platform payload and render the reply; handlers
never see a platform's payload, never talk to a platform directly, and know a platform
only by its name: an opaque string they compare and key things by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeAlias

from cards.model import Card, Form

Platform: TypeAlias = str
"""A platform's name, as its adapter gives it (the console's is ``CONSOLE``).

The handlers compare it, key the store by it and look it up in ``config/`` (links,
member ids and team targets are keyed by platform name); they never interpret it, so
adding a platform changes nothing here. Store keys use it as is: the names the
adapters have always given are the values of the enum this replaced, so keys written
before read the same."""

CONSOLE: Platform = "console"
"""The terminal console: one trusted person, whose conversation is an account id."""


class TurnKind(str, Enum):
    """Why the handlers are being asked something."""

    COMMAND = "command"      # /equinix ...
    MESSAGE = "message"      # a direct message (a personal chat)
    MENTION = "mention"      # @bot ... in a channel
    ACTION = "action"        # a card button
    SUBMIT = "submit"        # a form (modal / dialog) was submitted
    SHORTCUT = "shortcut"    # an action from a message's own menu (escalate this message)
    INSTALL = "install"      # the bot was added somewhere
    HOME = "home"            # the user opened the bot's home tab


class ConversationKind(str, Enum):
    CHANNEL = "channel"
    GROUP = "group"
    DIRECT = "direct"


@dataclass(frozen=True, slots=True)
class Where:
    """A conversation on a platform; with ``tenant`` it is globally unique."""

    platform: Platform
    tenant: str
    conversation: str
    kind: ConversationKind = ConversationKind.CHANNEL

    @property
    def key(self) -> str:
        """Stable string used as a store key part."""
        return f"{self.platform}:{self.tenant}:{self.conversation}"


@dataclass(frozen=True, slots=True)
class Turn:
    """One thing a user did, in neutral terms.

    ``text`` is the command or message text without the command name or mention;
    ``action`` and ``data`` come from a button press or a form submit; ``locale`` is the
    platform's locale for this user when the platform tells it (``"fr-FR"``), else None.
    ``dedupe_key`` is set by adapters when the platform may deliver the same thing twice
    (retries, double clicks) and a handler must act once.
    """

    kind: TurnKind
    where: Where
    user_id: str
    user_name: str = ""
    locale: str | None = None
    text: str = ""
    action: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    link: str = ""
    dedupe_key: str = ""

    @property
    def platform(self) -> Platform:
        return self.where.platform

    def with_text(self, text: str) -> Turn:
        """The same turn with other text (the router strips the intent's word).

        Spelled out rather than ``dataclasses.replace``, which costs twice as much on a
        path every command takes; tests/handlers/test_turn.py fails if a new field is
        forgotten here."""
        return Turn(self.kind, self.where, self.user_id, self.user_name, self.locale, text,
                    self.action, self.data, self.link, self.dedupe_key)


@dataclass(frozen=True, slots=True)
class Reply:
    """A message back to the user.

    ``private``: only this user sees it where the platform can do that (an ephemeral
    message); a platform that cannot sends it as a normal reply, so the handlers keep
    private replies free of anything personal to others.
    ``replace``: replace the card the pressed button was on, rather than add one.
    """

    card: Card | None = None
    text: str = ""
    private: bool = False
    replace: bool = False


@dataclass(frozen=True, slots=True)
class OpenForm:
    """Open a form (a modal, a dialog: whatever the platform has) for this user."""

    form: Form


@dataclass(frozen=True, slots=True)
class FormErrors:
    """Keep the form open and show these messages next to the named inputs."""

    errors: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Home:
    """The content of the user's home tab (on a platform that has one) as a list of cards."""

    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class NoReply:
    """Nothing to say (a duplicate delivery, an event we only record)."""


Response = Reply | OpenForm | FormErrors | Home | NoReply
