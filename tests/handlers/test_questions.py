"""Free-text questions: the matcher against the labelled set, and the answers through the
router for each onboarding state, small talk, the PIN warning and the reply language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, load_catalog
from bot.stores.memory import MemoryStore
from cards.model import Contact, Text
from handlers.catalog import ROLES, Routing
from handlers.matching import build_index, match
from handlers.questions import understand, urgent_decision
from handlers.turn import Reply, TurnKind, Where
from tests.handlers import routing_accuracy as accuracy
from tests.handlers.helpers import DM, GLOBEX, UNLINKED, Bot, card_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
QUESTIONS: dict[str, Any] = yaml.safe_load((HERE / "questions.yaml").read_text(encoding="utf-8"))
INITECH = Where("slack", "T0DEMO", "C0DEMO00003")


@pytest.fixture(scope="module")
def index(catalog):
    return build_index(catalog.routing)


@pytest.fixture
def bot(catalog, clock):
    return Bot(catalog, clock)


# -- the labelled set ------------------------------------------------------------------


def test_the_labelled_set_is_big_enough_and_covers_every_route(index):
    items = QUESTIONS["questions"]
    assert len(items) >= 150
    labelled = {item["route"] for item in items if "route" in item}
    every_route = {route_id for route_id in index.targets if not route_id.startswith("fact:")}
    assert every_route - labelled == set(), "routes without a labelled question"
    assert labelled - every_route == set(), "labels that are no route"
    targets = {index.targets[route] for route in labelled}
    assert targets == {*ROLES, "service_desk", "portal", "onboarding_team"}
    facts = {item["fact"] for item in items if "fact" in item}
    assert facts == {fact.id for fact in index.routing.facts}, "facts without a labelled question"


# Recorded figures (tests/handlers/routing_accuracy.py prints them); a change that lowers
# a set's figure below these fails. The independent set is frozen and never tuned on; the
# own and tuning sets are tuned on, and the wording model is trained on them, so their
# figures say how well both fit, not how well they carry over. Scored on the source's
# owner of the chosen topic.
OWN_STRICT = 0.99  # 553 of 553 when recorded (550 with the routing words alone)
TUNING_STRICT_RIGHT = 424  # of 427 (99.3%), see README "Routing accuracy"
TUNING_LENIENT_RIGHT = 424  # of 427 (99.3%)
TUNING2_STRICT_RIGHT = 362  # of 365 (99.2%); its first measure, before tuning on it: 312 (85.5%)
TUNING2_LENIENT_RIGHT = 362  # of 365 (99.2%)
INDEPENDENT_STRICT_RIGHT = 280  # of 310 (90.3%); the routing words alone: 262 (84.5%)
INDEPENDENT_LENIENT_RIGHT = 290  # of 310 (93.5%)
INDEPENDENT2_STRICT_RIGHT = 308  # of 338 (91.1%), measured once; the routing words alone: 283 (83.7%)
INDEPENDENT2_LENIENT_RIGHT = 310  # of 338 (91.7%)


@pytest.fixture(scope="module")
def own_score(catalog):
    return accuracy.score("own", accuracy.own_items(QUESTIONS, catalog), catalog, keep_misses=True)


@pytest.fixture(scope="module")
def independent_items(catalog):
    return accuracy.independent_items(accuracy.load(accuracy.INDEPENDENT))


def test_accuracy_on_the_own_set(own_score):
    print("\n" + own_score.summary())
    for miss in own_score.misses:
        print("miss:", miss)
    assert own_score.strict_rate >= OWN_STRICT
    assert own_score.false_urgent_rate == 0.0
    # while access is closed, every desk or portal topic is covered by its stand-in and
    # the card offers nothing that points to the closed desk
    assert own_score.stand_in_total >= 10
    assert own_score.stand_in_right == own_score.stand_in_total
    assert own_score.median_us < 1000


def test_accuracy_on_the_tuning_set(catalog):
    items = accuracy.independent_items(accuracy.load(accuracy.TUNING))
    result = accuracy.score("tuning", items, catalog)
    print("\n" + result.summary())
    assert len(items) == 427
    assert result.strict >= TUNING_STRICT_RIGHT
    assert result.lenient >= TUNING_LENIENT_RIGHT
    assert result.stand_in_right == result.stand_in_total
    assert result.calm_flagged <= 1


def test_accuracy_on_the_second_tuning_set(catalog):
    items = accuracy.independent_items(accuracy.load(accuracy.TUNING2))
    result = accuracy.score("second tuning", items, catalog)
    print("\n" + result.summary())
    assert len(items) == 365
    assert sum(1 for i in items if i.kind == "not_question") == 14  # no owners, no fact, not urgent
    assert result.strict >= TUNING2_STRICT_RIGHT
    assert result.lenient >= TUNING2_LENIENT_RIGHT
    assert result.stand_in_right == result.stand_in_total


def test_accuracy_on_the_independent_set(catalog, independent_items):
    result = accuracy.score("independent", independent_items, catalog)  # misses never listed
    print("\n" + result.summary())
    assert len(independent_items) == 310
    assert result.strict >= INDEPENDENT_STRICT_RIGHT
    assert result.lenient >= INDEPENDENT_LENIENT_RIGHT
    assert result.stand_in_right == result.stand_in_total


def test_accuracy_on_the_second_independent_set(catalog):
    items = accuracy.independent_items(accuracy.load(accuracy.INDEPENDENT2))
    result = accuracy.score("second independent", items, catalog)  # misses never listed
    print("\n" + result.summary())
    assert len(items) == 338
    assert result.strict >= INDEPENDENT2_STRICT_RIGHT
    assert result.lenient >= INDEPENDENT2_LENIENT_RIGHT
    assert result.stand_in_right == result.stand_in_total
    assert result.calm_flagged <= 2


@pytest.mark.xfail(strict=True, reason="1 of the 42 urgent questions of the second independent set is not flagged urgent (see README)")
def test_every_urgent_question_of_the_second_independent_set_is_answered_as_urgent(catalog):
    urgent = [i for i in accuracy.independent_items(accuracy.load(accuracy.INDEPENDENT2)) if i.urgent]
    count = len(_not_answered_as_urgent(catalog, urgent))
    assert count == 0, f"{count} of {len(urgent)} urgent questions not answered as urgent"


def _not_answered_as_urgent(catalog, items) -> list[str]:
    index = build_index(catalog.routing)
    ctxs = accuracy.contexts(catalog)
    missed = []
    for item in items:
        ctx = ctxs[item.access]
        understood = understand(ctx, index, item.q)
        call = urgent_decision(ctx, catalog.routing)
        if not understood.urgent or not understood.decisions or understood.decisions[0] != call:
            missed.append(item.q)
    return missed


def test_every_urgent_question_of_the_own_set_is_answered_as_urgent(catalog):
    """Exact: whom to call now comes first, for every urgent question."""
    urgent = [i for i in accuracy.own_items(QUESTIONS, catalog) if i.urgent]
    assert len(urgent) >= 20
    assert _not_answered_as_urgent(catalog, urgent) == []


@pytest.mark.xfail(strict=True, reason="3 of the 42 urgent questions of the independent set are not flagged urgent (see README)")
def test_every_urgent_question_of_the_independent_set_is_answered_as_urgent(catalog, independent_items):
    """Exact, and only a count: the frozen set's questions are never shown, so they are
    never tuned on."""
    urgent = [i for i in independent_items if i.urgent]
    count = len(_not_answered_as_urgent(catalog, urgent))
    assert count == 0, f"{count} of {len(urgent)} urgent questions not answered as urgent"


@pytest.mark.parametrize("question", QUESTIONS["not_sure"])
def test_vague_or_split_questions_are_not_sure(index, question):
    found = match(index, question)
    assert not found.sure, found.explain()


@pytest.mark.parametrize("question", QUESTIONS["urgent"])
def test_urgent_questions_are_flagged(index, question):
    assert match(index, question).urgent


@pytest.mark.parametrize("message", QUESTIONS["pins"])
def test_messages_that_look_like_a_gsd_code(index, message):
    assert match(index, message).pin


@pytest.mark.parametrize("message", QUESTIONS["not_pins"])
def test_numbers_that_are_no_gsd_code(index, message):
    assert not match(index, message).pin


def test_matching_is_deterministic_and_explains_itself(index):
    first = match(index, "Our cross connect is down")
    assert first == match(index, "Our cross connect is down")
    # a failing network product: the service desk, and the portal's ticket as the second way
    assert (first.route, first.also) == ("trouble_ticket", "ticket_network_colo")
    assert match(index, "open a ticket for our cross connect").route == "ticket_network_colo"
    [best, *_] = first.candidates
    assert best.route == "trouble_ticket" and "down" in best.words and "cross-connect" in best.words
    assert "ticket_network_colo" in first.explain() or "trouble_ticket" in first.explain()


def test_typos_accents_case_and_plurals_are_tolerated(index):
    for text in ("INVOICES", "invoise", "invocies", "Factures", "facturation", "FACTURE"):
        assert match(index, text).route == "invoices", text
    for text in ("ticket réseaux en panne", "ticket reseaux en panne", "TICKET RÉSEAU EN PANNE"):
        assert match(index, text).route == "ticket_network_colo", text
    typo = match(index, "shipmnet")
    assert typo.route == "shipping" and typo.candidates[0].hits[0].fuzzy


def test_short_words_take_no_typos(index):
    assert match(index, "rock").candidates == ()  # "rack" is 4 letters: no typo allowed


def test_no_keyword_is_lost_to_function_words(index):
    assert index.dropped == ()


# -- routing.yaml validation -------------------------------------------------------------


def _routing(**overrides: Any) -> dict[str, Any]:
    route = {
        "id": "invoices",
        "target": "billing_analyst",
        "label": {"en": "Invoices", "fr": "Factures"},
        "why": {"en": "Billing.", "fr": "Facturation."},
        "keywords": {"en": ["invoice"], "fr": ["facture"]},
    }
    route.update(overrides)
    return {"routes": [route]}


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"target": "service_desk"}, "routes.0", "before_access"),
        ({"target": "the_cfo"}, "routes.0.target", "Input should be"),
        ({"keywords": {"en": ["invoice"]}}, "routes.0.keywords", "'fr'"),
        ({"keywords": {"en": ["invoice", "Invoice"], "fr": ["facture"]}}, "routes.0.keywords", "twice"),
        ({"label": {"en": "Invoices"}}, "routes.0.label", "'fr'"),
        ({"id": "Bad Id"}, "routes.0.id", "lower-case"),
        ({"before_access": "service_desk", "target": "portal"}, "routes.0.before_access", "Input should be"),
    ],
)
def test_routing_mistakes_name_the_field(overrides, field, words):
    with pytest.raises(Exception) as caught:
        Routing.model_validate(_routing(**overrides))
    errors = caught.value.errors()  # type: ignore[attr-defined]
    text = "; ".join(".".join(map(str, e["loc"])) + ": " + e["msg"] for e in errors)
    assert field in text and words in text, text


def test_routing_references_must_exist():
    data = _routing()
    data["fallback_routes"] = ["nowhere"]
    with pytest.raises(Exception, match="fallback_routes: 'nowhere' is no route id"):
        Routing.model_validate(data)
    data = {"routes": [_routing()["routes"][0], _routing()["routes"][0]]}
    with pytest.raises(Exception, match="used twice"):
        Routing.model_validate(data)


def test_check_config_reports_routing_problems_with_file_and_field(tmp_path):
    config = tmp_path / "config"
    (config / "locales").mkdir(parents=True)
    for name in ("site.yaml", "accounts.yaml", "onboarding.yaml", "locales/en.yaml", "locales/fr.yaml"):
        (config / name).write_text((ROOT / "config" / name).read_text(encoding="utf-8"), encoding="utf-8")
    (config / "routing.yaml").write_text(yaml.safe_dump(_routing(target="portal")), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_catalog(config)
    [problem] = caught.value.problems
    assert problem.startswith("routing.yaml: route 'invoices': before_access")


# -- answers through the router: onboarding state -----------------------------------------


async def test_smart_hands_before_access_goes_to_the_onboarding_team_with_the_date(bot):
    outcome = await bot.say("ask can someone reboot our server?")
    assert outcome.intent == "ask"
    text = card_text(outcome)
    assert "Onboarding team" in text and "am11-onboarding@example.com" in text
    assert "1 March 2027" in text and "Smart Hands" in text
    actions = [b.action for b in outcome.response.card.buttons]
    assert actions == ["escalate.open"]  # nothing points to the desk while it is closed


async def test_smart_hands_once_open_goes_to_the_service_desk(bot):
    text = card_text(await bot.say("can someone reboot our server?", where=GLOBEX))
    assert "Global Service Desk" in text and "+31 20 808 0015" in text
    assert "once your access opens" not in text and "Onboarding team" not in text


async def test_access_without_a_date_says_it_is_not_set(bot):
    text = card_text(await bot.say("We need temporary access for a contractor", where=INITECH))
    assert "has not been set yet" in text and "Onboarding team" in text


@pytest.mark.parametrize("question", ["How do we receive packages at the IBX?", "Please revoke access for a former employee"])
async def test_shipping_and_site_access_before_access(bot, question):
    text = card_text(await bot.say(question))
    assert "Onboarding team" in text and "1 March 2027" in text


async def test_a_trouble_ticket_before_access_goes_to_the_account_manager(bot):
    text = card_text(await bot.say("Our backup service is not working"))
    assert "Account Manager" in text and "Sanne de Vries" in text and "1 March 2027" in text


async def test_a_trouble_ticket_once_open_goes_to_the_gsd_or_for_network_and_colocation_to_ecp(bot):
    other = card_text(await bot.say("Our backup service reports errors", where=GLOBEX))
    assert "Who handles this: Global Service Desk" in other
    # a network problem: the desk takes every ticket, the portal network and colocation ones
    network = card_text(await bot.say("Some packet loss on our cross connect, not urgent", where=GLOBEX))
    assert "Who handles this: Global Service Desk" in network and "network or colocation" in network
    ticket = card_text(await bot.say("Where do I open a ticket for packet loss on our cross connect?", where=GLOBEX))
    assert "Customer portal (ECP)" in ticket and "network or colocation" in ticket


async def test_urgent_problems_are_phoned_in(bot):
    before = card_text(await bot.say("URGENT our servers are unreachable"))
    assert "Urgent? Until your access opens, my advice is to contact your Account Manager, Sanne de Vries (+31 20 555 0101)" in before
    assert "808 0015" not in before
    after = card_text(await bot.say("URGENT our servers are unreachable", where=GLOBEX))
    assert "Urgent? Call the Global Service Desk now: +31 20 808 0015." in after


async def test_roles_come_with_this_accounts_contact(bot):
    assert "Lotte Bakker" in card_text(await bot.say("who handles invoices?"))
    globex = card_text(await bot.say("who handles invoices?", where=GLOBEX))
    assert "Thomas Girard" in globex and "Lotte" not in globex
    assert "Amira El Idrissi" in card_text(await bot.say("We need help with a new deployment"))
    assert "Pieter Jansen" in card_text(await bot.say("We need help coordinating a PCI audit"))


async def test_an_unlinked_conversation_gets_the_role_but_no_account_data(bot, catalog):
    outcome = await bot.say("who handles invoices?", where=UNLINKED)
    text = card_text(outcome)
    assert "Billing Analyst" in text and "not linked" in text
    for account in catalog.accounts:
        for person in (account.team.account_manager, account.team.billing_analyst):
            assert person.name not in text and person.email not in text


async def test_text_that_is_no_command_mentions_and_direct_messages_are_questions(bot):
    for kind in (TurnKind.COMMAND, TurnKind.MENTION, TurnKind.MESSAGE):
        outcome = await bot.say("Who handles invoices?", kind=kind)
        assert outcome.intent == "ask" and "Billing Analyst" in card_text(outcome)
    outcome = await bot.say("who handles invoices?", where=DM, kind=TurnKind.MESSAGE)
    assert outcome.intent == "ask" and "Billing Analyst" in card_text(outcome)


async def test_ask_alone_explains_itself(bot):
    outcome = await bot.say("ask")
    assert outcome.response.private and "ask who handles invoices?" in outcome.response.text


# -- not sure -------------------------------------------------------------------------------


async def test_not_sure_says_so_and_offers_the_likeliest_routes(bot):
    outcome = await bot.say("We want an expansion")
    card = outcome.response.card
    assert card.title == "I'm not sure who handles that"
    offered = [dict(b.data)["route"] for b in card.buttons if b.action == "ask.route"]
    assert set(offered) == {"add_services", "design"}
    assert card.buttons[-1].action == "escalate.open"


async def test_nothing_matched_offers_the_configured_fallbacks(bot, catalog):
    card = (await bot.say("What's the weather like in Amsterdam?")).response.card
    offered = tuple(dict(b.data)["route"] for b in card.buttons if b.action == "ask.route")
    assert offered == catalog.routing.fallback_routes
    assert "could not match" in card_text(await bot.say("blablabla"))


async def test_a_route_button_shows_that_routes_answer_in_place(bot):
    outcome = await bot.press("ask.route", {"route": "design"})
    assert outcome.response.replace and "Amira El Idrissi" in card_text(outcome)
    urgent = await bot.press("ask.route", {"route": "trouble_ticket", "urgent": "1"})
    assert "+31 20 555 0101" in card_text(urgent)


async def test_a_route_button_for_a_route_that_no_longer_exists(bot):
    outcome = await bot.press("ask.route", {"route": "gone"})
    # What it can do now follows the sentence that promises it: the help card, in place.
    assert outcome.response.private and outcome.response.replace
    assert "older version" in card_text(outcome) and "Account team" in card_text(outcome)


# -- small talk -----------------------------------------------------------------------------


@pytest.mark.parametrize("greeting", QUESTIONS["greetings"])
async def test_greetings_get_a_short_friendly_answer(bot, greeting):
    outcome = await bot.say(greeting, locale=None)
    reply = outcome.response
    assert isinstance(reply, Reply) and reply.card is None
    assert reply.text.replace("\u202f", " ").startswith(("Hello!", "Bonjour !"))


@pytest.mark.parametrize("thanks", QUESTIONS["thanks"])
async def test_thanks_get_a_short_friendly_answer(bot, thanks):
    reply = (await bot.say(thanks, locale=None)).response
    assert reply.card is None and reply.text.startswith(("You're welcome", "Avec plaisir"))


async def test_a_greeting_with_a_question_answers_the_question(bot):
    assert "Billing Analyst" in card_text(await bot.say("Hello, who handles invoices?"))


# -- the GSD code -----------------------------------------------------------------------


class RecordingStore(MemoryStore):
    """A memory store that remembers every value written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[str] = []

    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        self.written += [key, value]
        await super().set(key, value, ttl=ttl)

    async def add(self, key: str, value: str, *, ttl: float | None = None) -> bool:
        self.written += [key, value]
        return await super().add(key, value, ttl=ttl)


def _everything(outcome) -> str:
    reply = outcome.response
    parts = [reply.text, card_text(outcome)]
    if reply.card is not None:
        parts += [repr(b) for b in reply.card.buttons]
    return " ".join(parts)


@pytest.mark.parametrize("message", ["my pin is 1234", "Mon code PIN est 4821, il marche ?", "ask The GSD asked for my code: 9052"])
async def test_a_posted_gsd_code_is_warned_about_never_stored_nor_echoed(catalog, clock, message):
    store = RecordingStore()
    bot = Bot(catalog, clock, store=store)
    outcome = await bot.say(message, locale=None)
    assert outcome.response.private
    text = _everything(outcome)
    assert "4-digit" in text or "4 chiffres" in text
    code = next(word for word in message.replace(":", " ").replace(",", " ").split() if word.isdigit())
    assert code not in text
    assert not any(code in value for value in store.written)


async def test_the_pin_warning_still_answers_a_question(bot):
    outcome = await bot.say("my pin is 1234 but the service desk does not accept it, who can help with the 4-digit code?")
    text = card_text(outcome)
    assert "never post it" in text and "Customer Success Manager" in text and "1234" not in text


# -- reply language ----------------------------------------------------------------------


async def test_the_platform_locale_wins_over_the_questions_language(bot):
    outcome = await bot.say("who handles invoices?", locale="fr-FR")
    assert outcome.lang == "fr" and "Analyste de facturation" in card_text(outcome)


async def test_without_a_locale_the_questions_language_wins_over_the_account(bot):
    french = await bot.say("Qui s'occupe des factures ?", locale=None)  # Acme defaults to English
    assert french.lang == "fr" and "Qui s'en occupe" in card_text(french)
    english = await bot.say("Who handles our invoices?", where=GLOBEX, locale=None)  # Globex: French
    assert english.lang == "en" and "Who handles this" in card_text(english)


async def test_without_any_clue_the_account_language_applies(bot):
    outcome = await bot.say("smart hands", where=GLOBEX, locale=None)
    assert outcome.lang == "fr" and "Qui s'en occupe" in card_text(outcome)


async def test_an_explicit_choice_wins_over_everything(bot):
    await bot.say("lang en", locale="fr-FR")
    outcome = await bot.say("Qui s'occupe des factures ?", locale="fr-FR")
    assert outcome.lang == "en" and "Who handles this: Billing Analyst" in card_text(outcome)


async def test_both_languages_are_understood_whatever_the_reply_language(bot):
    english_reply = card_text(await bot.say("Qui s'occupe des factures ?", locale="en-GB"))
    french_reply = card_text(await bot.say("Who handles invoices?", locale="fr-FR"))
    assert "Billing Analyst" in english_reply and "Analyste de facturation" in french_reply


async def test_the_matcher_tables_are_built_at_start_up_not_on_the_first_question(catalog, clock, monkeypatch):
    import sys

    import handlers.matching
    from tests.handlers.helpers import Bot

    bot = Bot(catalog, clock)
    bot.dispatcher.router.prepare(catalog)

    def no_building(*args, **kwargs):
        raise AssertionError("the index was built on a customer's turn")

    # Where the handlers' IndexCache looks it up (the module that defines it).
    monkeypatch.setattr(sys.modules[handlers.matching.IndexCache.__module__], "build_index", no_building)
    outcome = await bot.say("who handles our invoices?")
    assert "Billing Analyst" in str(outcome.response)


# -- urgency, typos, two owners, facts --------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["our link is down", "coupure de courant dans la salle", "alarme incendie !", "plus rien ne marche",
     "we need smart hands now", "Notre serveur est en panne", "URGENT: invoice question"],
)
def test_urgency_beats_every_topic(index, question):
    found = match(index, question)
    assert found.urgent, found.explain()


@pytest.mark.parametrize(
    "question",
    ["where can I download the installed base report?", "shutdown of the old contract", "power upgrade for our cage",
     "now that onboarding is done, who is our CSM?", "fire suppression certificate for the audit",
     "not urgent: a question about invoices", "how do I reach support?", "Who is our account manager now?",
     "we can't log in to the portal"],
)
def test_words_near_urgency_are_not_urgent(index, question):
    found = match(index, question)
    assert not found.urgent, found.explain()


@pytest.mark.parametrize(
    "question",
    ["demande de novation suite au rachat", "bonne journée à tous", "planned maintenance: we'll need hands on site"],
)
def test_urgency_is_never_read_into_a_typo(index, question):
    found = match(index, question)
    assert not found.urgent, found.explain()


@pytest.mark.parametrize(
    "question",
    ["after the overheating last summer we want a design review", "what do we do in case of a fire?",
     "suite à la panne du mois dernier, on veut un rapport", "a ticket for a flapping port, nothing critical",
     "we'll power down the old servers next week"],
)
def test_a_past_planned_or_what_if_event_is_not_urgent(index, question):
    found = match(index, question)
    assert not found.urgent, found.explain()


@pytest.mark.parametrize(
    "question",
    ["the overheating is back right now", "still onboarding, no portal yet, but our main link is dead. help",
     "there's a burning smell near our cage", "grosse perte de paquets en ce moment sur notre lien"],
)
def test_an_event_happening_now_is_urgent(index, question):
    found = match(index, question)
    assert found.urgent, found.explain()


def test_one_typo_never_routes_on_its_own(index):
    found = match(index, "how do I get into the building tonight?")
    assert found.route == "site_access", found.explain()
    assert not any(c.route == "invoices" for c in found.candidates)
    lone = match(index, "migraton to a new datacenter")
    assert lone.route is None and "typo" in lone.explain()
    assert match(index, "invoise").route == "invoices"  # the whole question is that one word


async def test_urgent_once_open_calls_the_service_desk_first(bot):
    outcome = await bot.say("our link is down", where=GLOBEX)
    card = outcome.response.card
    assert card.title == "Urgent · call now: Global Service Desk (GSD)"
    text = card_text(outcome)
    assert text.index("Call the Global Service Desk now: +31 20 808 0015") < text.index("Also involved")
    contact = next(b for b in card.blocks if isinstance(b, Contact))
    assert contact.phone == "+31 20 808 0015"  # rendered as a tel: link on Teams


async def test_urgent_before_access_never_sends_to_the_desk(bot):
    outcome = await bot.say("our link is down")
    card = outcome.response.card
    assert "Account Manager" in card.title and "Sanne de Vries" in card_text(outcome)
    assert "+31 20 555 0101" in card_text(outcome)
    assert not any(isinstance(b, Contact) and b.phone == "+31 20 808 0015" for b in card.blocks)
    assert "gsd.show" not in {b.action for b in card.buttons}
    french = await bot.say("coupure de courant dans notre baie", locale="fr-FR")
    assert "Urgent · appelez maintenant" in french.response.card.title


async def test_a_question_for_two_owners_names_both_the_likelier_first(bot):
    outcome = await bot.say("where do I see the orders we submitted?", where=GLOBEX)
    card = outcome.response.card
    assert card.title == "Who handles this: Customer portal (ECP)"
    text = card_text(outcome)
    assert "Also involved: Customer Success Manager." in text
    contacts = [b for b in card.blocks if isinstance(b, Contact)]
    assert [c.name for c in contacts][:1] == ["Customer portal (ECP)"]
    assert [c.role for c in contacts][1:2] == ["Customer Success Manager"]
    assert {b.action for b in card.buttons} >= {"ecp.show", "team.show", "escalate.open"}
    french = card_text(await bot.say("Où voir les commandes que nous avons passées ?", where=GLOBEX, locale="fr-FR"))
    assert "Également concerné" in french


@pytest.mark.parametrize(
    ("question", "fact", "words"),
    [
        ("What is ECO?", "eco", ["consistent experience", "self-service"]),
        ("Does this apply to our other Equinix sites?", "scope", ["only to customers with deployments in AM11", "Switch AMS1"]),
        ("Where is the FAQ?", "resource_center", ["updated regularly", "Download section"]),
        ("Who is our first point of contact after onboarding?", "gsd_first_contact", ["first point of contact", "24/7", "English", "through the customer portal"]),
        ("What do I do before calling the GSD the first time?", "gsd_registration", ["register your contact details", "4-digit code"]),
        ("Where will we find our account team's contact details?", "team_contacts", ["Support tab"]),
        ("How can I open a trouble ticket?", "ticket_ways", ["several ways", "fastest", "network and colocation products only"]),
        ("When does our access open?", "access_date", ["1 March 2027"]),
        ("What's the service desk phone number?", "gsd_contact", ["+31 20 808 0015", "servicedesk.nl@eu.equinix.com", "English"]),
    ],
)
async def test_factual_questions_get_the_fact_with_its_link(bot, catalog, question, fact, words):
    outcome = await bot.say(question)
    card = outcome.response.card
    from handlers.facts import _TITLES

    assert card.title == catalog.texts["en"][_TITLES[fact][0]], card_text(outcome)
    text = card_text(outcome)
    for word in words:
        assert word in text
    site = catalog.site
    links = {b.url for b in card.buttons if b.url}
    assert links & {site.resource_center.url, site.resource_center.faq_url, site.resource_center.download_url, site.portal.url}


async def test_access_date_says_when_or_that_it_is_not_announced(bot):
    assert "has not been set yet" in card_text(await bot.say("When does our access open?", where=INITECH))
    assert "is open" in card_text(await bot.say("When does our access open?", where=GLOBEX))
    french = card_text(await bot.say("Quand aurons-nous accès au portail ?", locale="fr-FR"))
    assert "1er mars 2027" in french


async def test_every_fact_is_two_clicks_from_the_help_and_not_sure_cards(bot, catalog):
    from handlers.facts import FACTS, SHOW_FACT, SHOW_MENU

    for start in ((await bot.say("help")).response.card, (await bot.say("blablabla")).response.card):
        menu_button = next(b for b in start.buttons if b.action == SHOW_MENU)
        menu = (await bot.press(menu_button.action, dict(menu_button.data))).response.card
        offered = [dict(b.data)["fact"] for b in menu.buttons if b.action == SHOW_FACT]
        assert offered == list(FACTS)
    for fact in FACTS:
        shown = await bot.press(SHOW_FACT, {"fact": fact})
        assert shown.response.replace and shown.response.card.buttons
    assert (await bot.say("facts")).response.card.title == "About your onboarding to AM11"
    stale = await bot.press(SHOW_FACT, {"fact": "gone"})
    assert stale.response.private and "older version" in stale.response.text


def test_why_explains_urgency_facts_and_second_owners(index):
    assert "urgent: link down" in match(index, "our link is down").explain()
    assert "-> fact eco" in match(index, "What is ECO?").explain()
    assert ", also order_escalation" in match(index, "where do I see the orders we submitted?").explain()


def test_every_question_card_is_valid_on_slack_and_teams():
    import asyncio

    from tests.cards.validate import assert_valid_adaptive, assert_valid_blocks
    from tests.handlers.question_cards import collect, render_all

    files = render_all(asyncio.run(collect()))
    assert len(files) > 150
    for name, payload in files.items():
        if name.endswith(".slack.json"):
            assert_valid_blocks(payload)
        else:
            assert_valid_adaptive(payload)


# -- what an answer card says first, and in which language ---------------------------------


async def test_an_urgent_answer_says_what_to_do_now_before_the_contact(bot):
    opened = (await bot.press("ask.route", {"route": "trouble_ticket", "urgent": "1"}, where=GLOBEX)).response.card
    assert isinstance(opened.blocks[0], Text) and "Call the Global Service Desk now" in opened.blocks[0].text
    assert not any(isinstance(b, Contact) for b in opened.blocks[:1])
    closed = (await bot.press("ask.route", {"route": "trouble_ticket", "urgent": "1"})).response.card  # Acme
    first = closed.blocks[0]
    assert isinstance(first, Text) and first.text.startswith("**Urgent?**") and "my advice" in first.text
    assert "808 0015" not in first.text  # before access, never the desk


async def test_contacts_name_the_desk_and_the_team_in_french(bot):
    desk = (await bot.say("smart hands", where=GLOBEX, locale="fr-FR")).response.card
    [contact] = [b for b in desk.blocks if isinstance(b, Contact)]
    assert contact.name == "Service Desk mondial (GSD)"
    team = (await bot.say("qui peut réceptionner notre matériel ?", locale="fr-FR")).response.card  # Acme: closed
    names = [b.name for b in team.blocks if isinstance(b, Contact)]
    assert names[0] == "équipe d'intégration AM11"


async def test_routing_texts_get_french_typography(bot):
    card = (await bot.press("ask.route", {"route": "contract_changes"}, locale="fr-FR")).response.card
    texts = [b.text for b in card.blocks if isinstance(b, Text)]
    assert any("contrat\u202f; c'est donc" in text for text in texts), texts


async def test_the_desk_contacts_fact_uses_the_shared_urgent_rule_once(bot):
    card = (await bot.say("What's the service desk phone number?", where=GLOBEX)).response.card
    text = card_text_of(card)
    assert "Phone (free local call)" in text
    assert text.count("Call the Global Service Desk now") == 1
    urgent = (await bot.say("our link is down, what's the service desk phone number?", where=GLOBEX)).response.card
    assert card_text_of(urgent).count("Urgent?") == 1


def card_text_of(card) -> str:
    return "\n".join(getattr(b, "text", "") for b in card.blocks) + "\n" + "\n".join(
        f"{label} {value}" for b in card.blocks for label, value in getattr(b, "items", ()) or ())


def test_pins_are_masked_by_one_public_rule():
    from handlers.matching import mask_pins

    assert mask_pins("my code is 4821, see ISO 9001, since 2019") == ("my code is ••••, see ISO 9001, since 2019", True)
    assert mask_pins("call +31 20 808 0015 in 2026") == ("call +31 20 808 0015 in 2026", False)
    assert mask_pins("4821", "####") == ("####", True)
    for module in ("escalations.py", "insights/samples.py"):
        source = (ROOT / "handlers" / module).read_text(encoding="utf-8")
        assert "from handlers.matching import _" not in source and "_FOUR_DIGITS" not in source, module
