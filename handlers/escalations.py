"""Escalations: a customer reaches the onboarding team, and sees it handled.

Customer side: the form (``escalate``, the button, the message shortcut), the
confirmation with a reference, ``status``. Team side: the card in the team's channel
with Acknowledge / Assign to me / Resolve (members only), reminders, and the App
Home. Every delivery goes through the outbox, so nothing is lost when a platform or
the bot blips.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

from cards.model import Button, Card, Choice, Divider, Fields, Form, Note, SelectInput, Style, Text, TextInput, clean_user_text, user_text
from handlers import buttons
from handlers.catalog import Catalog
from handlers.context import Context, Services
from handlers.escalation_records import (
    ACKNOWLEDGED,
    CATEGORIES,
    NOTIFY_GRACE,
    NOTIFY_INDEX,
    OPEN,
    OPEN_INDEX,
    REMIND_INDEX,
    RESOLVED,
    URGENCIES,
    Conflict,
    Escalation,
    Escalations,
    Event,
    Requester,
)
from handlers.i18n import Translator
from handlers.insights import hooks as insights
from handlers.limits import ESCALATION_WINDOW, escalation_counter
from handlers.matching import IndexCache, match
from handlers.matching import mask_pins as _mask_numbers
from handlers.outbox import Outbox, OutboxItem
from handlers.ports import StoreUnavailable, Target
from handlers.router import Route, Router
from handlers.status_line import urgent_line
from handlers.turn import FormErrors, Home, OpenForm, Reply, Response, Turn, TurnKind

SUBMIT = "escalation.submit"
ACK = "esc.ack"
ASSIGN = "esc.assign"
RESOLVE = "esc.resolve"
RESOLVE_SUBMIT = "esc.resolve.submit"
REOPEN = "esc.reopen"
CANCEL = "escalation.cancel"
SHOW = "esc.show"

_ID = re.compile(r"\bESC-?(\d{1,9})\b", re.IGNORECASE)
_LIMITS = {"subject": (3, 150), "description": (10, 3000)}
SAME_FORM_SECONDS = 600.0  # the same form sent again within this time is the same escalation


class Refused(Exception):
    """A team action that is not allowed in the escalation's current state."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


# -- time and targets -----------------------------------------------------------------
def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def remind_after(catalog: Catalog, urgency: str) -> float:
    return 60.0 * catalog.onboarding.remind_after_minutes.get(urgency, 240)  # type: ignore[call-overload]


def team_targets(catalog: Catalog, platforms: frozenset[str] | None = None) -> list[Target]:
    """Where the onboarding team's cards go: each place ``config/`` names, on the
    platforms this server serves (``platforms``; None: all of them)."""
    return [Target(platform, place.conversation, place.tenant, dict(place.address))
            for platform, place in catalog.onboarding.targets.items() if platforms is None or platform in platforms]


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


def team_translator(services: Services) -> Translator:
    """The onboarding team reads its cards in its own language, whoever pressed a button."""
    return Translator(services.catalog.onboarding.language, services.catalog.texts, services.strict_texts)


# -- labels ---------------------------------------------------------------------------
def _state(t: Translator, esc: Escalation) -> str:
    return t(f"esc.state.{esc.state}")


def _who(t: Translator, name: str) -> str:
    return user_text(name) or t("esc.someone")


def _when(t: Translator, iso: str) -> str:
    moment = dt.datetime.fromisoformat(iso)
    return t("esc.at", date=t.date(moment.date()), time=moment.strftime("%H:%M"))


def _history(t: Translator, esc: Escalation) -> list[Note]:
    return [Note(_event(t, e)) for e in esc.history[-8:]]


def _event(t: Translator, event: Event) -> str:
    text = t(f"esc.event.{event.what}", who=_who(t, event.who), when=_when(t, event.at))
    return text + (" " + t("esc.note", note=user_text(event.note)) if event.note else "")


# -- customer side --------------------------------------------------------------------
def escalation_form(ctx: Context, *, subject: str = "", description: str = "", link: str = "") -> Form:
    """The form, with the urgent rule under its intro: the onboarding team answers in
    working time, so an urgent problem also needs the way that applies today."""
    t = ctx.t
    categories = tuple(Choice(c, t(f"esc.category.{c}")) for c in CATEGORIES)
    urgencies = tuple(Choice(u, t(f"esc.urgency.{u}")) for u in URGENCIES)
    intro = t("esc.form.intro", status=ctx.cmd("status"))
    if ctx.account is not None:
        intro += "\n\n" + urgent_line(ctx)
    return Form(
        title=t("esc.form.title"),
        action=SUBMIT,
        intro=intro,
        submit_label=t("esc.form.submit"),
        cancel_label=t("esc.form.cancel"),
        cancel_action=CANCEL,
        data={"link": link[:500]} if link else {},
        inputs=(
            TextInput("subject", t("esc.form.subject"), placeholder=t("esc.form.subject_hint"), initial=subject[:150],
                      max_length=150, error=t("esc.error.subject_missing")),
            SelectInput("category", t("esc.form.category"), categories, placeholder=t("esc.form.category_hint"),
                        error=t("esc.error.category_missing")),
            SelectInput("urgency", t("esc.form.urgency"), urgencies, initial="normal", error=t("esc.error.urgency_missing")),
            TextInput("description", t("esc.form.description"), placeholder=t("esc.form.description_hint"),
                      initial=description[:3000], multiline=True, max_length=3000, error=t("esc.error.description_missing")),
        ),
    )


async def open_form(turn: Turn, ctx: Context) -> Response:
    if turn.kind is TurnKind.SHORTCUT:
        description = turn.text + (f"\n\n{turn.link}" if turn.link else "")
        return OpenForm(escalation_form(ctx, description=description.strip(), link=turn.link))
    return OpenForm(escalation_form(ctx, subject=turn.text if turn.kind is not TurnKind.ACTION else ""))


def validate(ctx: Context, data: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Clean values and per-input error messages (empty when the form is valid)."""
    t = ctx.t
    values = {k: clean_user_text(str(data.get(k, "") or "")).strip() for k in ("subject", "category", "urgency", "description")}
    errors: dict[str, str] = {}
    for name, (low, high) in _LIMITS.items():
        if not values[name]:
            errors[name] = t(f"esc.error.{name}_missing")
        elif len(values[name]) < low:
            errors[name] = t("esc.error.too_short", n=low)
        elif len(values[name]) > high:
            errors[name] = t("esc.error.too_long", n=high)
    if values["category"] not in CATEGORIES:
        errors["category"] = t("esc.error.category") if values["category"] else t("esc.error.category_missing")
    if values["urgency"] not in URGENCIES:
        errors["urgency"] = t("esc.error.urgency") if values["urgency"] else t("esc.error.urgency_missing")
    return values, errors


PIN_MASK = "••••"


def mask_pins(indexes: IndexCache, ctx: Context, text: str) -> tuple[str, bool]:
    """``text`` with what the question path takes for a service-desk PIN (a PIN word of
    ``routing.yaml`` and a 4-digit number that is not a year or a standard) masked, and
    whether anything was. A code is never stored, nor forwarded to the team."""
    if not text or not match(indexes.get(ctx.catalog.routing), text).pin:
        return text, False
    return _mask_numbers(text, PIN_MASK)


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
        created_at=_iso(now),
        link=str(turn.data.get("link", ""))[:500],
        history=(Event(_iso(now), who, "created"),),
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


def same_form_key(turn: Turn, values: dict[str, str], link: str) -> str:
    """The same form sent twice by the same person from the same conversation: one key,
    whatever request carried it (pressing Send twice can make two requests with two
    ids). Spacing and case in the texts do not make a form different."""
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    parts = (turn.platform, turn.where.tenant, turn.where.conversation, turn.user_id,
             norm(values["subject"]), values["category"], values["urgency"], norm(values["description"]), norm(link))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


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


def confirmation_card(ctx: Context, esc: Escalation, *, pin_masked: bool = False) -> Card:
    t = ctx.t
    blocks: list = [
        Text(t("esc.confirm.body", id=esc.id)),
        Fields(((t("esc.field.subject"), user_text(esc.subject)), (t("esc.field.category"), t(f"esc.category.{esc.category}")),
                (t("esc.field.urgency"), t(f"esc.urgency.{esc.urgency}")))),
        Text(t("esc.confirm.next")),
    ]
    if esc.urgency == "urgent":
        # An urgent request's confirmation opens with what to do right now.
        blocks.insert(0, Text(urgent_line(ctx)))
    if pin_masked:
        blocks.append(Note(t("esc.confirm.pin_masked", mask=PIN_MASK)))
    return Card(
        title=t("esc.confirm.title", id=esc.id),
        blocks=tuple(blocks),
        buttons=(Button(t("esc.button.status"), SHOW, {"id": esc.id}), buttons.team(ctx)),
        fallback=t("esc.confirm.fallback", id=esc.id),
    )


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
        if esc is None or not _may_see(ctx, esc):
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
        blocks.append(Text(t("esc.status.line", id=esc.id, subject=user_text(esc.subject), state=_state(t, esc),
                             when=_when(t, esc.created_at))))
        if esc.history:
            last = esc.history[-1]
            blocks.append(Note(_event(t, last)))
    return Reply(card=Card(title=title, blocks=tuple(blocks), fallback=title), private=ctx.account is None)


def _may_see(ctx: Context, esc: Escalation) -> bool:
    if ctx.account is not None:
        return esc.account == ctx.account.id
    return ctx.member is not None


def detail_card(ctx: Context, esc: Escalation) -> Card:
    t = ctx.t
    blocks: list = [
        Fields(((t("esc.field.state"), _state(t, esc)), (t("esc.field.category"), t(f"esc.category.{esc.category}")),
                (t("esc.field.urgency"), t(f"esc.urgency.{esc.urgency}")),
                (t("esc.field.assignee"), esc.assignee or t("esc.nobody")))),
        Text(user_text(esc.description)),
        Divider(),
        *_history(t, esc),
    ]
    return Card(title=f"{esc.id} · {user_text(esc.subject)}", blocks=tuple(blocks), fallback=f"{esc.id}: {_state(t, esc)}")


# -- team side ------------------------------------------------------------------------
def team_card_for(catalog: Catalog, t: Translator, esc: Escalation) -> Card:
    """The card in the onboarding team's channel; rebuilt from the record on every change."""
    account = catalog.account(esc.account)
    requester = user_text(esc.requester.user_name or esc.requester.user_id)
    fields = (
        (t("esc.field.account"), account.name if account else esc.account),
        (t("esc.field.requester"), t("esc.requester", who=requester, platform=esc.requester.platform.capitalize())),
        (t("esc.field.category"), t(f"esc.category.{esc.category}")),
        (t("esc.field.urgency"), t(f"esc.urgency.{esc.urgency}")),
        (t("esc.field.state"), _state(t, esc)),
        (t("esc.field.assignee"), esc.assignee or t("esc.nobody")),
    )
    blocks: list = [Fields(fields), Text(user_text(esc.description))]
    if esc.link:
        blocks.append(Text(t("esc.link", url=esc.link)))
    blocks += [Divider(), *_history(t, esc)]
    data = {"id": esc.id}
    if esc.state == RESOLVED:
        row: tuple[Button, ...] = (Button(t("esc.button.reopen"), REOPEN, data),)
    else:
        row = tuple(
            b for b in (
                Button(t("esc.button.ack"), ACK, data, style=Style.PRIMARY) if esc.state == OPEN else None,
                Button(t("esc.button.assign"), ASSIGN, data),
                Button(t("esc.button.resolve"), RESOLVE, data),
            ) if b is not None
        )
    urgent = "🔴 " if esc.urgency == "urgent" else ""
    return Card(
        title=f"{urgent}{esc.id} · {user_text(esc.subject)}",
        blocks=tuple(blocks),
        buttons=row,
        fallback=t("esc.team.fallback", id=esc.id, account=account.name if account else esc.account, state=_state(t, esc)),
    )


def requester_card(catalog: Catalog, t: Translator, esc: Escalation, event: int) -> Card:
    entry = esc.history[min(event, len(esc.history) - 1)]
    body = t(f"esc.update.{entry.what}", id=esc.id, who=_who(t, entry.who), team_name=catalog.onboarding.name_in(t.lang))
    if entry.note:
        body += " " + t("esc.note", note=user_text(entry.note))
    return Card(
        title=t("esc.update.title", id=esc.id, subject=user_text(esc.subject)),
        blocks=(Text(body), Note(_when(t, entry.at))),
        buttons=(Button(t("esc.button.status"), SHOW, {"id": esc.id}),),
        fallback=body,
    )


def reminder_card(catalog: Catalog, t: Translator, esc: Escalation, now: dt.datetime) -> Card:
    waited = int((now - esc.created).total_seconds() // 60)
    account = catalog.account(esc.account)
    body = t("esc.reminder.body", id=esc.id, account=account.name if account else esc.account,
             minutes=waited, urgency=t(f"esc.urgency.{esc.urgency}"))
    return Card(
        title=t("esc.reminder.title", id=esc.id, subject=user_text(esc.subject)),
        blocks=(Text(body),),
        buttons=(Button(t("esc.button.ack"), ACK, {"id": esc.id}, style=Style.PRIMARY),
                 Button(t("esc.button.assign"), ASSIGN, {"id": esc.id})),
        fallback=body,
    )


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
        before, esc = await records.change(esc_id, _transition(action, ctx.member.name, _iso(ctx.now()), note))
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


def home_entry(catalog: Catalog, t: Translator, esc: Escalation) -> Card:
    """One open escalation in the App Home: the team card's title and buttons, and one
    line (account, state, assignee) instead of the card's fields, text and history."""
    full = team_card_for(catalog, t, esc)
    account = catalog.account(esc.account)
    line = " · ".join((account.name if account else esc.account, _state(t, esc), user_text(esc.assignee) or t("esc.nobody")))
    return Card(title=full.title, blocks=(Text(line),), buttons=full.buttons, fallback=full.fallback)


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
