"""Plain-text renderer and the shared inline-markup parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards.model import Button, Card, Choice, Contact, Divider, Fields, Form, Note, SelectInput, Text, TextInput
from cards.text import Span, button_rows, parse_inline, plain, readable, render_form_text, render_text, split_lines
from tests.cards.dump_samples import assert_golden, renderings
from tests.cards.samples import sample_cards

TEXT_FILES = sorted(name for name in renderings() if name.endswith(".txt"))


@pytest.mark.parametrize("name", TEXT_FILES)
def test_golden(name: str) -> None:
    assert_golden(name, renderings()[name])


# ------------------------------------------------------------------------- parser


@pytest.mark.parametrize(
    ("source", "spans"),
    [
        ("", ()),
        ("plain", (Span("plain"),)),
        ("a **b** c", (Span("a "), Span("b", True), Span(" c"))),
        ("[l](https://u.example)", (Span("l", url="https://u.example"),)),
        ("[m](mailto:m@e.example)", (Span("m", url="mailto:m@e.example"),)),
        ("**x [l](https://u.example) y**", (Span("x ", True), Span("l", True, "https://u.example"), Span(" y", True))),
        ("[l](https://u.example/**a**)", (Span("l", url="https://u.example/**a**"),)),
        ("lone ** marker", (Span("lone ** marker"),)),
        ("**a** and **", (Span("a", True), Span(" and **"))),
        ("[draft] (v2)", (Span("[draft] (v2)"),)),
        ("[x](ftp://nope)", (Span("[x](ftp://nope)"),)),
        ("****", ()),
    ],
)
def test_parse_inline(source: str, spans: tuple[Span, ...]) -> None:
    assert parse_inline(source) == spans


@given(st.lists(st.sampled_from(["a", " ", "**", "[", "]", "(", ")", "https://x.io", "\n", "é"]), max_size=60).map("".join))
def test_parse_inline_keeps_all_visible_text(text: str) -> None:
    """Parsing only removes markers: the plain text is the source minus ``**`` pairs
    and link syntax, never anything else."""
    spans = parse_inline(text)
    assert all(s.text for s in spans)
    if "**" not in text and "](" not in text:
        assert plain(text) == text


def test_split_lines_keeps_formatting() -> None:
    assert split_lines(parse_inline("**a\nb** c\n\nd")) == [
        (Span("a", True),),
        (Span("b", True), Span(" c")),
        (),
        (Span("d"),),
    ]


def test_plain_and_readable() -> None:
    source = "See **the** [docs](https://d.example) or [m@e.example](mailto:m@e.example)"
    assert plain(source) == "See the docs or m@e.example"
    assert readable(source) == "See the docs <https://d.example> or <m@e.example>"


# ------------------------------------------------------------------------- render


def test_card_text() -> None:
    card = Card(
        "**Équipe** de compte",
        (
            Text("Bonjour & bienvenue <team>.\nVoir [le guide](https://g.example)."),
            Fields((("Téléphone", "+31 20 555 0000"), ("Horaires", "24/7\nsans pause"))),
            Contact("Account manager", "Sanne de Vries", "s@example.com", "+31 20", "Ask **me**."),
            Divider(),
            Note("small print"),
        ),
        (Button("Team", "team.show"), Button("Portal", url="https://p.example")),
    )
    assert render_text(card) == (
        "Équipe de compte\n"
        "================\n"
        "\n"
        "Bonjour & bienvenue <team>.\n"
        "Voir le guide <https://g.example>.\n"
        "\n"
        "Téléphone  +31 20 555 0000\n"
        "Horaires   24/7\n"
        "           sans pause\n"
        "\n"
        "Account manager — Sanne de Vries\n"
        "  s@example.com · +31 20\n"
        "  Ask me.\n"
        "\n"
        "----------------------------------------\n"
        "\n"
        "  small print\n"
        "\n"
        "[1] Team\n"
        "[2] Portal <https://p.example>"
    )


def test_buttons_are_numbered_for_the_console() -> None:
    lines = render_text(sample_cards()["help_menu"]).splitlines()
    numbered = [line for line in lines if line.startswith("[")]
    assert numbered[0] == "[1] Account team" and numbered[-1] == "[8] Cancel onboarding"


def test_underline_matches_title_with_combining_accents() -> None:
    title = "Cafe\u0301 ok"  # e + combining acute: 7 columns, 8 code points
    lines = render_text(Card(title)).splitlines()
    assert lines == [title, "=" * 7]


def test_empty_card_is_empty_text() -> None:
    assert render_text(Card("")) == ""


def test_form_text() -> None:
    form = Form(
        "Escalate",
        "escalate.submit",
        (
            TextInput("subject", "Subject", placeholder="e.g. late"),
            SelectInput("urgency", "Urgency", (Choice("low", "Low"), Choice("high", "High")), initial="high"),
            TextInput("phone", "Phone", initial="+31", required=False),
        ),
        "Send",
        "Cancel",
        intro="Goes to your **account manager**.",
    )
    assert render_form_text(form) == (
        "Escalate\n"
        "========\n"
        "\n"
        "Goes to your account manager.\n"
        "\n"
        "1. Subject *\n"
        "   (e.g. late)\n"
        "\n"
        "2. Urgency *\n"
        "   ( ) Low\n"
        "   (x) High\n"
        "\n"
        "3. Phone\n"
        "   > +31\n"
        "\n"
        "[Send]   [Cancel]"
    )


# -------------------------------------------------------------------- button rows


@pytest.mark.parametrize(
    ("labels", "sizes"),
    [
        ([], []),
        (["a"] * 5, [5]),
        (["a"] * 6, [3, 3]),
        (["a"] * 8, [4, 4]),
        (["a" * 30] * 4, [2, 2]),
        (["a" * 200], [1]),
        (["a" * 100] * 3, [1, 1, 1]),
    ],
)
def test_button_rows(labels: list[str], sizes: list[int]) -> None:
    assert button_rows(labels, max_per_row=5, budget_px=500, char_px=7.0, pad_px=24) == sizes
