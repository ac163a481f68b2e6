"""The escalation cards: what the customer sees (the confirmation, the detail of one
request) and what the onboarding team sees (the team card, updates to the requester,
reminders, App Home entries), and the actions their buttons carry.

Pure functions of an escalation record and the texts, split from ``handlers.escalations``
(the form, the state changes, the routes), which re-exports them.
"""

from __future__ import annotations

import datetime as dt

from cards.model import Button, Card, Divider, Fields, Note, Style, Text, user_text
from handlers import buttons
from handlers.catalog import Catalog
from handlers.context import Context
from handlers.escalation_records import (
    OPEN,
    RESOLVED,
    Escalation,
    Event,
)
from handlers.i18n import Translator
from handlers.status_line import urgent_line

SUBMIT = "escalation.submit"
ACK = "esc.ack"
ASSIGN = "esc.assign"
RESOLVE = "esc.resolve"
RESOLVE_SUBMIT = "esc.resolve.submit"
REOPEN = "esc.reopen"
CANCEL = "escalation.cancel"
SHOW = "esc.show"
PIN_MASK = "••••"


def state_label(t: Translator, esc: Escalation) -> str:
    return t(f"esc.state.{esc.state}")


def who_label(t: Translator, name: str) -> str:
    return user_text(name) or t("esc.someone")


def when_label(t: Translator, iso: str) -> str:
    moment = dt.datetime.fromisoformat(iso)
    return t("esc.at", date=t.date(moment.date()), time=moment.strftime("%H:%M"))


def history_notes(t: Translator, esc: Escalation) -> list[Note]:
    return [Note(event_label(t, e)) for e in esc.history[-8:]]


def event_label(t: Translator, event: Event) -> str:
    text = t(f"esc.event.{event.what}", who=who_label(t, event.who), when=when_label(t, event.at))
    return text + (" " + t("esc.note", note=user_text(event.note)) if event.note else "")


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


def may_see(ctx: Context, esc: Escalation) -> bool:
    if ctx.account is not None:
        return esc.account == ctx.account.id
    return ctx.member is not None


def detail_card(ctx: Context, esc: Escalation) -> Card:
    t = ctx.t
    blocks: list = [
        Fields(((t("esc.field.state"), state_label(t, esc)), (t("esc.field.category"), t(f"esc.category.{esc.category}")),
                (t("esc.field.urgency"), t(f"esc.urgency.{esc.urgency}")),
                (t("esc.field.assignee"), esc.assignee or t("esc.nobody")))),
        Text(user_text(esc.description)),
        Divider(),
        *history_notes(t, esc),
    ]
    return Card(title=f"{esc.id} · {user_text(esc.subject)}", blocks=tuple(blocks), fallback=f"{esc.id}: {state_label(t, esc)}")


def team_card_for(catalog: Catalog, t: Translator, esc: Escalation) -> Card:
    """The card in the onboarding team's channel; rebuilt from the record on every change."""
    account = catalog.account(esc.account)
    requester = user_text(esc.requester.user_name or esc.requester.user_id)
    fields = (
        (t("esc.field.account"), account.name if account else esc.account),
        (t("esc.field.requester"), t("esc.requester", who=requester, platform=esc.requester.platform.capitalize())),
        (t("esc.field.category"), t(f"esc.category.{esc.category}")),
        (t("esc.field.urgency"), t(f"esc.urgency.{esc.urgency}")),
        (t("esc.field.state"), state_label(t, esc)),
        (t("esc.field.assignee"), esc.assignee or t("esc.nobody")),
    )
    blocks: list = [Fields(fields), Text(user_text(esc.description))]
    if esc.link:
        blocks.append(Text(t("esc.link", url=esc.link)))
    blocks += [Divider(), *history_notes(t, esc)]
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
        fallback=t("esc.team.fallback", id=esc.id, account=account.name if account else esc.account, state=state_label(t, esc)),
    )


def requester_card(catalog: Catalog, t: Translator, esc: Escalation, event: int) -> Card:
    entry = esc.history[min(event, len(esc.history) - 1)]
    body = t(f"esc.update.{entry.what}", id=esc.id, who=who_label(t, entry.who), team_name=catalog.onboarding.name_in(t.lang))
    if entry.note:
        body += " " + t("esc.note", note=user_text(entry.note))
    return Card(
        title=t("esc.update.title", id=esc.id, subject=user_text(esc.subject)),
        blocks=(Text(body), Note(when_label(t, entry.at))),
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


def home_entry(catalog: Catalog, t: Translator, esc: Escalation) -> Card:
    """One open escalation in the App Home: the team card's title and buttons, and one
    line (account, state, assignee) instead of the card's fields, text and history."""
    full = team_card_for(catalog, t, esc)
    account = catalog.account(esc.account)
    line = " · ".join((account.name if account else esc.account, state_label(t, esc), user_text(esc.assignee) or t("esc.nobody")))
    return Card(title=full.title, blocks=(Text(line),), buttons=full.buttons, fallback=full.fallback)
