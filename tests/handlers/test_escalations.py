"""Escalations through the router and the delivery loop, with recording notifiers."""

from __future__ import annotations

import pytest

from bot.delivery import Deliverer
from bot.metrics import Metrics
from cards.text import render_text
from handlers.escalation_records import Escalations
from handlers.escalations import ACK, ASSIGN, REOPEN, RESOLVE, RESOLVE_SUBMIT, SUBMIT
from handlers.ports import DeliveryError
from handlers.turn import FormErrors, OpenForm, Reply, TurnKind
from tests.fakes.notifier import RecordingNotifier
from tests.handlers.helpers import ACME, GLOBEX, ONBOARDING, UNLINKED, Bot, card_text

MEMBER = "U0ONBOARD1"
GOOD = {"subject": "Cannot badge in", "category": "site_access", "urgency": "normal",
        "description": "Our engineers could not enter the IBX this morning."}


@pytest.fixture
def bot(catalog, clock):
    return Bot(catalog, clock)


@pytest.fixture
def notifiers():
    return {"slack": RecordingNotifier("slack"), "teams": RecordingNotifier("teams")}


@pytest.fixture
def deliverer(bot, notifiers):
    return Deliverer(bot.services, notifiers, Metrics())


async def escalate(bot, data=None, **kw):
    outcome = await bot.submit(SUBMIT, data or GOOD, **kw)
    assert isinstance(outcome.response, Reply), outcome.response
    return outcome


async def test_escalate_opens_a_prefilled_form(bot):
    outcome = await bot.say("escalate badge does not work")
    assert isinstance(outcome.response, OpenForm)
    form = outcome.response.form
    assert [i.id for i in form.inputs] == ["subject", "category", "urgency", "description"]
    assert form.inputs[0].initial == "badge does not work"


async def test_button_and_shortcut_open_the_form(bot):
    assert isinstance((await bot.press("escalate.open")).response, OpenForm)
    from handlers.turn import Turn

    outcome = await bot.dispatcher.dispatch(Turn(TurnKind.SHORTCUT, ACME, "U0CUSTOMER", locale="en", text="The rack is hot", link="https://x.slack.com/p1"))
    form = outcome.response.form
    assert "The rack is hot" in form.inputs[3].initial and "https://x.slack.com/p1" in form.inputs[3].initial


async def test_escalation_needs_a_linked_conversation(bot):
    outcome = await bot.say("escalate", where=UNLINKED)
    assert isinstance(outcome.response, Reply) and "not linked" in outcome.response.text


async def test_invalid_input_stays_in_the_form_with_messages(bot):
    outcome = await bot.submit(SUBMIT, {"subject": "x", "category": "nope", "urgency": "", "description": "short"})
    assert isinstance(outcome.response, FormErrors)
    assert set(outcome.response.errors) == {"subject", "category", "urgency", "description"}
    assert await bot.store.get("seq:esc") is None  # nothing created


async def test_submit_confirms_with_a_reference_and_queues_the_team_card(bot, deliverer, notifiers):
    outcome = await escalate(bot)
    text = card_text(outcome)
    assert "ESC-000001" in text
    assert await deliverer.run_once() == 2  # Slack and Teams team channels
    [(target, card, _)] = notifiers["slack"].posts
    assert target.conversation == "C0ONBOARD01"
    rendered = render_text(card)
    assert "Acme Logistics" in rendered and "Cannot badge in" in rendered and "Acknowledge" in rendered
    assert notifiers["teams"].posts[0][0].conversation == "19:demo-onboarding@thread.tacv2"


async def test_urgent_confirmation_gives_the_phone_route_for_now(bot):
    onboarding = card_text(await escalate(bot, {**GOOD, "urgency": "urgent"}))
    assert "+31 20 555 0101" in onboarding and "Sanne de Vries" in onboarding  # account manager until access opens
    complete = card_text(await escalate(bot, {**GOOD, "urgency": "urgent"}, where=GLOBEX, locale="en"))
    assert "+31 20 808 0015" in complete


async def test_urgent_confirmation_in_french(bot):
    text = card_text(await escalate(bot, {**GOOD, "urgency": "urgent"}, locale="fr-FR"))
    assert "gestionnaire de compte" in text and "Urgente" in text


async def test_a_repeated_submit_creates_one_escalation(bot, deliverer, notifiers):
    first = await escalate(bot, dedupe_key="view-1")
    second = await escalate(bot, dedupe_key="view-1")
    assert "ESC-000001" in card_text(first) and "ESC-000001" in card_text(second)
    await deliverer.run_once()
    assert len(notifiers["slack"].posts) == 1
    assert await bot.store.get("seq:esc") == "1"


async def test_keys_written_before_the_atomic_create_still_find_their_escalation(bot):
    """Keys of the earlier format (claimed "pending" first, the id set last): an id is
    still found, so a request retried across an upgrade is one escalation; a "pending"
    left by a create that died is not waited on and blocks nothing."""
    await escalate(bot, dedupe_key="view-1")
    for key in ("idem:escalation:view-1", "idem:escalation:view-2"):
        await bot.store.delete(key)
    await bot.store.set("idem:esc:view-1", "ESC-000001")
    await bot.store.set("idem:esc:view-2", "pending")
    for name in ("subject", "description"):  # not the same form: only the request key can find it
        assert "ESC-000001" in card_text(await escalate(bot, {**GOOD, name: GOOD[name] + " again"}, dedupe_key="view-1"))
    assert "ESC-000002" in card_text(await escalate(bot, {**GOOD, "subject": "Badge again"}, dedupe_key="view-2"))
    assert await bot.store.get("seq:esc") == "2"


async def test_lifecycle_updates_the_team_card_and_tells_the_requester(bot, deliverer, notifiers):
    await escalate(bot)
    await deliverer.run_once()
    ack = await bot.press(ACK, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
    assert ack.response.replace and "Being handled" in card_text(ack)
    await deliverer.run_once()
    slack = notifiers["slack"]
    assert slack.updates[-1][1] == slack.posts[0][2]  # the same message, updated in place
    requester_posts = [p for p in slack.posts if p[0].conversation == "C0DEMO00001"]
    assert len(requester_posts) == 1 and "picked up" in render_text(requester_posts[0][1])

    assigned = await bot.press(ASSIGN, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
    assert "Iris Onboarding" in card_text(assigned)
    form = await bot.press(RESOLVE, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
    assert isinstance(form.response, OpenForm)
    done = await bot.submit(RESOLVE_SUBMIT, {"id": "ESC-000001", "note": "Badge re-issued"}, where=ONBOARDING, user=MEMBER)
    assert "resolved" in done.response.text
    await deliverer.run_once()
    customer = [render_text(p[1]) for p in slack.posts if p[0].conversation == "C0DEMO00001"]
    assert any("resolved" in c and "Badge re-issued" in c for c in customer)

    esc = await Escalations(bot.store).get("ESC-000001")
    assert [e.what for e in esc.history] == ["created", "acknowledged", "assigned", "resolved"]
    assert all(e.who and e.at for e in esc.history)

    status = card_text(await bot.say("status ESC-000001"))
    assert "Resolved" in status and "Badge re-issued" in status
    reopened = await bot.press(REOPEN, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
    assert "Being handled" in card_text(reopened)


@pytest.mark.parametrize("action,setup,expect", [
    (ACK, [ACK], "already acknowledged"),
    (RESOLVE_SUBMIT, [RESOLVE_SUBMIT], "already resolved"),
    (ACK, [RESOLVE_SUBMIT], "resolved; reopen it first"),
    (REOPEN, [], "nothing to reopen"),
    (ASSIGN, [ASSIGN], "already assigned to you"),
])
async def test_illegal_transitions_answer_clearly_and_change_nothing(bot, action, setup, expect):
    await escalate(bot)
    for step in setup:
        if step == RESOLVE_SUBMIT:
            await bot.submit(step, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
        else:
            await bot.press(step, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
    before = await Escalations(bot.store).get("ESC-000001")
    if action == RESOLVE_SUBMIT:
        outcome = await bot.submit(action, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
    else:
        outcome = await bot.press(action, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
    assert outcome.response.private and expect in outcome.response.text
    assert await Escalations(bot.store).get("ESC-000001") == before


async def test_only_members_may_act(bot):
    await escalate(bot)
    for action in (ACK, ASSIGN, RESOLVE, REOPEN):
        outcome = await bot.press(action, {"id": "ESC-000001"}, where=ONBOARDING, user="U0CUSTOMER")
        assert outcome.response.private and "Only members" in outcome.response.text
    assert (await Escalations(bot.store).get("ESC-000001")).state == "open"


async def test_status_never_shows_another_accounts_escalations(bot):
    await escalate(bot)
    other = card_text(await bot.say("status", where=GLOBEX, locale="en"))
    assert "ESC-000001" not in other
    assert "no request ESC-000001" in (await bot.say("status ESC-000001", where=GLOBEX, locale="en")).response.text
    assert "ESC-000001" in card_text(await bot.say("status"))


async def test_reminders_repeat_each_interval_until_acknowledged(bot, deliverer, notifiers, clock):
    await escalate(bot, {**GOOD, "urgency": "urgent"})  # 30 minutes in the demo config
    await deliverer.run_once()
    reminders = lambda: [p for p in notifiers["slack"].posts if "Still waiting" in p[1].title]
    clock.advance(minutes=29)
    await deliverer.run_once()
    assert reminders() == []
    clock.advance(minutes=2)
    await deliverer.run_once()
    await deliverer.run_once()
    assert len(reminders()) == 1
    clock.advance(minutes=31)
    await deliverer.run_once()
    assert len(reminders()) == 2
    await bot.press(ACK, {"id": "ESC-000001"}, where=ONBOARDING, user=MEMBER)
    clock.advance(minutes=120)
    await deliverer.run_once()
    assert len(reminders()) == 2


async def test_two_deliverers_on_one_store_announce_a_reminder_once(bot, notifiers, clock):
    one = Deliverer(bot.services, notifiers, Metrics())
    two = Deliverer(bot.services, notifiers, Metrics())
    await escalate(bot, {**GOOD, "urgency": "urgent"})
    clock.advance(minutes=31)
    await one.run_once()
    await two.run_once()
    await one.run_once()
    assert len([p for p in notifiers["slack"].posts if "Still waiting" in p[1].title]) == 1
    assert len([p for p in notifiers["slack"].posts if p[0].conversation == "C0ONBOARD01" and "Still" not in p[1].title]) == 1


async def test_failed_delivery_is_retried_with_backoff_then_delivered(bot, deliverer, notifiers, clock):
    notifiers["slack"].failures += [DeliveryError("HTTP 500"), DeliveryError("rate limited", retry_after=20)]
    await escalate(bot)
    await deliverer.run_once()
    assert notifiers["slack"].posts == []
    clock.advance(seconds=3)
    await deliverer.run_once()  # second failure: 429 with Retry-After 20
    assert notifiers["slack"].posts == []
    clock.advance(seconds=10)
    await deliverer.run_once()
    assert notifiers["slack"].posts == []  # still inside Retry-After
    clock.advance(seconds=15)
    await deliverer.run_once()
    assert len(notifiers["slack"].posts) == 1


async def test_permanent_failure_is_parked_and_reported(bot, deliverer, notifiers):
    notifiers["slack"].failures.append(DeliveryError("channel_not_found", permanent=True))
    await escalate(bot)
    await deliverer.run_once()
    detail, healthy = await deliverer.readiness()
    assert detail == {"pending": 0, "undeliverable": 1}  # counts only: /readyz is unauthenticated
    assert [d.id for d in await deliverer.outbox.dead()] == ["ESC-000001:team:slack"]
    assert len(notifiers["teams"].posts) == 1


async def test_app_home_for_members_and_customers(bot):
    from handlers.turn import ConversationKind, Turn, Where

    await escalate(bot)
    dm = Where("slack", "T0DEMO", "U0ONBOARD1", ConversationKind.DIRECT)
    home = (await bot.dispatcher.dispatch(Turn(TurnKind.HOME, dm, MEMBER, locale="en"))).response
    assert "ESC-000001" in " ".join(c.title for c in home.cards)
    cust = (await bot.dispatcher.dispatch(Turn(TurnKind.HOME, Where("slack", "T0DEMO", "U0X", ConversationKind.DIRECT), "U0X", locale="en"))).response
    assert all("ESC" not in c.title for c in cust.cards)
