"""Escalations: a customer reaches the onboarding team, and sees it handled.

Customer side: the form (``escalate``, the button, the message shortcut), the
confirmation with a reference, ``status``. Team side: the card in the team's channel
with Acknowledge / Assign to me / Resolve (members only), reminders, and the App
Home. Every delivery goes through the outbox, so nothing is lost when a platform or
the bot blips.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from cards.model import Card, Form, Note, Text, TextInput, user_text
from handlers import buttons
from handlers.context import Context, Services
from handlers.escalation_cards import (
    ACK,
    ASSIGN,
    CANCEL,
    REOPEN,
    RESOLVE,
    RESOLVE_SUBMIT,
    SHOW,
    SUBMIT,
    confirmation_card,
    detail_card,
    event_label,
    home_entry,
    may_see,
    state_label,
    team_card_for,
    when_label,
)
from handlers.escalation_form import SAME_FORM_SECONDS, escalation_form, mask_pins, same_form_key, validate
from handlers.escalation_records import (
    ACKNOWLEDGED,
    NOTIFY_GRACE,
    NOTIFY_INDEX,
    OPEN_INDEX,
    REMIND_INDEX,
    RESOLVED,
    Conflict,
    Escalation,
    Escalations,
    Event,
    Requester,
)
from handlers.escalation_targets import iso, remind_after, team_targets, team_translator
from handlers.insights import hooks as insights
from handlers.limits import ESCALATION_WINDOW, escalation_counter
from handlers.matching import IndexCache
from handlers.outbox import Outbox, OutboxItem
from handlers.ports import StoreUnavailable
from handlers.router import Route, Router
from handlers.turn import FormErrors, Home, OpenForm, Reply, Response, Turn, TurnKind

_ID = re.compile(r"\bESC-?(\d{1,9})\b", re.IGNORECASE)


class Refused(Exception):
    """A team action that is not allowed in the escalation's current state."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


# -- time and targets -----------------------------------------------------------------






async def queue_notifications(services: Services, esc: Escalation) -> Escalation:
    """Queue what events ``esc.notified`` .. the last one owe, and record that they are queued.

    Event 0 (created) owes the team card; every later event owes a team-card update and
    a message to the requester. Item ids are deterministic, so running this twice (a
    retry, the sweep after a crash) queues nothing twice. Returns the updated record.
    """
    outbox = Outbox(services.store)
    now = services.clock().timestamp()
    total = len(esc.history)
    if esc.notified < total:
        for target in team_targets(services.catalog, services.platforms):
            await outbox.put(OutboxItem(f"{esc.id}:team:{target.platform}", "team", esc.id, target), now)
        for event in range(max(esc.notified, 1), total):
            item = OutboxItem(f"{esc.id}:requester:{event}", "requester", esc.id, esc.requester.target(), event=event)
            await outbox.put(item, now)
        _, esc = await Escalations(services.store).change(esc.id, lambda e: replace(e, notified=max(e.notified, total)))
        services.wake_outbox()
    await services.store.index_remove(NOTIFY_INDEX, esc.id)
    return esc




# -- labels ---------------------------------------------------------------------------










# -- customer side --------------------------------------------------------------------


async def open_form(turn: Turn, ctx: Context) -> Response:
    if turn.kind is TurnKind.SHORTCUT:
        description = turn.text + (f"\n\n{turn.link}" if turn.link else "")
        return OpenForm(escalation_form(ctx, description=description.strip(), link=turn.link))
    return OpenForm(escalation_form(ctx, subject=turn.text if turn.kind is not TurnKind.ACTION else ""))








async def submit(turn: Turn, ctx: Context, indexes: IndexCache | None = None) -> Response:
    assert ctx.account is not None
    values, errors = validate(ctx, dict(turn.data))
    if errors:
        return FormErrors(errors)
    masked = False
    if indexes is not None:
        for name in ("subject", "description"):
            values[name], hit = mask_pins(indexes, ctx, values[name])
            masked = masked or hit
    now = ctx.now()
    who = turn.user_name or turn.user_id
    draft = Escalation(
        id="",
        account=ctx.account.id,
        requester=Requester(turn.platform, turn.where.tenant, turn.where.conversation, turn.where.kind.value, turn.user_id, turn.user_name),
        subject=values["subject"],
        category=values["category"],
        urgency=values["urgency"],
        description=values["description"],
        lang=ctx.lang,
        created_at=iso(now),
        link=str(turn.data.get("link", ""))[:500],
        history=(Event(iso(now), who, "created"),),
    )
    records = Escalations(ctx.store)
    content = same_form_key(turn, values, draft.link)
    try:
        earlier = await records.find(turn.dedupe_key, content)
        if earlier is None:
            refused = await _over_escalation_limit(turn, ctx)
            if refused is not None:
                return FormErrors({"description": refused})
            esc, created = await records.create(draft, turn.dedupe_key, now.timestamp() + remind_after(ctx.catalog, values["urgency"]),
                                          content_key=content, content_ttl=SAME_FORM_SECONDS)
        else:
            esc, created = earlier, False
        if created:
            await insights.escalation_created(ctx.services, esc)
        esc = await queue_notifications(ctx.services, esc)
    except StoreUnavailable:
        # Keep the form open: sending it again reuses the same idempotency key, so a
        # record that was written after all is found, not created twice.
        return FormErrors({"description": ctx.t("error.store_down")})
    return Reply(card=confirmation_card(ctx, esc, pin_masked=masked))




async def _over_escalation_limit(turn: Turn, ctx: Context) -> str | None:
    """The polite refusal when this user already sent the most escalations a ten-minute
    window allows (a script or a stuck client); None when this one may go."""
    counter = escalation_counter(turn, ctx.services.limits, ctx.now().timestamp())
    if counter is None:
        return None
    key, allowed = counter
    if await ctx.store.incr(key, ttl=2 * ESCALATION_WINDOW) <= allowed:
        return None
    return ctx.t("esc.error.too_many", n=allowed, minutes=ESCALATION_WINDOW // 60)




async def cancel(turn: Turn, ctx: Context) -> Response:
    """The Cancel button of a form shown in the conversation: the form gives way to a
    line saying nothing was sent."""
    text = ctx.t("esc.form.cancelled")
    return Reply(card=Card(title="", blocks=(Text(text),), fallback=text), replace=True)


async def status(turn: Turn, ctx: Context) -> Response:
    t = ctx.t
    records = Escalations(ctx.store)
    wanted = _ID.search(turn.text or turn.data.get("id", ""))
    if wanted:
        esc = await records.get(f"ESC-{int(wanted.group(1)):06d}")
        if esc is None or not may_see(ctx, esc):
            return Reply(text=t("esc.status.not_found", id=wanted.group(0).upper()), private=True)
        return Reply(card=detail_card(ctx, esc), private=ctx.account is None)
    # A member of the onboarding team, outside a customer's conversation (their team's
    # channel, a personal chat), follows every account's open requests; in a customer's
    # conversation everyone sees that customer's requests, and only those.
    if ctx.account is not None:
        items = await records.for_account(ctx.account.id, limit=10)
        title = t("esc.status.title", account=ctx.account.name)
        none = t("esc.status.none", escalate=ctx.cmd("escalate"))
    elif ctx.member is not None:
        items = await records.open(limit=10)
        title = t("esc.status.title_team")
        none = t("esc.status.none_team")
    else:
        from handlers.router import not_linked

        return not_linked(ctx)
    if not items:
        return Reply(text=none, private=ctx.account is None)
    blocks: list[Text | Note] = []
    for esc in items:
        blocks.append(Text(t("esc.status.line", id=esc.id, subject=user_text(esc.subject), state=state_label(t, esc),
                             when=when_label(t, esc.created_at))))
        if esc.history:
            last = esc.history[-1]
            blocks.append(Note(event_label(t, last)))
    return Reply(card=Card(title=title, blocks=tuple(blocks), fallback=title), private=ctx.account is None)






# -- team side ------------------------------------------------------------------------






def _transition(action: str, who: str, at: str, note: str = "") -> Callable[[Escalation], Escalation]:
    """The state change ``action`` as a pure function of the record, for compare-and-set;
    it raises ``Refused`` for a change the current state does not allow."""
    def mutate(esc: Escalation) -> Escalation:
        if action == "acknowledged":
            if esc.state == ACKNOWLEDGED:
                raise Refused("esc.refused.already_acknowledged", id=esc.id)
            if esc.state == RESOLVED:
                raise Refused("esc.refused.resolved", id=esc.id)
            return replace(esc, state=ACKNOWLEDGED, history=(*esc.history, Event(at, who, "acknowledged")))
        if action == "assigned":
            if esc.state == RESOLVED:
                raise Refused("esc.refused.resolved", id=esc.id)
            if esc.assignee == who:
                raise Refused("esc.refused.already_yours", id=esc.id)
            return replace(esc, state=ACKNOWLEDGED, assignee=who, history=(*esc.history, Event(at, who, "assigned")))
        if action == "resolved":
            if esc.state == RESOLVED:
                raise Refused("esc.refused.already_resolved", id=esc.id)
            return replace(esc, state=RESOLVED, history=(*esc.history, Event(at, who, "resolved", note)))
        if action == "reopened":
            if esc.state != RESOLVED:
                raise Refused("esc.refused.not_resolved", id=esc.id)
            return replace(esc, state=ACKNOWLEDGED, history=(*esc.history, Event(at, who, "reopened", note)))
        raise ValueError(action)

    return mutate


async def _act(turn: Turn, ctx: Context, action: str, note: str = "") -> Response:
    assert ctx.member is not None
    esc_id = str(turn.data.get("id", ""))
    records = Escalations(ctx.store)
    if await records.get(esc_id) is not None:
        # Write-ahead mark: if we die between the change and queueing its notifications,
        # the delivery loop's sweep queues them.
        await records.mark_unnotified(esc_id, ctx.now().timestamp() + NOTIFY_GRACE)
    try:
        before, esc = await records.change(esc_id, _transition(action, ctx.member.name, iso(ctx.now()), note))
    except KeyError:
        return Reply(text=ctx.t("esc.status.not_found", id=esc_id or "?"), private=True)
    except Refused as refused:
        return Reply(text=ctx.t(refused.key, **refused.values), private=True)
    except Conflict:
        return Reply(text=ctx.t("error.internal"), private=True)
    insights.escalation_changed(ctx.services, before, esc)
    store = ctx.store
    if esc.state == RESOLVED or action in ("acknowledged", "assigned"):
        await store.index_remove(REMIND_INDEX, esc.id)
    if esc.state == RESOLVED:
        await store.index_remove(OPEN_INDEX, esc.id)
    elif action == "reopened":
        await store.index_put(OPEN_INDEX, esc.id, esc.created.timestamp())
    esc = await queue_notifications(ctx.services, esc)
    card = team_card_for(ctx.catalog, team_translator(ctx.services), esc)
    if turn.kind is TurnKind.SUBMIT:
        return Reply(text=ctx.t("esc.resolved_ack", id=esc.id), private=True)
    return Reply(card=card, replace=True)


async def acknowledge(turn: Turn, ctx: Context) -> Response:
    return await _act(turn, ctx, "acknowledged")


async def assign(turn: Turn, ctx: Context) -> Response:
    return await _act(turn, ctx, "assigned")


async def resolve(turn: Turn, ctx: Context) -> Response:
    """Resolve asks for an optional note first; the form's submit does the change."""
    esc_id = str(turn.data.get("id", ""))
    esc = await Escalations(ctx.store).get(esc_id)
    if esc is None:
        return Reply(text=ctx.t("esc.status.not_found", id=esc_id or "?"), private=True)
    if esc.state == RESOLVED:
        return Reply(text=ctx.t("esc.refused.already_resolved", id=esc.id), private=True)
    t = ctx.t
    return OpenForm(Form(
        title=t("esc.resolve.title"),
        action=RESOLVE_SUBMIT,
        intro=t("esc.resolve.intro", id=esc.id, subject=user_text(esc.subject)),
        submit_label=t("esc.resolve.submit"),
        cancel_label=t("esc.form.cancel"),
        data={"id": esc.id},
        inputs=(TextInput("note", t("esc.resolve.note"), placeholder=t("esc.resolve.note_hint"), multiline=True,
                          required=False, max_length=1000),),
    ))


async def resolve_submit(turn: Turn, ctx: Context) -> Response:
    note = str(turn.data.get("note", "") or "").strip()[:1000]
    return await _act(turn, ctx, "resolved", note)


async def reopen(turn: Turn, ctx: Context) -> Response:
    return await _act(turn, ctx, "reopened")


async def show(turn: Turn, ctx: Context) -> Response:
    return await status(replace(turn, text=str(turn.data.get("id", ""))), ctx)


HOME_ITEMS = 20
"""Open escalations the App Home lists, oldest first: four blocks each (title, one
line, buttons, divider), so the view stays well inside a home tab's limit of 100 blocks however many
are open; the rest are counted under the list."""
HOME_COUNT_CAP = 1000




async def home(turn: Turn, ctx: Context) -> Response:
    """The home tab: the team's open escalations for members; for a customer, their
    account (when their user is known) or how to reach the bot."""
    t = ctx.t
    if ctx.member is not None:
        entries = await ctx.store.index_range(OPEN_INDEX, limit=HOME_COUNT_CAP)
        total = len(entries)
        items = await Escalations(ctx.store).get_many([member for member, _ in entries[:HOME_ITEMS]])
        blocks: tuple = (Text(t("esc.home.intro")),) if items else (Text(t("esc.home.empty")),)
        cards = [Card(title=t("esc.home.title", n=f"{total}+" if total >= HOME_COUNT_CAP else total), blocks=blocks)]
        team_t = team_translator(ctx.services)
        cards += [home_entry(ctx.catalog, team_t, esc) for esc in items]
        if total > len(items):
            more = f"{total - len(items)}+" if total >= HOME_COUNT_CAP else str(total - len(items))
            cards.append(Card(title="", blocks=(Note(t("esc.home.more", n=more)),)))
        cards += await usage_cards(ctx)
        return Home(tuple(cards))
    from handlers.help import customer_home

    return Home(customer_home(ctx))


async def usage_cards(ctx: Context) -> tuple[Card, ...]:
    """The members' usage summary and "not sure" questions, below their escalations."""
    from handlers.insights.views import home_cards

    return await home_cards(ctx)


def register(router: Router, indexes: IndexCache | None = None) -> None:
    """``indexes``: the matcher's tables the question path built at start-up (PINs are
    found the way it finds them). Without it, a second copy is built on the first
    submit: after start-up froze its objects, so every full collection walks it again
    (about 50k objects, tens of ms each time, measured in ``./dev bench``'s submits)."""
    start = Route("escalate", open_form, needs_account=True)
    router.command(("escalate", "escalade", "escalader"), start)
    router.action(buttons.OPEN_ESCALATION, start)
    router.on(TurnKind.SHORTCUT, start)
    tables = indexes if indexes is not None else IndexCache()
    if indexes is None:
        router.warm_up(lambda catalog: tables.get(catalog.routing))

    async def submit_masked(turn: Turn, ctx: Context) -> Response:
        return await submit(turn, ctx, tables)

    router.submit(SUBMIT, Route("escalate.submit", submit_masked, needs_account=True))
    router.action(CANCEL, Route("escalate.cancel", cancel))
    router.command(("status", "statut"), Route("status", status))
    router.action(SHOW, Route("status", show))
    router.action(ACK, Route("esc.ack", acknowledge, needs_member=True))
    router.action(ASSIGN, Route("esc.assign", assign, needs_member=True))
    router.action(RESOLVE, Route("esc.resolve", resolve, needs_member=True))
    router.submit(RESOLVE_SUBMIT, Route("esc.resolve", resolve_submit, needs_member=True))
    router.action(REOPEN, Route("esc.reopen", reopen, needs_member=True))
    router.on(TurnKind.HOME, Route("home", home))
