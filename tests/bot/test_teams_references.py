"""What the Teams adapter stores about a conversation is what its notifier reads back."""

from __future__ import annotations

import aiohttp
import pytest
from botbuilder.schema import Activity

from bot.stores.memory import MemoryStore
from bot.teams.activity import reference_of
from bot.teams.connector import ConnectorPool
from bot.teams.notifier import TeamsNotifier
from bot.teams.state import ConversationReferences
from cards.model import Card, Text
from handlers.ports import DeliveryError, StoreUnavailable, Target
from tests.fakes.botframework import TENANT_ID, channel_message
from tests.fixtures_teams import botframework  # noqa: F401 - fixture

CONVERSATION = "19:team@thread.tacv2"
CARD = Card(title="Hello", blocks=(Text("from the outbox"),), fallback="Hello")


async def test_the_notifier_completes_a_team_target_with_the_stored_service_url_and_tenant(botframework):  # noqa: F811
    store = MemoryStore()
    fake = botframework
    fake.require_token = False
    activity = Activity().deserialize(channel_message(fake, "<at>AM11 Onboarding</at> help", conversation=CONVERSATION))
    references = ConversationReferences(store)
    await references.remember(reference_of(activity))
    async with aiohttp.ClientSession() as session:
        notifier = TeamsNotifier(ConnectorPool(session, None), references)

        located = await notifier.locate(Target("teams", CONVERSATION))
        await notifier.post(Target("teams", CONVERSATION), CARD)

    assert located.address["service_url"] == fake.service_url
    assert located.tenant == TENANT_ID
    [sent] = await fake.wait_for("send", 1)
    assert sent.conversation == CONVERSATION


async def test_a_conversation_the_bot_never_heard_from_is_parked_but_a_store_blip_is_not():
    class Down(MemoryStore):
        async def get(self, key: str) -> str | None:
            raise StoreUnavailable("down")

    async with aiohttp.ClientSession() as session:
        never_heard = TeamsNotifier(ConnectorPool(session, None), ConversationReferences(MemoryStore()))
        with pytest.raises(DeliveryError) as refused:
            await never_heard.post(Target("teams", CONVERSATION), CARD)
        assert refused.value.permanent

        blip = TeamsNotifier(ConnectorPool(session, None), ConversationReferences(Down()))
        with pytest.raises(StoreUnavailable):
            await blip.post(Target("teams", CONVERSATION), CARD)
