"""``gsd``: the Global Service Desk: how to reach it, what it handles, the PIN, and
whether this account may use it yet."""

from __future__ import annotations

from cards.model import Card, Fields, Note, Text
from handlers import buttons
from handlers.context import CardView, Context
from handlers.router import Route, Router
from handlers.status_line import access_block, phone_link, urgent_line
from handlers.turn import Reply, Response, Turn, TurnKind


def gsd_card(view: CardView) -> Card:
    """How to reach the desk, what it handles and how to get ready for the first call.

    Before access opens the card says so first, with the bot's guidance; the urgent
    line then repeats that guidance rather than sending anyone to a closed desk."""
    t = view.t
    desk = view.catalog.site.service_desk
    blocks: list = [access_block(view, no_account="gsd.no_account", not_yet="gsd.not_yet")]
    if view.account is None or view.access_open():  # before access, the block above has the guidance
        blocks.append(Text(urgent_line(view)))
    blocks += [
        Fields(
            (
                (t("gsd.phone"), t("gsd.phone_value", phone=phone_link(desk.phone))),
                (t("gsd.email"), f"[{desk.email}](mailto:{desk.email})"),
                (t("gsd.hours"), t("gsd.hours_value", hours=desk.hours)),
                (t("gsd.language"), t("gsd.language_value")),
            )
        ),
        Text(t("gsd.role")),
        Text(t("gsd.handles")),
        Text(t("gsd.colocation")),
        Note(t("gsd.first_call")),
    ]
    return Card(
        title=t("gsd.title"),
        blocks=tuple(blocks),
        buttons=buttons.next_steps(view, without=buttons.SHOW_GSD),
        fallback=t("gsd.fallback", phone=desk.phone, email=desk.email),
    )


async def show_gsd(turn: Turn, ctx: Context) -> Response:
    return Reply(card=ctx.cached("gsd", gsd_card), replace=turn.kind is TurnKind.ACTION)


def register(router: Router) -> None:
    route = Route("gsd", show_gsd)
    router.command(("gsd", "desk", "servicedesk", "service-desk", "support"), route)
    router.action(buttons.SHOW_GSD, route)
