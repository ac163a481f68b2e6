"""``team``: the account team, what each role handles and how to reach them."""

from __future__ import annotations

from cards.model import Card, Contact, Note
from handlers import buttons
from handlers.catalog import ROLES
from handlers.context import CardView, Context, View
from handlers.router import Route, Router
from handlers.turn import Reply, Response, Turn, TurnKind


def contact_for(ctx: View, role: str) -> Contact:
    """A role of this account's team as a contact block, with what to ask them."""
    assert ctx.account is not None
    person = ctx.account.team.by_role(role)
    return Contact(
        role=ctx.t(f"role.{role}"),
        name=person.name,
        email=person.email,
        phone=person.phone,
        about=ctx.t(f"role.{role}.about"),
    )


def team_card(view: CardView) -> Card:
    assert view.account is not None
    t = view.t
    blocks = [contact_for(view, role) for role in ROLES]
    note = t("team.note_open") if view.access_open() else t("team.note_onboarding")
    return Card(
        title=t("team.title", account=view.account.name),
        blocks=(*blocks, Note(note)),
        buttons=buttons.next_steps(view, without=buttons.SHOW_TEAM),
        fallback=t("team.fallback", account=view.account.name),
    )


async def show_team(turn: Turn, ctx: Context) -> Response:
    return Reply(card=ctx.cached("team", team_card), replace=turn.kind is TurnKind.ACTION)


def register(router: Router) -> None:
    route = Route("team", show_team, needs_account=True)
    router.command(("team", "equipe", "contacts", "contact"), route)
    router.action(buttons.SHOW_TEAM, route)
