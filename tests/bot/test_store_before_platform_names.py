"""A store written by the version whose domain named Slack and Teams is read the same
now: queued team cards (their Teams service URL beside the target's other fields), run-time
links and language choices keyed by platform name, and the Teams adapter's
``teams:ref:`` conversation references. The values below are literally what that
version wrote."""

from __future__ import annotations

import json

import aiohttp

from bot.delivery import Deliverer
from bot.metrics import Metrics
from bot.stores.memory import MemoryStore
from bot.teams.connector import ConnectorPool
from bot.teams.notifier import TeamsNotifier
from bot.teams.state import ConversationReferences
from cards.model import Card, Text
from handlers.catalog import Catalog, Place
from handlers.escalations import SUBMIT
from handlers.outbox import OutboxItem
from handlers.ports import Target
from handlers.turn import ConversationKind, Where
from tests.fixtures_teams import botframework  # noqa: F401 - fixture
from tests.handlers.helpers import Bot, card_text

TEAM_CONVERSATION = "19:team@thread.tacv2"
GOOD = {"subject": "Cannot badge in", "category": "site_access", "urgency": "normal",
        "description": "Our engineers could not enter the IBX this morning."}


def old_item(service_url: str, tenant: str = "") -> str:
    """A team-card item as ``OutboxItem.dumps`` wrote it before targets had an address."""
    return json.dumps({"attempts": 0, "due": 0.0, "escalation": "ESC-000001", "event": 0, "id": "ESC-000001:team:teams",
                       "kind": "team", "last_error": "", "version": "0a1b2c3d4e5f",
                       "target": {"conversation": TEAM_CONVERSATION, "platform": "teams", "service_url": service_url,
                                  "tenant": tenant}}, separators=(",", ":"), sort_keys=True)


def test_an_old_item_reads_with_its_service_url_in_the_address_and_is_written_back_the_new_way():
    item = OutboxItem.loads(old_item("https://smba.example/emea/", "tenant-1"))
    assert item.target == Target("teams", TEAM_CONVERSATION, "tenant-1", {"service_url": "https://smba.example/emea/"})
    assert OutboxItem.loads(item.dumps()) == item
    assert json.loads(item.dumps())["target"] == {"platform": "teams", "conversation": TEAM_CONVERSATION,
                                                  "tenant": "tenant-1", "address": {"service_url": "https://smba.example/emea/"}}
    slack = OutboxItem.loads(old_item("").replace('"teams"', '"slack"'))
    assert slack.target == Target("slack", TEAM_CONVERSATION, "", {})


def teams_only(catalog: Catalog) -> Catalog:
    targets = {"teams": Place(conversation=TEAM_CONVERSATION)}
    return catalog.model_copy(update={"onboarding": catalog.onboarding.model_copy(update={"targets": targets})})


async def test_a_team_card_queued_by_the_old_version_is_delivered_at_its_service_url(catalog, clock, botframework):  # noqa: F811
    fake = botframework
    fake.require_token = False
    bot = Bot(teams_only(catalog), clock)
    await bot.submit(SUBMIT, GOOD)
    key = "outbox:item:ESC-000001:team:teams"
    assert json.loads(await bot.store.get(key) or "")["target"]["address"] == {}  # nothing named it: the reference will
    await bot.store.set(key, old_item(fake.service_url))  # as the old version queued it, with the URL from config
    async with aiohttp.ClientSession() as session:
        notifier = TeamsNotifier(ConnectorPool(session, None), ConversationReferences(bot.store))
        deliverer = Deliverer(bot.services, {"teams": notifier}, Metrics())
        assert await deliverer.run_once() == 1
    [sent] = await fake.wait_for("send", 1)
    assert sent.conversation == TEAM_CONVERSATION
    record = json.loads(await bot.store.get("esc:ESC-000001") or "")
    assert set(record["team_refs"]) == {"teams"}


async def test_an_old_conversation_reference_still_locates_a_team_target(botframework):  # noqa: F811
    fake = botframework
    store = MemoryStore()
    await store.set("teams:ref:" + TEAM_CONVERSATION, json.dumps({
        "bot_id": "28:bot", "bot_name": "AM11 Onboarding", "channel_id": "msteams", "conversation_id": TEAM_CONVERSATION,
        "conversation_type": "channel", "service_url": fake.service_url, "tenant_id": "tenant-1"}, sort_keys=True, separators=(",", ":")))
    fake.require_token = False
    async with aiohttp.ClientSession() as session:
        notifier = TeamsNotifier(ConnectorPool(session, None), ConversationReferences(store))
        located = await notifier.locate(Target("teams", TEAM_CONVERSATION))
        await notifier.post(Target("teams", TEAM_CONVERSATION), Card(title="x", blocks=(Text("y"),)))
    assert (located.tenant, located.address) == ("tenant-1", {"service_url": fake.service_url})
    [sent] = await fake.wait_for("send", 1)
    assert sent.conversation == TEAM_CONVERSATION


async def test_links_and_language_choices_stored_by_platform_name_still_apply(catalog, clock):
    store = MemoryStore()
    await store.set("link:v2:slack:C0NEWLINK", "globex-media")  # made with ``link``
    await store.set("link:slack:T0DEMO:C0OLDLINK", "initech-cloud")  # made before links dropped the workspace
    await store.set("link:v2:teams:19:linked@thread.tacv2", "initech-cloud")
    await store.set("lang:slack:T0DEMO:U0FRENCH", "fr")
    await store.set("link:user:slack:T0DEMO:U0FRENCH", "globex-media")  # the channel this user last used
    bot = Bot(catalog, clock, store)

    globex = card_text(await bot.say("team", where=Where("slack", "T0DEMO", "C0NEWLINK")))
    initech = card_text(await bot.say("team", where=Where("slack", "T0DEMO", "C0OLDLINK")))
    on_teams = card_text(await bot.say("team", where=Where("teams", "tenant-demo", "19:linked@thread.tacv2")))
    direct = await bot.say("team", where=Where("slack", "T0DEMO", "D0FRENCH", ConversationKind.DIRECT), user="U0FRENCH",
                           locale=None)
    assert "Camille Laurent" in globex and "Jonas Weber" in initech and "Jonas Weber" in on_teams
    assert direct.lang == "fr" and "Camille Laurent" in card_text(direct)
