"""``link``, ``unlink`` and ``whoami``: which account a conversation belongs to.

The onboarding team links a channel or chat to an account at run time (``link <id>``)
or cuts it off (``unlink``); both are written to the store under
``handlers.accounts.link_key`` and take precedence over ``config/accounts.yaml``, so an
unlink also silences a link that the configuration makes. ``Route(needs_member=True)``
refuses both to anyone else. ``whoami`` is for everyone: it says which account the
conversation belongs to and whether that comes from the configuration or a run-time
link; only members are shown account ids they could not otherwise see.
"""

from __future__ import annotations

from handlers.accounts import UNLINKED, configured_account, legacy_link_key, link_key, linked_value
from handlers.catalog import Account
from handlers.context import Context
from handlers.ports import StoreUnavailable
from handlers.router import Route, Router
from handlers.turn import Reply, Response, Turn


def _known_ids(ctx: Context) -> str:
    return ", ".join(f"`{account.id}`" for account in ctx.catalog.accounts)


def _clean_id(text: str) -> str:
    """``Acme-Logistics``, `` `acme-logistics` `` and ``"acme-logistics"`` all name one account."""
    return text.strip().strip("`'\"<>").strip().lower()


async def link(turn: Turn, ctx: Context) -> Response:
    t = ctx.t
    wanted = _clean_id(turn.text)
    if not wanted:
        return Reply(
            text=t("link.usage", cmd=ctx.cmd("link <account-id>")) + " " + t("link.known", ids=_known_ids(ctx)),
            private=True,
        )
    account = ctx.catalog.account(wanted)
    if account is None:
        return Reply(text=t("link.unknown") + " " + t("link.known", ids=_known_ids(ctx)), private=True)
    await ctx.store.set(link_key(turn.where), account.id)
    await ctx.store.delete(legacy_link_key(turn.where))
    text = t("link.done", account=account.name, id=account.id)
    previous = ctx.account
    if previous is not None and previous.id != account.id:
        text += " " + t("link.replaced", previous=previous.name)
    return Reply(text=text, private=True)


async def unlink(turn: Turn, ctx: Context) -> Response:
    await ctx.store.set(link_key(turn.where), UNLINKED)
    await ctx.store.delete(legacy_link_key(turn.where))
    return Reply(text=ctx.t("link.unlinked", cmd=ctx.cmd("link <account-id>")), private=True)


async def whoami(turn: Turn, ctx: Context) -> Response:
    t = ctx.t
    member = ctx.member
    configured = configured_account(turn.where, turn.user_id, ctx.services)
    stored: str | None = None
    lines: list[str] = []
    try:
        stored = linked_value(await ctx.store.get(link_key(turn.where)), await ctx.store.get(legacy_link_key(turn.where)))
    except StoreUnavailable:
        lines.append(t("whoami.store_down"))
    runtime: Account | None = ctx.catalog.account(stored) if stored and stored != UNLINKED else None
    if stored == UNLINKED:
        lines.insert(0, t("whoami.unlinked_runtime"))
        if member is not None and configured is not None:
            lines.append(t("whoami.overrides_config", account=configured.name, id=configured.id))
    elif runtime is not None:
        lines.insert(0, t("whoami.linked_runtime", account=runtime.name, id=runtime.id))
    elif configured is not None:
        lines.insert(0, t("whoami.linked_config", account=configured.name, id=configured.id))
    else:
        lines.insert(0, t("whoami.not_linked"))
    if member is not None:
        lines.append(t("whoami.member", name=member.name))
        if runtime is None and (configured is None or stored == UNLINKED):
            lines.append(t("link.usage", cmd=ctx.cmd("link <account-id>")) + " " + t("link.known", ids=_known_ids(ctx)))
    return Reply(text="\n".join(lines), private=True)


def register(router: Router) -> None:
    router.command(("link", "lier"), Route("link", link, needs_member=True))
    router.command(("unlink", "delier"), Route("unlink", unlink, needs_member=True))
    router.command(("whoami",), Route("whoami", whoami))
