"""What the help, team, service desk and portal cards say, checked against the provider's
resource center page, in both languages and both onboarding states.

Acme's access opens on 1 March 2027: the fixed test clock is before that date, and
``OPEN`` moves it past, so the same account is seen in both states. Every card is
reached by its command and by its button, and read as plain text (no-break spaces as
plain spaces: tests/cards/test_typography.py checks those).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.handlers.helpers import UNLINKED, Bot, card_text

OPEN = dt.datetime(2027, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
LOCALES = {"en": "en-US", "fr": "fr-FR"}
COMMANDS = {"help": "help", "team": "team", "gsd": "gsd", "ecp": "ecp"}
BUTTONS = {"help": "help.show", "team": "team.show", "gsd": "gsd.show", "ecp": "ecp.show"}


@pytest.fixture
def bot(catalog, clock):
    return Bot(catalog, clock)


async def read(bot: Bot, clock, card: str, lang: str, state: str, *, by: str = "command") -> str:
    """The text of ``card`` for Acme in ``lang``, access ``state`` ("open" or "closed")."""
    if state == "open":
        clock.now = OPEN
    if by == "command":
        outcome = await bot.say(COMMANDS[card], locale=LOCALES[lang])
    else:
        outcome = await bot.press(BUTTONS[card], locale=LOCALES[lang])
    return card_text(outcome)


STATES = pytest.mark.parametrize("state", ["closed", "open"])
LANGS = pytest.mark.parametrize("lang", ["en", "fr"])
BY = pytest.mark.parametrize("by", ["command", "button"])


@STATES
@LANGS
@BY
async def test_the_desk_number_is_a_free_local_call(bot, clock, state, lang, by):
    text = await read(bot, clock, "gsd", lang, state, by=by)
    assert "+31 20 808 0015" in text
    assert {"en": "Phone (free local call)", "fr": "Téléphone (appel local gratuit)"}[lang] in text
    assert "toll" not in text.lower() and "Téléphone (gratuit)" not in text


@LANGS
@BY
async def test_once_open_urgent_problems_are_phoned_to_the_desk_which_directs_them(bot, clock, lang, by):
    text = await read(bot, clock, "gsd", lang, "open", by=by)
    expected = {
        "en": "Urgent? Call the Global Service Desk now: +31 20 808 0015. You will be directed to the right support service.",
        "fr": "Urgent ? Appelez dès maintenant le Service Desk mondial : +31 20 808 0015. "
              "Vous serez dirigé vers le service d'assistance approprié.",
    }[lang]
    assert expected in text
    assert "e-mail, " not in text.split("Urgent")[1].split("\n")[0]  # nothing about "not by e-mail"
    assert "routes" not in text and "par téléphone, pas par" not in text


@LANGS
@BY
async def test_before_access_the_desk_is_never_the_way_out(bot, clock, lang, by):
    text = await read(bot, clock, "gsd", lang, "closed", by=by)
    assert {"en": "not open to you yet", "fr": "pas encore ouvert"}[lang] in text
    assert "Call the Global Service Desk" not in text and "Appelez dès maintenant" not in text
    assert "Sanne de Vries (+31 20 555 0101)" in text  # the bot's own guidance, with the account manager
    assert {"en": "my advice is", "fr": "je vous conseille"}[lang] in text


@STATES
@LANGS
@BY
async def test_the_desk_card_says_how_to_get_ready_and_what_it_is_for(bot, clock, state, lang, by):
    text = await read(bot, clock, "gsd", lang, state, by=by)
    if lang == "en":
        assert "Before you contact it the first time, register your contact details in the customer portal (ECP)" in text
        assert "4-digit code" in text
        assert "your first point of contact for customer service issues, 24/7" in text
        assert "Colocation activities: reach the desk by phone, by e-mail or through the customer portal (ECP)." in text
    else:
        assert "Avant de le contacter pour la première fois, enregistrez vos coordonnées sur le portail client (ECP)" in text
        assert "code à 4 chiffres" in text
        assert "votre point de contact initial pour les problèmes de service client, 24 h/24, 7 j/7" in text
        assert "par téléphone, par e-mail ou via le portail client (ECP)" in text
        assert "tickets de dépannage" in text and "Service Desk mondial" in text


@STATES
@LANGS
@BY
async def test_the_portal_takes_trouble_tickets_for_network_and_colocation_only(bot, clock, state, lang, by):
    text = await read(bot, clock, "ecp", lang, state, by=by)
    if lang == "en":
        assert "there are several ways to open one, and the portal is the fastest and most efficient" in text
        assert "The portal takes trouble tickets only for network and colocation products; " \
               "for any other service, contact the Global Service Desk directly" in text
        assert "Download section" in text
    else:
        assert "il existe plusieurs façons d'en créer un, et le portail est la plus rapide et la plus efficace" in text
        assert "n'accepte les tickets de dépannage que pour les produits réseau ou d'hébergement d'infrastructures" in text
        assert "section Télécharger" in text and "Téléchargements" not in text
        assert "à la main" not in text and "passez vos" not in text and "Pour de l'aide" not in text
    assert "right team" not in text and "bonne équipe" not in text


@LANGS
@BY
async def test_help_of_an_open_account_does_not_say_the_portal_is_closed(bot, clock, lang, by):
    text = await read(bot, clock, "help", lang, "open", by=by)
    assert "cannot use the portal" not in text and "while you cannot" not in text
    assert "pas encore accès" not in text
    assert {"en": "is open", "fr": "est ouvert"}[lang] in text


@STATES
@LANGS
async def test_help_says_am11_is_the_customers_site_and_the_change_is_the_way_of_working(bot, clock, state, lang):
    text = await read(bot, clock, "help", lang, state)
    assert "moving to" not in text and "migrat" not in text
    if lang == "en":
        assert "AM11 (formerly Switch AMS1)" in text and "Equinix Customer One (ECO)" in text
    else:
        assert "AM11 (anciennement Switch AMS1)" in text and "Equinix Customer One (ECO)" in text


@STATES
@LANGS
@BY
async def test_roles_carry_the_whole_meaning_of_the_source(bot, clock, state, lang, by):
    text = " ".join((await read(bot, clock, "team", lang, state, by=by)).split())
    if lang == "en":
        assert "Continues to manage your account" in text and "new commercial initiatives" in text
        assert "network products or managed services" in text
        assert "assisting you and your Account Manager" in text
        assert "designs configuration changes on request" in text and "for installation" in text
        assert "upgrades, expansions and additional services" in text and "full value" in text
    else:
        assert "Continue à gérer votre compte" in text and "nouvelles initiatives commerciales" in text
        assert "qui vous assiste, vous et votre gestionnaire de compte" in text
        assert "changements de configuration sur demande" in text and "pour l'installation" in text
        assert "conçoit" not in text
        assert "mises à niveau, les expansions et la fourniture de services supplémentaires" in text
    assert "sell" not in text.lower() and "vend" not in text.lower()


@LANGS
async def test_the_team_card_says_where_the_contacts_are_once_access_opens(bot, clock, lang):
    closed = await read(bot, clock, "team", lang, "closed")
    assert {"en": "in the portal's Support tab", "fr": "dans l'onglet Assistance du portail"}[lang] in closed
    assert "son onglet" not in closed
    opened = await read(bot, clock, "team", lang, "open")
    assert {"en": "Support tab of the customer portal (ECP)", "fr": "l'onglet Assistance du portail client (ECP)"}[lang] in opened


async def test_links_come_from_site_yaml(catalog, clock):
    site = catalog.site.model_copy(update={"resource_center": catalog.site.resource_center.model_copy(
        update={"download_url": "https://rc.example.net/am11#telecharger"})})
    bot = Bot(catalog.model_copy(update={"site": site}), clock)
    text = card_text(await bot.say("ecp", locale="fr-FR"))
    assert "https://rc.example.net/am11#telecharger" in text
    assert "equinix.com/resources" not in text


@LANGS
async def test_an_unlinked_conversation_gets_both_ways_and_no_account(bot, clock, lang):
    text = card_text(await bot.say("gsd", where=UNLINKED, locale=LOCALES[lang]))
    assert "+31 20 808 0015" in text and "Sanne" not in text
    assert {"en": "If your access to the service desk is open, call it now",
            "fr": "Si votre accès au Service Desk est ouvert, appelez-le dès maintenant"}[lang] in text


async def test_french_help_shows_the_french_command_words_that_work(bot, clock):
    text = card_text(await bot.say("aide", locale="fr-FR"))
    for word in ("équipe", "portail", "escalade", "statut", "langue", "demander"):
        assert f"/equinix {word}" in text
        if word != "demander":
            assert (await bot.say(word, locale="fr-FR")).intent != "unknown"
    assert "`/equinix team`" not in text


async def test_teams_shows_commands_in_bold_not_as_code(catalog, clock):
    from tests.handlers.helpers import TEAMS_ACME

    outcome = await Bot(catalog, clock).say("help", where=TEAMS_ACME)
    texts = [getattr(b, "text", "") for b in outcome.response.card.blocks]
    assert not any("`" in text for text in texts)
    assert any("**team**" in text for text in texts)


async def test_french_account_names_are_elided_and_never_get_two_full_stops(bot, clock):
    await bot.submit("escalation.submit", {"subject": "Badge", "category": "site_access", "urgency": "normal",
                                           "description": "Two engineers could not enter."}, locale="fr-FR")
    status = card_text(await bot.say("statut", locale="fr-FR"))
    assert "Demandes d'Acme Logistics B.V." in status and "Demandes de Acme" not in status
    help_en = card_text(await bot.say("help"))
    assert "B.V.." not in help_en and "**Acme Logistics B.V.**." not in help_en


def test_de_elides_before_vowels_and_mute_h():
    from handlers.i18n import de

    assert de("Acme") == "d'Acme" and de("Équinoxe") == "d'Équinoxe" and de("Hermès") == "d'Hermès"
    assert de("Globex Media SAS") == "de Globex Media SAS"
