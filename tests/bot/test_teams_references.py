"""What the Teams adapter stores about a conversation is what the delivery loop reads back."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.delivery import Deliverer
from bot.metrics import Metrics
from bot.stores.memory import MemoryStore
from bot.teams import ConversationReferences, reference_of
from handlers.context import Services
from handlers.ports import Target
from tests.fakes.botframework import TENANT_ID, channel_message
from tests.fixtures_teams import botframework  # noqa: F401 - fixture


async def test_delivery_completes_a_team_target_with_the_stored_service_url_and_tenant(botframework, catalog, clock):  # noqa: F811
    store = MemoryStore()
    fake = botframework
    activity = Activity().deserialize(channel_message(fake, "<at>AM11 Onboarding</at> help", conversation="19:team@thread.tacv2"))
    await ConversationReferences(store).remember(reference_of(activity))
    deliverer = Deliverer(Services(catalog=catalog, store=store, clock=clock), {}, Metrics())

    completed = await deliverer._complete(Target("teams", "19:team@thread.tacv2"))

    assert completed.service_url == fake.service_url
    assert completed.tenant == TENANT_ID
