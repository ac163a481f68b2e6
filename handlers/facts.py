"""Factual answers: what ECO is, who the onboarding information is for, where the FAQ and
the Download section are, what happens after onboarding, how to open a trouble ticket,
when access opens, the service desk's contacts.

A question that asks for one of these gets the fact itself (``handlers.questions`` adds
who handles the topic below it), not only a name to ask. Every fact is also two clicks
away from the help and not-sure cards: their "About onboarding" button opens a menu of
these facts (``fact.menu``), and each menu button shows one (``fact.show``), or type
``facts``. Each fact links to the resource-center section or the portal page it is about.

Texts live in the locales under ``fact.<id>.*``; numbers and addresses come from
``config/site.yaml`` and the account, never from the texts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cards.model import Block, Button, Card, Fields, Note, Text
from handlers import buttons
from handlers.context import Context
from handlers.router import Route, Router
from handlers.status_line import access_sentence, guidance, urgent_line
from handlers.turn import Reply, Response, Turn, TurnKind

SHOW_FACT = "fact.show"
SHOW_MENU = "fact.menu"
FACTS: tuple[str, ...] = (
    "eco",
    "scope",
    "resource_center",
    "access_date",
    "team_contacts",
    "gsd_first_contact",
    "gsd_registration",
    "gsd_contact",
    "ticket_ways",
)
"""The facts, in the order the menu offers them."""

# Spelled out rather than built from the id, so the locale test sees every key in use.
_TITLES = {
    "eco": ("fact.eco.title", "fact.eco.button"),
    "scope": ("fact.scope.title", "fact.scope.button"),
    "resource_center": ("fact.resource_center.title", "fact.resource_center.button"),
    "access_date": ("fact.access_date.title", "fact.access_date.button"),
    "team_contacts": ("fact.team_contacts.title", "fact.team_contacts.button"),
    "gsd_first_contact": ("fact.gsd_first_contact.title", "fact.gsd_first_contact.button"),
    "gsd_registration": ("fact.gsd_registration.title", "fact.gsd_registration.button"),
    "gsd_contact": ("fact.gsd_contact.title", "fact.gsd_contact.button"),
    "ticket_ways": ("fact.ticket_ways.title", "fact.ticket_ways.button"),
}
_LINK_LABELS = {
    "resource_center": "fact.link.resource_center",
    "faq": "fact.link.faq",
    "download": "fact.link.download",
    "portal": "fact.link.portal",
}


def _link(ctx: Context, which: str) -> Button:
    site = ctx.catalog.site
    urls = {
        "resource_center": site.resource_center.url,
        "faq": site.resource_center.faq_url,
        "download": site.resource_center.download_url,
        "portal": site.portal.url,
    }
    return Button(ctx.t(_LINK_LABELS[which]), url=urls[which])


_LINKS: dict[str, tuple[str, ...]] = {
    "eco": ("resource_center",),
    "scope": ("resource_center",),
    "resource_center": ("faq", "download", "resource_center"),
    "access_date": ("resource_center", "faq"),
    "team_contacts": ("portal",),
    "gsd_first_contact": ("portal", "resource_center"),
    "gsd_registration": ("portal", "download"),
    "gsd_contact": ("resource_center",),
    "ticket_ways": ("portal", "resource_center"),
}


def _access(ctx: Context) -> list[Block]:
    """Whether this account can use the portal and the desk yet, and whom to ask until then."""
    if ctx.account is None:
        return [Note(ctx.t("fact.access.no_account"))]
    if ctx.access_open():
        return [Text(access_sentence(ctx))]
    return [Text(access_sentence(ctx) + " " + guidance(ctx))]


def _blocks_eco(ctx: Context) -> list[Block]:
    return [Text(ctx.t("fact.eco.body", program=ctx.catalog.site.program))]


def _blocks_scope(ctx: Context) -> list[Block]:
    site = ctx.catalog.site
    return [Text(ctx.t("fact.scope.body", site=site.code, former=site.former_name, city=site.city))]


def _blocks_resource_center(ctx: Context) -> list[Block]:
    return [Text(ctx.t("fact.resource_center.body", team=ctx.catalog.onboarding.name))]


def _blocks_access_date(ctx: Context) -> list[Block]:
    return [*_access(ctx), Note(ctx.t("fact.access_date.body"))]


def _blocks_team_contacts(ctx: Context) -> list[Block]:
    blocks: list[Block] = [Text(ctx.t("fact.team_contacts.body"))]
    if ctx.account is not None and not ctx.access_open():
        blocks.append(Text(ctx.t("fact.team_contacts.until_then", team=ctx.cmd("team"))))
    return blocks


def _blocks_gsd_first_contact(ctx: Context) -> list[Block]:
    return [Text(ctx.t("fact.gsd_first_contact.body")), *_access(ctx)]


def _blocks_gsd_registration(ctx: Context) -> list[Block]:
    return [Text(ctx.t("fact.gsd_registration.body")), Note(ctx.t("fact.gsd_registration.keep"))]


def _blocks_gsd_contact(ctx: Context) -> list[Block]:
    t = ctx.t
    desk = ctx.catalog.site.service_desk
    return [
        Fields(
            (
                (t("fact.gsd_contact.phone"), desk.phone),
                (t("fact.gsd_contact.email"), desk.email),
                (t("fact.gsd_contact.hours"), t("fact.gsd_contact.hours_value", hours=desk.hours)),
                (t("fact.gsd_contact.language"), t("fact.gsd_contact.language_value")),
            )
        ),
        # while access is closed the desk is no one's action: the access block says whom to ask
        *([Text(urgent_line(ctx))] if ctx.account is None or ctx.access_open() else []),
        *_access(ctx),
    ]


def _blocks_ticket_ways(ctx: Context) -> list[Block]:
    desk = ctx.catalog.site.service_desk
    return [Text(ctx.t("fact.ticket_ways.body", phone=desk.phone, email=desk.email)), *_access(ctx)]


_BLOCKS: dict[str, Callable[[Context], list[Block]]] = {
    "eco": _blocks_eco,
    "scope": _blocks_scope,
    "resource_center": _blocks_resource_center,
    "access_date": _blocks_access_date,
    "team_contacts": _blocks_team_contacts,
    "gsd_first_contact": _blocks_gsd_first_contact,
    "gsd_registration": _blocks_gsd_registration,
    "gsd_contact": _blocks_gsd_contact,
    "ticket_ways": _blocks_ticket_ways,
}


def fact_card(
    ctx: Context,
    fact_id: str,
    *,
    before: Sequence[Block] = (),
    after: Sequence[Block] = (),
    more_buttons: Sequence[Button] = (),
) -> Card:
    """The fact, its links, and whatever the caller adds (an urgent line before, who
    handles the topic after, their buttons)."""
    t = ctx.t
    # an urgent question's card already opens with the urgent line: the fact does not repeat it
    blocks = [*before, *(b for b in _BLOCKS[fact_id](ctx) if b not in before), *after]
    row = [_link(ctx, which) for which in _LINKS[fact_id]]
    if fact_id == "team_contacts" and ctx.account is not None:
        row.append(buttons.team(ctx))
    for button in more_buttons:
        if (button.action, button.url) not in {(b.action, b.url) for b in row}:
            row.append(button)
    return Card(
        title=t(_TITLES[fact_id][0]),
        blocks=tuple(blocks),
        buttons=tuple(row),
        fallback=t(_TITLES[fact_id][0]),
    )


def menu_button(ctx: Context) -> Button:
    """The button that opens the facts menu (help card, not-sure card)."""
    return Button(ctx.t("fact.menu.button"), SHOW_MENU)


def menu_card(ctx: Context) -> Card:
    t = ctx.t
    row = [Button(t(_TITLES[fact_id][1]), SHOW_FACT, {"fact": fact_id}) for fact_id in FACTS]
    return Card(
        title=t("fact.menu.title", site=ctx.catalog.site.code),
        blocks=(Text(t("fact.menu.intro")),),
        buttons=tuple(row),
        fallback=t("fact.menu.title", site=ctx.catalog.site.code),
    )


def register(router: Router) -> None:
    """``facts`` (the menu), and the menu's buttons."""

    async def show_menu(turn: Turn, ctx: Context) -> Response:
        return Reply(card=menu_card(ctx), replace=turn.kind is TurnKind.ACTION)

    async def show_fact(turn: Turn, ctx: Context) -> Response:
        fact_id = turn.data.get("fact", "")
        if fact_id not in _BLOCKS:
            return Reply(text=ctx.t("error.stale_button"), private=True)
        more = [menu_button(ctx)]
        if ctx.account is not None:
            more.append(buttons.escalate(ctx))
        return Reply(card=fact_card(ctx, fact_id, more_buttons=more), replace=turn.kind is TurnKind.ACTION)

    menu = Route("facts", show_menu)
    router.command(("facts", "faits"), menu)
    router.action(SHOW_MENU, menu)
    router.action(SHOW_FACT, Route("fact", show_fact))
