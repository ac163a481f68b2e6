"""Cached cards cannot leak one person's view to another: a builder gets only what the
cache key holds (account, language, platform, day) and the configuration."""

from __future__ import annotations

import dataclasses

import pytest

from cards.model import Card, Text
from handlers.context import CardView, Context, Services
from handlers.help import help_card
from handlers.portal import ecp_card
from handlers.service_desk import gsd_card
from handlers.team import team_card
from tests.handlers.helpers import Bot


def context(catalog, clock, *, member=None, lang="en", account="acme-logistics", services=None) -> Context:
    services = services or Services(catalog=catalog, store=object(), clock=clock, strict_texts=True)  # type: ignore[arg-type]
    return Context(services, lang, catalog.account(account), member, "slack")


def test_a_card_view_holds_the_key_and_the_configuration_only(catalog, clock):
    names = {f.name for f in dataclasses.fields(CardView)}
    assert names == {"catalog", "lang", "account", "platform", "day", "strict_texts", "command_format"}
    view = context(catalog, clock, member=catalog.onboarding.members[0]).card_view()
    for private in ("member", "services", "store", "user_id", "now"):
        assert not hasattr(view, private)


def test_the_builder_gets_a_view_for_the_turns_key(catalog, clock):
    seen: list[object] = []

    def build(view: CardView) -> Card:
        seen.append(view)
        return Card(title="x", blocks=(Text("x"),))

    ctx = context(catalog, clock, lang="fr")
    ctx.cached("probe", build)
    ctx.cached("probe", build)  # the second time from the cache

    [view] = seen
    assert isinstance(view, CardView)
    assert (view.account, view.lang, view.platform, view.day) == (ctx.account, "fr", "slack", clock().date())


@pytest.mark.parametrize("build", [help_card, team_card, gsd_card, ecp_card])
def test_a_member_and_a_customer_get_the_same_cached_card(catalog, clock, build):
    member = context(catalog, clock, member=catalog.onboarding.members[0])
    customer = context(catalog, clock, services=member.services)
    assert member.cached(build.__name__, build) is customer.cached(build.__name__, build)
    assert build(member.card_view()) == build(customer.card_view())


async def test_the_help_command_answers_with_the_card_the_view_builds(catalog, clock):
    bot = Bot(catalog, clock)
    outcome = await bot.say("help")
    assert outcome.response.card is not None  # type: ignore[union-attr]
    assert outcome.response.card.title == help_card(  # type: ignore[union-attr]
        CardView(catalog, "en", catalog.account("acme-logistics"), "slack", clock().date(), True)).title
