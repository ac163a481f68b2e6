"""The members' App Home is published whatever the number of open escalations: through
HTTP (a signed ``app_home_opened``) against the fake Slack Web API, checking the view
Slack actually received."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from handlers.escalation_records import ACKNOWLEDGED, Escalation, Escalations, Event, Requester
from tests.bot.test_slack_http import post_signed
from tests.cards.validate import assert_valid_view
from tests.conftest import NOW
from tests.fakes.signing import event_body


async def _open_escalations(store: object, n: int) -> None:
    records = Escalations(store)  # type: ignore[arg-type]
    at = NOW.isoformat()
    for i in range(n):
        draft = Escalation(id="", account="acme-logistics", requester=Requester("slack", "T0DEMO", "C0DEMO00001", "channel", "U0C", "Chris"),
                           subject=f"Request number {i} with a subject of ordinary length", category="site_access",
                           urgency="urgent" if i % 3 == 0 else "normal", description="Badge does not work. " * 40,
                           lang="en", created_at=at, history=(Event(at, "Chris", "created"),))
        esc, _ = await records.create(draft, f"k{i}", NOW.timestamp() + 3600)
        # Every one acknowledged and assigned, with notes: the largest team cards there are.
        await records.change(esc.id, lambda e: replace(e, state=ACKNOWLEDGED, assignee="Iris Onboarding", history=(
            *e.history, Event(at, "Iris Onboarding", "acknowledged"), Event(at, "Iris Onboarding", "assigned", "on it"))))


@pytest.mark.parametrize("open_count", [0, 1, 12, 200])
async def test_the_members_home_is_published_at_any_number_of_open_escalations(slack_client, fake_slack, open_count):
    await _open_escalations(slack_client.store, open_count)
    event = {"type": "app_home_opened", "user": "U0ONBOARD1", "channel": "D0HOME", "tab": "home"}
    resp = await post_signed(slack_client, event_body(event, event_id=f"EvHome{open_count}"), content_type="application/json")
    assert resp.status == 200
    [call] = await fake_slack.wait_for("views.publish")
    view = call.args["view"]
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100
    print(f"{open_count} open escalations: home view of {len(view['blocks'])} blocks")
    shown = json.dumps(view, ensure_ascii=False)
    assert f"({open_count})" in shown  # the title counts them all
    if open_count:
        assert "ESC-000001" in shown and "esc.assign" in shown
    if open_count > 20:
        assert f"{open_count - 20} more open requests" in shown
