"""Whether this account can use ECP and the GSD yet, what to do meanwhile, and whom to
call when something is urgent.

Every card (help, service desk, portal, team, routed answers, the escalation form and
its confirmation) says these things, so they are written here once and every card says
them the same way:

* access open: an urgent problem is phoned in to the service desk, first thing;
* access not open yet: the desk is never offered as the way out; the bot gives its own
  guidance instead (``before_access_guidance`` in ``config/onboarding.yaml``, else the
  locale text ``access.guidance``), since the provider's page says nothing about that
  period;
* a conversation linked to no account: both, since the bot cannot tell which applies.
"""

from __future__ import annotations

from cards.model import Block, Note, Text
from cards.typography import phone_label, tel_uri
from handlers.catalog import Lang
from handlers.context import View
from handlers.i18n import Translator


def phone_link(phone: str) -> str:
    """A phone number as a ``tel:`` link in the neutral markup, kept on one line."""
    uri = tel_uri(phone)
    return f"[{phone_label(phone)}]({uri})" if uri else phone


def access_sentence(ctx: View) -> str:
    account = ctx.account
    if account is None:
        return ""
    if account.access_open(ctx.today()):
        return ctx.t("access.open")
    if account.access_opens is not None:
        return ctx.t("access.opens_on", date=ctx.t.date(account.access_opens))
    return ctx.t("access.date_pending")


def guidance(ctx: View, lang: Lang | None = None) -> str:
    """The bot's advice while access is not open: the configured text, filled in for
    this account (its Account Manager) and the onboarding team."""
    lang = lang or ctx.lang
    t = Translator(lang, ctx.catalog.texts, ctx.strict_texts)
    team = ctx.catalog.onboarding
    configured = team.before_access_guidance
    template = configured.get(lang) if configured else None
    if ctx.account is None:
        return t("access.guidance_no_account", team=team.name_in(lang), team_email=team.email)
    manager = ctx.account.team.account_manager
    values = {
        "manager": manager.name,
        "manager_phone": phone_link(manager.phone) if manager.phone else manager.email,
        "manager_email": manager.email,
        "team": team.name_in(lang),
        "team_phone": phone_link(team.phone) if team.phone else team.email,
        "team_email": team.email,
    }
    if template is None:
        return t("access.guidance", **values)
    return t.fill(template, **values)


def urgent_line(ctx: View, lang: Lang | None = None) -> str:
    """What to do about an urgent problem, for this account today: call the service
    desk now once access is open; the bot's guidance before."""
    lang = lang or ctx.lang
    t = Translator(lang, ctx.catalog.texts, ctx.strict_texts)
    phone = phone_link(ctx.catalog.site.service_desk.phone)
    if ctx.account is None:
        return t("urgent.unknown", phone=phone, guidance=guidance(ctx, lang))
    if ctx.access_open():
        return t("urgent.open", phone=phone)
    return t("urgent.before_access", guidance=guidance(ctx, lang))


def access_block(ctx: View, *, no_account: str, not_yet: str) -> Block:
    """The first block of the desk and portal cards: open, not yet (with the date and
    the bot's guidance meanwhile), or unknown in a conversation linked to no account.
    The two keys name that card's own sentences for the last two cases."""
    t = ctx.t
    if ctx.account is None:
        return Note(t(no_account))
    if ctx.access_open():
        return Text(access_sentence(ctx))
    return Text(t(not_yet) + " " + access_sentence(ctx) + "\n" + guidance(ctx))
