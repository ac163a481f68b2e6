"""The neutral card model every reply is built from.

Handlers describe *what* to show with these frozen dataclasses; the renderers in
``cards.slack``, ``cards.teams`` and ``cards.text`` decide *how* each platform shows it.
Nothing here knows Slack or Teams, so a new platform is one more renderer.

Inline markup inside any text is deliberately tiny and the same everywhere:
``**bold**`` and ``[label](https://link)``. Each renderer translates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Union


class Style(str, Enum):
    """How prominent a button is. Renderers map it to what their platform allows."""

    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    """A button that either runs an action of ours or opens a URL.

    ``action`` is one of our own action ids (``"show.gsd"``); ``data`` travels with the
    press and comes back unchanged in ``Turn.data``. Adapters pack both into whatever
    the platform carries (Slack ``value``, Adaptive ``verb`` + ``data``).
    """

    label: str
    action: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    style: Style = Style.DEFAULT


@dataclass(frozen=True, slots=True)
class Text:
    """A paragraph."""

    text: str


@dataclass(frozen=True, slots=True)
class Fields:
    """Label/value pairs shown as a compact grid (at most 10 on Slack)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Contact:
    """A person to reach: their role, name, how to reach them and what to ask them."""

    role: str
    name: str
    email: str = ""
    phone: str = ""
    about: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    """Secondary, small print: a hint, a timestamp, a history line."""

    text: str


@dataclass(frozen=True, slots=True)
class Divider:
    """A thin separator between groups of blocks."""


Block = Union[Text, Fields, Contact, Note, Divider]


@dataclass(frozen=True, slots=True)
class Card:
    """A message card: a title, blocks, buttons, and a plain-text fallback.

    ``fallback`` is what notifications, screen readers and text-only clients show; it
    must make sense on its own.
    """

    title: str
    blocks: tuple[Block, ...] = ()
    buttons: tuple[Button, ...] = ()
    fallback: str = ""


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a select input."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class TextInput:
    """A free-text input of a form."""

    id: str
    label: str
    placeholder: str = ""
    initial: str = ""
    multiline: bool = False
    required: bool = True
    max_length: int | None = None
    error: str = ""
    """What to show when a required input is left empty (say what is wrong, not
    just the field's name); empty: the platform's own message or the label."""


@dataclass(frozen=True, slots=True)
class SelectInput:
    """A single-choice input of a form."""

    id: str
    label: str
    options: tuple[Choice, ...]
    initial: str | None = None
    required: bool = True
    placeholder: str = ""
    error: str = ""


Input = Union[TextInput, SelectInput]


@dataclass(frozen=True, slots=True)
class Form:
    """A form the user fills in: a Slack modal, a Teams dialog or input card.

    ``action`` names the submit handler; ``data`` is carried through the form unchanged
    (Slack ``private_metadata``, Adaptive ``data``) and comes back with the values.
    """

    title: str
    action: str
    inputs: tuple[Input, ...]
    submit_label: str
    cancel_label: str
    intro: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    cancel_action: str = ""
    """Where the form shows in a conversation (a Teams card) rather than in a window
    with its own close control, its Cancel button runs this action."""
