"""``help``: what the bot does, with buttons for the main answers."""

from __future__ import annotations

from cards.model import Card, Note, Text
from handlers import buttons, facts
from handlers.context import Context
from handlers.router import Route, Router
from handlers.status_line import access_sentence
from handlers.turn import Reply, Response, Turn, TurnKind


def help_card(ctx: Context) -> Card:
    t = ctx.t
    site = ctx.catalog.site
    blocks: list = [Text(t("help.intro", site=site.code, former=site.former_name))]
    if ctx.account is not None:
        blocks.append(Text(t("help.account", account=ctx.account.name) + " " + access_sentence(ctx)))
    else:
        blocks.append(Text(t("help.no_account")))
    blocks.append(
        Text(
            t(
                "help.commands",
                team=ctx.cmd("team"),
                gsd=ctx.cmd("gsd"),
                ecp=ctx.cmd("ecp"),
                ask=ctx.cmd(t("help.ask_example")),
                escalate=ctx.cmd("escalate"),
                status=ctx.cmd("status"),
                lang=ctx.cmd("lang fr|en"),
            )
        )
    )
    blocks.append(Note(t("help.footer")))
    row = [buttons.team(ctx), buttons.gsd(ctx), buttons.ecp(ctx), facts.menu_button(ctx)]
    if ctx.account is not None:
        row.append(buttons.escalate(ctx))
    row.append(buttons.switch_language(ctx))
    return Card(
        title=t("help.title", site=site.code),
        blocks=tuple(blocks),
        buttons=tuple(row),
        fallback=t("help.fallback", site=site.code),
    )


async def show_help(turn: Turn, ctx: Context) -> Response:
    return Reply(card=ctx.cached("help", help_card), replace=turn.kind is TurnKind.ACTION)


def register(router: Router) -> None:
    route = Route("help", show_help)
    router.command(("", "help", "aide", "start", "menu"), route)
    router.action(buttons.SHOW_HELP, route)
