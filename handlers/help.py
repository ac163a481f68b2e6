"""``help``: what the bot does, with buttons for the main answers."""

from __future__ import annotations

from cards.model import Button, Card, Note, Text
from handlers import buttons, facts
from handlers.context import CardView, Context, View
from handlers.router import Route, Router
from handlers.status_line import access_sentence, guidance, phone_link, urgent_line
from handlers.team import team_card
from handlers.turn import Reply, Response, Turn, TurnKind


def help_card(view: CardView) -> Card:
    t = view.t
    site = view.catalog.site
    intro = "help.intro_open" if view.access_open() else "help.intro"
    blocks: list = [Text(t(intro, site=site.code, former=site.former_name))]
    if view.account is not None:
        blocks.append(Text(t("help.account", account=view.account.name) + " " + access_sentence(view)))
        # The same urgent rule as every other card: the desk once open, the guidance before.
        blocks.append(Text(urgent_line(view) if view.access_open() else guidance(view)))
    else:
        blocks.append(Text(t("help.no_account")))
    blocks.append(Text(_commands(view)))
    blocks.append(Note(t("help.footer")))
    return Card(
        title=t("help.title", site=site.code),
        blocks=tuple(blocks),
        buttons=_buttons(view),
        fallback=t("help.fallback", site=site.code),
    )


def _buttons(ctx: View) -> tuple[Button, ...]:
    """Only buttons that answer in this conversation: no account team or escalation
    where no account is known."""
    row = [buttons.gsd(ctx), buttons.ecp(ctx), facts.menu_button(ctx)]  # type: ignore[arg-type]  # it reads ctx.t only
    if ctx.account is not None:
        row = [buttons.team(ctx), *row, buttons.escalate(ctx)]
    return (*row, buttons.switch_language(ctx))


def _commands(ctx: View) -> str:
    t = ctx.t
    return t(
        "help.commands",
        team=ctx.cmd("team"),
        gsd=ctx.cmd("gsd"),
        ecp=ctx.cmd("ecp"),
        ask=ctx.cmd(t("help.ask_example")),
        escalate=ctx.cmd("escalate"),
        status=ctx.cmd("status"),
        lang=ctx.cmd("lang fr|en"),
    )


def customer_home(ctx: Context) -> tuple[Card, ...]:
    """A customer's App Home. Their account when the bot knows it (their user is
    listed for it, or they use the bot in its channel): what the assistant does, their
    access and the urgent rule, and their account team. Otherwise how to reach the bot,
    with only the buttons that work without an account."""
    t = ctx.t
    site = ctx.catalog.site
    if ctx.account is None:
        card = Card(
            title=t("help.title", site=site.code),
            blocks=(
                Text(t("help.intro", site=site.code, former=site.former_name)),
                Text(t("home.unknown", help=ctx.cmd("help"), email=ctx.catalog.onboarding.email)),
                Text(t("urgent.unknown", phone=phone_link(site.service_desk.phone), guidance=guidance(ctx))),
            ),
            buttons=_buttons(ctx),
            fallback=t("help.fallback", site=site.code),
        )
        return (card,)
    intro = "help.intro_open" if ctx.access_open() else "help.intro"
    card = Card(
        title=t("home.title", account=ctx.account.name),
        blocks=(
            Text(t(intro, site=site.code, former=site.former_name)),
            Text(access_sentence(ctx)),
            Text(urgent_line(ctx) if ctx.access_open() else guidance(ctx)),
            Text(_commands(ctx)),
            Note(t("home.where")),
        ),
        buttons=_buttons(ctx),
        fallback=t("help.fallback", site=site.code),
    )
    return (card, team_card(ctx.card_view()))


async def show_help(turn: Turn, ctx: Context) -> Response:
    return Reply(card=ctx.cached("help", help_card), replace=turn.kind is TurnKind.ACTION)


def register(router: Router) -> None:
    route = Route("help", show_help)
    router.command(("", "help", "aide", "start", "menu"), route)
    router.action(buttons.SHOW_HELP, route)
