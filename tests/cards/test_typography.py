"""French typography: the function, and what the renderers show for French cards.

The no-break spaces are added when a French text is produced (``Translator`` runs
``cards.typography.french`` on every French template), so every renderer (Slack, Teams,
plain text) shows them, and locale authors type ordinary spaces.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cards import slack, teams
from cards.text import render_text
from cards.typography import NBSP, NNBSP, french, phone_label, tel_uri
from handlers.turn import Reply
from tests.handlers.helpers import GLOBEX, Bot


@pytest.mark.parametrize(
    ("written", "typeset"),
    [
        ("Urgent ? Appelez", f"Urgent{NNBSP}? Appelez"),
        ("Urgent? Appelez", f"Urgent{NNBSP}? Appelez"),
        ("**Ce qu'il traite :** les tickets", f"**Ce qu'il traite{NBSP}:** les tickets"),
        ("**Attention:** ceci", f"**Attention{NBSP}:** ceci"),
        ("oui ; non ! bon", f"oui{NNBSP}; non{NNBSP}! bon"),
        ("Ouvert 24 h/24, 7 j/7.", f"Ouvert 24{NBSP}h/24, 7{NBSP}j/7."),
        ("Appelez le +31 20 808 0015.", f"Appelez le +31{NBSP}20{NBSP}808{NBSP}0015."),
        ("« Télécharger »", f"«{NBSP}Télécharger{NBSP}»"),
        ("Note : {note}", f"Note{NBSP}: {{note}}"),
        ("{team} ?", f"{{team}}{NNBSP}?"),
        ("{account:de} : {state}", f"{{account:de}}{NBSP}: {{state}}"),
    ],
)
def test_french_adds_no_break_spaces(written: str, typeset: str) -> None:
    assert french(written) == typeset
    assert french(typeset) == typeset  # idempotent


@pytest.mark.parametrize(
    "kept",
    [
        "https://portal.example.com/a?b=1&c=2",
        "Voir https://x.example/a?b=1",
        "à 14:30 UTC",
        "<https://x.example/a?b|libellé>",
        "<!here> <@U123> <mailto:a@b.example|écrire>",
        "Bravo :tada: :white_check_mark:",
        "tapez `/equinix lien:test?`",
        "[section Télécharger](https://rc.example/x?y=1#t)",
        "[+31 20 808 0015](tel:+31208080015)",
        "{url}",
        "?",
        "Que faire\n? rien",
    ],
)
def test_french_leaves_urls_times_slack_syntax_emoji_code_and_placeholders_alone(kept: str) -> None:
    out = french(kept)
    for piece in ("https://", "14:30", "<https://x.example/a?b|", "<!here>", ":tada:", ":white_check_mark:",
                  "`/equinix lien:test?`", "(https://rc.example/x?y=1#t)", "(tel:+31208080015)", "{url}"):
        if piece in kept:
            assert piece in out, (piece, out)
    if kept in ("?", "Que faire\n? rien"):
        assert out == kept  # nothing to bind a mark at the start of a line to


def test_phone_labels_and_tel_uris() -> None:
    assert phone_label(" +31 20 808 0015 ") == f"+31{NBSP}20{NBSP}808{NBSP}0015"
    assert tel_uri("+31 20 808 0015") == "tel:+31208080015"
    assert tel_uri("n/a") == ""


def test_the_typography_is_applied_to_french_texts_only_and_not_to_what_customers_typed(catalog, clock) -> None:
    from handlers.i18n import Translator

    fr = Translator("fr", catalog.texts)
    en = Translator("en", catalog.texts)
    assert f"Urgent{NNBSP}?" in fr("urgent.before_access", guidance="x")
    assert NNBSP not in en("urgent.before_access", guidance="x") and NBSP not in en("urgent.before_access", guidance="x")
    typed = "Help: now! (see https://x.example/?a=1)"
    assert fr("esc.update.title", id="ESC-000001", subject=typed).endswith(typed)


async def _french_gsd(catalog, clock) -> Reply:
    outcome = await Bot(catalog, clock).say("gsd", where=GLOBEX, locale="fr-FR")
    assert isinstance(outcome.response, Reply) and outcome.response.card is not None
    return outcome.response


async def test_rendered_french_cards_carry_the_spaces_on_every_platform(catalog, clock) -> None:
    card = (await _french_gsd(catalog, clock)).card
    outputs = {
        "slack": json.dumps(slack.render_message(card), ensure_ascii=False),
        "teams": json.dumps(teams.render_card(card), ensure_ascii=False),
        "text": render_text(card),
    }
    for platform, out in outputs.items():
        assert f"Ce qu'il traite{NBSP}:" in out, platform
        assert f"24{NBSP}h/24, 7{NBSP}j/7" in out, platform
        assert f"Urgent{NNBSP}?" in out, platform
        assert f"+31{NBSP}20{NBSP}808{NBSP}0015" in out, platform
        assert " :" not in out and " ?" not in out and " ;" not in out, platform
    assert "<tel:+31208080015|" in outputs["slack"] and "(tel:+31208080015)" in outputs["teams"]


async def test_rendered_french_links_still_work(catalog, clock) -> None:
    outcome = await Bot(catalog, clock).say("portail", locale="fr-FR")
    message = slack.render_message(outcome.response.card)
    text = json.dumps(message, ensure_ascii=False)
    assert "<https://www.equinix.com/resources/am11-onboarding#download|section Télécharger>" in text
    adaptive = json.dumps(teams.render_card(outcome.response.card), ensure_ascii=False)
    assert "[section Télécharger](https://www.equinix.com/resources/am11-onboarding#download)" in adaptive


async def test_english_cards_get_no_french_spaces(catalog, clock) -> None:
    clock.now = dt.datetime(2027, 3, 2, tzinfo=dt.timezone.utc)
    for command in ("help", "team", "gsd", "ecp"):
        card = (await Bot(catalog, clock).say(command)).response.card
        out = render_text(card)
        assert NNBSP not in out
        assert NBSP not in out.replace(phone_label("+31 20 808 0015"), "").replace(phone_label("+31 20 555 0101"), "") \
            .replace(phone_label("+31 20 555 0102"), "").replace(phone_label("+31 20 555 0103"), "") \
            .replace(phone_label("+31 20 555 0104"), ""), command
