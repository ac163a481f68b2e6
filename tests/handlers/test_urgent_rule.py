"""One urgent rule on every card of an account, in both onboarding states.

Once access is open, whatever card speaks of an urgent problem says to call the service
desk now, with its number as a ``tel:`` link (and an urgent request's confirmation says
it first). Before access opens no card offers the desk as the way out: every card gives
the same guidance, the configurable ``before_access_guidance``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cards.model import Card, Form
from cards.text import readable
from handlers.turn import OpenForm, Reply
from tests.handlers.helpers import Bot, spaces

OPEN = dt.datetime(2027, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
DESK_TEL = "(tel:+31208080015)"
URGENT = {"subject": "Power feed down", "category": "other", "urgency": "urgent",
          "description": "Both feeds of cabinet 12 are down since 09:00."}


def _strings(thing: Card | Form) -> list[str]:
    """A card's paragraphs in the neutral markup (links as ``[label](url)``)."""
    texts = [thing.intro] if isinstance(thing, Form) else [getattr(b, "text", "") or getattr(b, "about", "") for b in thing.blocks]
    return [p for text in texts for p in text.split("\n\n")]


def _read(paragraphs: list[str]) -> str:
    """Paragraphs as a reader sees them: links as their labels, plain spaces."""
    return spaces(" ".join(readable(p) for p in paragraphs))


async def every_card(bot: Bot, locale: str) -> dict[str, list[str]]:
    """Each customer-facing card of Acme that can speak of urgency, as its paragraphs."""
    cards: dict[str, list[str]] = {}
    for name in ("help", "gsd", "ecp"):
        reply = (await bot.say(name, locale=locale)).response
        assert isinstance(reply, Reply) and reply.card is not None
        cards[name] = _strings(reply.card)
    form = (await bot.say("escalate", locale=locale)).response
    assert isinstance(form, OpenForm)
    cards["form"] = _strings(form.form)
    confirmation = (await bot.submit("escalation.submit", URGENT, locale=locale)).response
    assert isinstance(confirmation, Reply) and confirmation.card is not None
    cards["confirmation"] = _strings(confirmation.card)
    question = "URGENT our servers are unreachable" if locale.startswith("en") else "URGENT nos serveurs sont injoignables"
    answer = (await bot.say(question, locale=locale)).response
    assert isinstance(answer, Reply) and answer.card is not None
    cards["answer"] = _strings(answer.card)
    return cards


@pytest.mark.parametrize("locale", ["en-US", "fr-FR"])
async def test_once_open_every_card_says_to_call_the_desk_now(catalog, clock, locale):
    clock.now = OPEN
    bot = Bot(catalog, clock)
    cards = await every_card(bot, locale)
    lines = {name: [p for p in paragraphs if DESK_TEL in p and p.startswith("**Urgent")] for name, paragraphs in cards.items()}
    for name in ("help", "gsd", "form", "confirmation", "answer"):
        assert lines[name], f"{name}: no urgent line with the desk's tel: link"
    assert len({line for found in lines.values() for line in found}) == 1, "cards word the urgent rule differently"
    assert cards["confirmation"][0] == lines["confirmation"][0], "an urgent confirmation opens with the urgent line"
    for name, paragraphs in cards.items():
        joined = _read(paragraphs)
        assert "my advice is" not in joined and "je vous conseille" not in joined, name
        assert "Sanne de Vries" not in joined or name == "ecp", name  # no account manager as the urgent route


@pytest.mark.parametrize("locale", ["en-US", "fr-FR"])
async def test_before_access_every_card_gives_the_same_guidance_and_never_the_desk(catalog, clock, locale):
    bot = Bot(catalog, clock)
    cards = await every_card(bot, locale)
    guidance = catalog.onboarding.before_access_guidance[locale[:2]].split("{")[0].strip()
    for name, paragraphs in cards.items():
        joined = _read(paragraphs)
        if name != "ecp":  # the portal card gives it once, in its access paragraph
            assert guidance in joined, f"{name}: not the configured guidance"
        assert "Sanne de Vries (+31 20 555 0101)" in joined or name == "ecp", name
        assert DESK_TEL not in " ".join(paragraphs) or name == "gsd", f"{name} offers the desk before access opens"
        for call in ("Call the Global Service Desk", "Appelez dès maintenant", "call your account manager"):
            assert call not in joined, f"{name}: {call!r}"


async def test_the_guidance_is_configuration_and_every_card_uses_it(catalog, clock):
    custom = {"en": "Until your access opens, this assistant suggests phoning {manager} on {manager_phone}.",
              "fr": "Jusqu'à l'ouverture de votre accès, cet assistant vous suggère d'appeler {manager} au {manager_phone}."}
    onboarding = catalog.onboarding.model_copy(update={"before_access_guidance": custom})
    bot = Bot(catalog.model_copy(update={"onboarding": onboarding}), clock)
    for locale, expected in (("en-US", "this assistant suggests phoning Sanne de Vries on +31 20 555 0101."),
                             ("fr-FR", "cet assistant vous suggère d'appeler Sanne de Vries au +31 20 555 0101.")):
        cards = await every_card(bot, locale)
        for name, paragraphs in cards.items():
            assert expected in _read(paragraphs), f"{name} ({locale})"
