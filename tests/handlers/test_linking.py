"""``link`` / ``unlink`` (onboarding team only) and ``whoami`` (everyone)."""

from __future__ import annotations

import pytest

from bot.stores.memory import MemoryStore
from handlers.accounts import UNLINKED, link_key
from handlers.ports import StoreUnavailable
from tests.handlers.helpers import ACME, DM, TEAMS_ACME, UNLINKED as UNLINKED_CHANNEL, Bot, card_text

MEMBER = "U0ONBOARD1"
CUSTOMER = "U0CUSTOMER"


@pytest.fixture
def bot(catalog, clock):
    return Bot(catalog, clock)


async def test_a_customer_cannot_link_or_unlink(bot):
    for command in ("link globex-media", "unlink", "lier acme-logistics", "delier"):
        outcome = await bot.say(command, user=CUSTOMER)
        assert outcome.response.private and "Only members of the onboarding team" in outcome.response.text
    assert await bot.store.get(link_key(ACME)) is None
    assert "Sanne de Vries" in card_text(await bot.say("team"))


async def test_a_member_links_an_unlinked_channel(bot):
    assert "not linked" in (await bot.say("team", where=UNLINKED_CHANNEL)).response.text
    outcome = await bot.say("link globex-media", where=UNLINKED_CHANNEL, user=MEMBER)
    assert outcome.intent == "link" and outcome.response.private
    assert "Globex Media SAS" in outcome.response.text
    assert await bot.store.get(link_key(UNLINKED_CHANNEL)) == "globex-media"
    assert "Camille Laurent" in card_text(await bot.say("team", where=UNLINKED_CHANNEL, user=CUSTOMER))


async def test_a_link_overrides_the_configuration_and_says_what_it_replaced(bot):
    outcome = await bot.say("link `Globex-Media`", user=MEMBER)
    assert "Globex Media SAS" in outcome.response.text and "Acme Logistics" in outcome.response.text
    assert "Camille Laurent" in card_text(await bot.say("team"))


async def test_an_unknown_account_id_is_refused_with_the_known_ids_for_members(bot):
    outcome = await bot.say("link umbrella-corp", user=MEMBER)
    assert outcome.response.private and "Unknown account id" in outcome.response.text
    for account_id in ("acme-logistics", "globex-media", "initech-cloud"):
        assert account_id in outcome.response.text
    assert await bot.store.get(link_key(ACME)) is None


async def test_link_without_an_id_shows_how(bot):
    outcome = await bot.say("link", user=MEMBER)
    assert "link <account-id>" in outcome.response.text and "acme-logistics" in outcome.response.text


async def test_unlink_overrides_the_configuration(bot):
    outcome = await bot.say("unlink", user=MEMBER)
    assert outcome.intent == "unlink" and outcome.response.private
    assert await bot.store.get(link_key(ACME)) == UNLINKED
    reply = (await bot.say("team", user=CUSTOMER)).response
    assert "not linked" in reply.text and "Sanne" not in reply.text


async def test_whoami_for_anyone_says_where_the_link_comes_from(bot):
    outcome = await bot.say("whoami", user=CUSTOMER)
    assert outcome.intent == "whoami" and outcome.response.private
    text = outcome.response.text
    assert "Acme Logistics B.V." in text and "acme-logistics" in text and "configuration" in text
    assert "onboarding team (" not in text  # not a member
    await bot.say("link initech-cloud", user=MEMBER)
    text = (await bot.say("whoami", user=CUSTOMER)).response.text
    assert "Initech Cloud GmbH" in text and "linked by the onboarding team" in text


async def test_whoami_in_an_unlinked_conversation_lists_nothing_to_customers(bot, catalog):
    text = (await bot.say("whoami", where=UNLINKED_CHANNEL, user=CUSTOMER)).response.text
    assert "not linked" in text
    for account in catalog.accounts:
        assert account.id not in text and account.name not in text


async def test_whoami_after_an_unlink_tells_members_what_the_configuration_says(bot):
    await bot.say("unlink", user=MEMBER)
    customer = (await bot.say("whoami", user=CUSTOMER)).response.text
    assert "unlinked by the onboarding team" in customer and "Acme" not in customer
    member = (await bot.say("whoami", user=MEMBER)).response.text
    assert "Acme Logistics B.V." in member and "takes precedence" in member
    assert "Iris Onboarding" in member and "link <account-id>" in member


async def test_links_are_per_conversation_and_per_platform(bot):
    await bot.say("unlink", user=MEMBER)
    assert "Sanne de Vries" in card_text(await bot.say("team", where=TEAMS_ACME))
    assert "not linked" in (await bot.say("whoami", where=DM)).response.text


async def test_link_and_whoami_answer_in_french(bot):
    outcome = await bot.say("whoami", locale="fr-FR")
    assert "appartient à **Acme Logistics B.V.**" in outcome.response.text
    outcome = await bot.say("link nope", user=MEMBER, locale="fr-FR")
    assert "Identifiant de compte inconnu" in outcome.response.text


class DownStore(MemoryStore):
    async def get(self, key: str) -> str | None:
        raise StoreUnavailable("down")

    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        raise StoreUnavailable("down")


async def test_when_the_store_is_down(catalog, clock):
    bot = Bot(catalog, clock, store=DownStore())
    whoami = (await bot.say("whoami")).response.text
    assert "Acme Logistics B.V." in whoami and "cannot reach my storage" in whoami
    link = (await bot.say("link globex-media", user=MEMBER)).response
    assert link.private and "storage" in link.text


async def test_a_customer_sentence_starting_with_a_member_command_is_a_question(catalog, clock):
    from tests.handlers.helpers import Bot

    bot = Bot(catalog, clock)
    outcome = await bot.say("link down on our port since this morning")
    assert outcome.intent != "link" and "Only members" not in str(outcome.response)
    refused = await bot.say("link acme-logistics")
    assert "Only members" in refused.response.text
