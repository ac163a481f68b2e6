"""Help, team, GSD, ECP and language answers, straight through the router."""

from __future__ import annotations

import pytest

from handlers.turn import Reply
from tests.handlers.helpers import GLOBEX, TEAMS_ACME, UNLINKED, Bot, card_text


@pytest.fixture
def bot(catalog, clock):
    return Bot(catalog, clock)


async def test_team_lists_the_four_roles_with_contacts_and_what_to_ask(bot):
    outcome = await bot.say("team")
    assert outcome.intent == "team"
    text = card_text(outcome)
    for role, name, mail in (
        ("Account Manager", "Sanne de Vries", "sanne.devries@example.com"),
        ("Customer Success Manager", "Pieter Jansen", "pieter.jansen@example.com"),
        ("Sales Engineer", "Amira El Idrissi", "amira.elidrissi@example.com"),
        ("Billing Analyst", "Lotte Bakker", "lotte.bakker@example.com"),
    ):
        assert role in text and name in text and mail in text
    assert "novation" in text and "invoice-related" in text and "PCI" in text
    assert not outcome.response.private


async def test_team_in_french(bot):
    text = card_text(await bot.say("équipe", locale="fr-FR"))
    assert "Gestionnaire de compte" in text and "factures" in text


async def test_gsd_before_access_says_when_and_whom_to_ask(bot):
    text = card_text(await bot.say("gsd"))
    assert "not open to you yet" in text
    assert "1 March 2027" in text
    assert "Sanne de Vries" in text  # the account manager covers until then
    assert "+31 20 808 0015" in text and "24/7" in text and "English" in text
    assert "4-digit" in text and "Smart Hands" in text and "temporary access" in text


async def test_gsd_once_open_drops_the_warning(bot):
    text = card_text(await bot.say("gsd", where=GLOBEX))
    assert "not open" not in text and "is open" in text


async def test_gsd_for_an_account_whose_date_is_not_set(bot, catalog):
    from handlers.turn import Where

    initech = Where("slack", "T0DEMO", "C0DEMO00003")
    text = card_text(await bot.say("gsd", where=initech))
    assert "has not been set yet" in text


async def test_ecp_explains_tickets_only_for_network_and_colocation(bot):
    text = card_text(await bot.say("ecp"))
    assert "trouble tickets only for network and colocation products" in text
    assert "installed base report" in text
    assert "Pieter Jansen" in text  # portal help from the CSM
    assert "Download section" in text


async def test_ecp_in_french_with_french_date(bot):
    text = card_text(await bot.say("portail", locale="fr"))
    assert "1er mars 2027" in text and "que pour les produits réseau ou d'hébergement d'infrastructures" in text


async def test_unlinked_conversation_gets_no_account_data(bot):
    outcome = await bot.say("team", where=UNLINKED)
    assert isinstance(outcome.response, Reply) and outcome.response.private
    assert "not linked" in outcome.response.text
    for name in ("Sanne", "Camille", "Jonas"):
        assert name not in outcome.response.text


async def test_gsd_in_an_unlinked_channel_gives_general_facts_only(bot):
    text = card_text(await bot.say("gsd", where=UNLINKED))
    assert "808 0015" in text and "Sanne" not in text


async def test_teams_conversation_maps_to_the_same_account(bot):
    text = card_text(await bot.say("team", where=TEAMS_ACME))
    assert "Sanne de Vries" in text


async def test_language_choice_is_kept_per_user(bot):
    outcome = await bot.say("lang fr")
    assert "français" in outcome.response.text
    assert "Votre équipe" in card_text(await bot.say("team"))
    assert "Your account team" in card_text(await bot.say("team", user="U0OTHER"))


async def test_language_usage_on_a_bad_argument(bot):
    outcome = await bot.say("lang klingon")
    assert outcome.response.private and "lang fr" in outcome.response.text


async def test_account_default_language_applies_without_a_locale(bot):
    assert "Votre équipe" in card_text(await bot.say("team", where=GLOBEX, locale=None))


async def test_buttons_answer_in_place(bot):
    outcome = await bot.press("gsd.show")
    assert outcome.response.replace and "808 0015" in card_text(outcome)


async def test_an_unknown_button_gets_a_clear_answer(bot):
    outcome = await bot.press("no.such.action")
    # What it can do now follows the sentence that promises it: the help card, in place.
    assert outcome.response.private and outcome.response.replace
    assert "older version" in card_text(outcome) and "Account team" in card_text(outcome)


async def test_help_everywhere(bot):
    assert "onboarding" in card_text(await bot.say("", where=UNLINKED)).lower()
    assert "Acme Logistics" in card_text(await bot.say("help"))
