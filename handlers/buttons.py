"""The buttons that recur on many cards, so every card offers the same next steps."""

from __future__ import annotations

from cards.model import Button, Style
from handlers.context import View

SHOW_HELP = "help.show"
SHOW_TEAM = "team.show"
SHOW_GSD = "gsd.show"
SHOW_ECP = "ecp.show"
SET_LANG = "lang.set"
OPEN_ESCALATION = "escalate.open"


def team(ctx: View) -> Button:
    return Button(ctx.t("button.team"), SHOW_TEAM)


def gsd(ctx: View) -> Button:
    return Button(ctx.t("button.gsd"), SHOW_GSD)


def ecp(ctx: View) -> Button:
    return Button(ctx.t("button.ecp"), SHOW_ECP)


def escalate(ctx: View) -> Button:
    return Button(ctx.t("button.escalate"), OPEN_ESCALATION, style=Style.PRIMARY)


def help_(ctx: View) -> Button:
    return Button(ctx.t("button.help"), SHOW_HELP)


def switch_language(ctx: View) -> Button:
    """Labelled with the other language's name, in that language ("Français", "English")."""
    return Button(ctx.t("button.switch_language"), SET_LANG, {"lang": ctx.t.other().lang})


def next_steps(ctx: View, *, without: str) -> tuple[Button, ...]:
    """The usual row of next steps, minus the card we are on."""
    makers = {SHOW_TEAM: team, SHOW_GSD: gsd, SHOW_ECP: ecp}
    row = [maker(ctx) for action, maker in makers.items() if action != without]
    if ctx.account is not None:
        row.append(escalate(ctx))
    return tuple(row)
