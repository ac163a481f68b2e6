"""One sentence on whether this account can use ECP and the GSD yet.

Several cards (help, GSD, ECP, routed answers) must say the same thing the same way.
"""

from __future__ import annotations

from cards.model import Block, Note, Text
from handlers.context import Context


def access_sentence(ctx: Context) -> str:
    account = ctx.account
    if account is None:
        return ""
    if account.access_open(ctx.today()):
        return ctx.t("access.open")
    if account.access_opens is not None:
        return ctx.t("access.opens_on", date=ctx.t.date(account.access_opens))
    return ctx.t("access.date_pending")


def until_then(ctx: Context) -> str:
    """Whom to ask while access is not open: the account manager or the onboarding team."""
    assert ctx.account is not None
    manager = ctx.account.team.account_manager
    return ctx.t(
        "access.until_then",
        manager=manager.name,
        phone=manager.phone or manager.email,
        team=ctx.catalog.onboarding.name,
    )


def access_block(ctx: Context, *, no_account: str, not_yet: str) -> Block:
    """The first block of the desk and portal cards: open, not yet (with the date and
    whom to ask meanwhile), or unknown in a conversation linked to no account. The two
    keys name that card's own sentences for the last two cases."""
    t = ctx.t
    if ctx.account is None:
        return Note(t(no_account))
    if ctx.access_open():
        return Text(access_sentence(ctx))
    return Text(t(not_yet) + " " + access_sentence(ctx) + " " + until_then(ctx))
