"""A Slack channel id is the same in every workspace sharing the channel (Slack Connect,
Enterprise Grid): ``link`` and ``unlink`` apply to the channel, whichever workspace
(team_id) a later request comes from, as ``config/accounts.yaml`` does. Through HTTP."""

from __future__ import annotations

from tests.bot.test_slack_http import post_signed
from tests.fakes.signing import command_body

MEMBER = "U0ONBOARD1"
ACME_PERSON = "Sanne de Vries"  # Acme's account manager in the demo config


async def _team(client, channel: str, team: str) -> str:
    resp = await post_signed(client, command_body("team", channel=channel, team=team, user="U0GUEST"))
    assert resp.status == 200
    return await resp.text()


async def test_unlink_in_one_workspace_applies_to_the_shared_channel_in_every_workspace(slack_client):
    assert ACME_PERSON in await _team(slack_client, "C0DEMO00001", "T0OTHER")  # config links the channel
    resp = await post_signed(slack_client, command_body("unlink", channel="C0DEMO00001", team="T0DEMO", user=MEMBER))
    assert resp.status == 200
    assert ACME_PERSON not in await _team(slack_client, "C0DEMO00001", "T0DEMO")
    assert ACME_PERSON not in await _team(slack_client, "C0DEMO00001", "T0OTHER")
    assert ACME_PERSON not in await _team(slack_client, "C0DEMO00001", "E0GRID")


async def test_link_in_one_workspace_applies_to_the_shared_channel_in_every_workspace(slack_client):
    assert ACME_PERSON not in await _team(slack_client, "C0UNLINKED1", "T0OTHER")
    await post_signed(slack_client, command_body("link acme-logistics", channel="C0UNLINKED1", team="T0DEMO", user=MEMBER))
    assert ACME_PERSON in await _team(slack_client, "C0UNLINKED1", "T0OTHER")


async def test_links_stored_per_workspace_before_are_still_read_until_relinked(slack_client):
    await slack_client.store.set("link:slack:T0DEMO:C0UNLINKED1", "acme-logistics")  # the former key
    assert ACME_PERSON in await _team(slack_client, "C0UNLINKED1", "T0DEMO")
    await post_signed(slack_client, command_body("unlink", channel="C0UNLINKED1", team="T0DEMO", user=MEMBER))
    assert await slack_client.store.get("link:slack:T0DEMO:C0UNLINKED1") is None
    assert ACME_PERSON not in await _team(slack_client, "C0UNLINKED1", "T0DEMO")
