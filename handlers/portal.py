"""``ecp``: the customer portal: what it offers, its limits, where to learn it, and
whether this account may use it yet."""

from __future__ import annotations

from cards.model import Button, Card, Note, Text
from handlers import buttons
from handlers.context import CardView, Context
from handlers.router import Route, Router
from handlers.status_line import access_block
from handlers.turn import Reply, Response, Turn, TurnKind


def ecp_card(view: CardView) -> Card:
    t = view.t
    site = view.catalog.site
    blocks: list = [access_block(view, no_account="ecp.no_account", not_yet="ecp.not_yet")]
    blocks += [
        Text(t("ecp.what")),
        Text(t("ecp.functions")),
        Text(t("ecp.offers")),
        Text(t("ecp.tickets")),
    ]
    if view.account is not None:
        csm = view.account.team.customer_success_manager
        blocks.append(Text(t("ecp.learn_csm", url=site.resource_center.download_url, csm=csm.name, email=csm.email)))
    else:
        blocks.append(Text(t("ecp.learn", url=site.resource_center.download_url)))
    blocks.append(Note(t("ecp.pin")))
    row = list(buttons.next_steps(view, without=buttons.SHOW_ECP))
    row.insert(0, Button(t("button.tutorials"), url=site.resource_center.download_url))
    return Card(
        title=t("ecp.title"),
        blocks=tuple(blocks),
        buttons=tuple(row),
        fallback=t("ecp.fallback"),
    )


async def show_ecp(turn: Turn, ctx: Context) -> Response:
    return Reply(card=ctx.cached("ecp", ecp_card), replace=turn.kind is TurnKind.ACTION)


def register(router: Router) -> None:
    route = Route("ecp", show_ecp)
    router.command(("ecp", "portal", "portail"), route)
    router.action(buttons.SHOW_ECP, route)
