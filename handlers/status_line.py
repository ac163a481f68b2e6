"""One sentence on whether this account can use ECP and the GSD yet.

Several cards (help, GSD, ECP, routed answers) must say the same thing the same way.
"""

from __future__ import annotations

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
