"""Rate limits: per user and per conversation, shared through the store, never on escalations."""

from __future__ import annotations

import dataclasses

import pytest

from handlers.escalations import SUBMIT
from handlers.limits import Limits
from handlers.router import Dispatcher
from tests.handlers.helpers import Bot

GOOD = {"subject": "Cannot badge in", "category": "site_access", "urgency": "normal",
        "description": "Our engineers could not enter the IBX this morning."}


@pytest.fixture
def bot(catalog, clock):
    bot = Bot(catalog, clock)
    bot.services = dataclasses.replace(bot.services, limits=Limits(per_user=3, per_conversation=5))
    bot.dispatcher = Dispatcher(bot.dispatcher.router, bot.services)
    return bot


async def test_a_user_over_the_limit_gets_a_polite_answer(bot, clock):
    intents = [(await bot.say("team")).intent for _ in range(4)]
    assert intents == ["team", "team", "team", "rate_limited.user"]
    limited = await bot.say("team")
    assert limited.response.private and "wait a minute" in limited.response.text
    clock.advance(seconds=61)
    assert (await bot.say("team")).intent == "team"


async def test_the_conversation_limit_counts_everyone(bot):
    for user in ("U1", "U2", "U3", "U4", "U5"):
        assert (await bot.say("gsd", user=user)).intent == "gsd"
    assert (await bot.say("gsd", user="U6")).intent == "rate_limited.conversation"


async def test_escalation_submits_are_never_limited(bot):
    for _ in range(6):
        await bot.say("help")
    outcome = await bot.submit(SUBMIT, GOOD)
    assert outcome.intent == "escalate.submit" and "ESC-000001" in outcome.response.card.title


async def test_limits_are_shared_by_replicas_on_one_store(bot, catalog, clock):
    other = Bot(catalog, clock, store=bot.store)
    other.services = dataclasses.replace(other.services, limits=bot.services.limits)
    other.dispatcher = Dispatcher(other.dispatcher.router, other.services)
    await bot.say("team")
    await other.say("team")
    await bot.say("team")
    assert (await other.say("team")).intent == "rate_limited.user"
