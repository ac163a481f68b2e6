"""The neutral card model every reply is built from.

Handlers describe *what* to show with these frozen dataclasses; the renderers in
``cards.slack``, ``cards.teams`` and ``cards.text`` decide *how* each platform shows it.
Nothing here knows Slack or Teams, so a new platform is one more renderer.

Inline markup inside any text is deliberately tiny and the same everywhere:
``**bold**`` and ``[label](https://link)``. Each renderer translates it.

What a customer typed (a subject, a description, a display name) is never markup:
handlers wrap it in ``user_text(...)``, which marks it as verbatim wherever it ends up
(a block, a field value, a title, a sentence of a locale text), and every renderer
shows such a run as the characters typed: no link, mention or formatting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any

VERBATIM_OPEN = "\ue000"
VERBATIM_CLOSE = "\ue001"
"""Private-use characters around a verbatim run; ``user_text`` removes them from what
it wraps, so a customer can never open or close a run of their own."""

# C0 and C1 controls but tab and newline, zero-width and bidi controls (U+200B-U+200F,
# U+202A-U+202E, U+2066-U+2069), other invisible format characters, and our delimiters.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ue000\ue001]"
)


def clean_user_text(text: str) -> str:
    """What a person typed, without the characters that change how text reads but cannot
    be seen: control characters (but newline and tab), zero-width characters and bidi
    overrides and isolates (a right-to-left override turns ``exe.pdf`` around). A
    carriage return becomes a newline."""
    return _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def user_text(text: str) -> str:
    """``text`` as a verbatim run: shown exactly as typed on every platform, never read
    as markup, a link or a mention. Safe to put into a locale text's placeholder."""
    cleaned = clean_user_text(text)
    return f"{VERBATIM_OPEN}{cleaned}{VERBATIM_CLOSE}" if cleaned else ""


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


Block = Text | Fields | Contact | Note | Divider


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


Input = TextInput | SelectInput


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


def filled(form: Form, values: Mapping[str, str]) -> Form:
    """``form`` with what the user typed as each input's value, so a form shown again
    (with errors) loses nothing; a choice that is not one of the options is left out."""

    def refill(inp: Input) -> Input:
        value = values.get(inp.id)
        if value is None:
            return inp
        if isinstance(inp, SelectInput):
            return replace(inp, initial=value) if value in {c.value for c in inp.options} else inp
        return replace(inp, initial=value)

    return replace(form, inputs=tuple(refill(inp) for inp in form.inputs))


def form_to_json(form: Form) -> dict[str, Any]:
    """The form as plain JSON (kept in a store between a form's showing and its submit)."""
    return {
        "title": form.title, "action": form.action, "submit_label": form.submit_label,
        "cancel_label": form.cancel_label, "intro": form.intro, "data": dict(form.data),
        "cancel_action": form.cancel_action,
        "inputs": [
            {"select": True, **{k: v for k, v in asdict(inp).items() if k != "options"},
             "options": [[c.value, c.label] for c in inp.options]} if isinstance(inp, SelectInput)
            else {"select": False, **asdict(inp)}
            for inp in form.inputs
        ],
    }


def form_from_json(raw: Mapping[str, Any]) -> Form:
    """What ``form_to_json`` wrote; ValueError if it is not that (KeyError, TypeError included)."""
    try:
        inputs: list[Input] = []
        for item in raw["inputs"]:
            fields = {k: v for k, v in item.items() if k != "select"}
            if item["select"]:
                fields["options"] = tuple(Choice(str(value), str(label)) for value, label in fields["options"])
                inputs.append(SelectInput(**fields))
            else:
                inputs.append(TextInput(**fields))
        return Form(title=raw["title"], action=raw["action"], inputs=tuple(inputs), submit_label=raw["submit_label"],
                    cancel_label=raw["cancel_label"], intro=raw["intro"], data=dict(raw["data"]),
                    cancel_action=raw["cancel_action"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a stored form ({type(exc).__name__})") from None
