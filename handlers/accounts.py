"""Which account a conversation belongs to, and which language a user gets.

Run-time links (made by the onboarding team with ``link``) live in the store and take
precedence over the links in ``config/accounts.yaml``. A direct message belongs to the
account that lists the user. Nothing here ever falls back to "some" account: a
conversation that is not linked gets no customer data.
"""

from __future__ import annotations

from handlers.catalog import Account, Lang
from handlers.context import Services
from handlers.i18n import guess_language, locale_language
from handlers.turn import CONSOLE, ConversationKind, Turn, TurnKind, Where

UNLINKED = "-"


TURN_KEY_PREFIXES = ("link:", "lang:")
"""The prefixes of ``link_key`` and ``lang_key``: read on every turn, written a few times
in an onboarding, so a store may keep them close (``bot.stores.near_cache``)."""


def link_key(where: Where) -> str:
    """A conversation's run-time link, keyed by platform and conversation id alone.

    The platforms' conversation ids are the same in every workspace or tenant that
    shares the conversation (a channel shared between organisations), and
    ``config/accounts.yaml`` links conversations by id alone, so ``link`` and ``unlink``
    apply to the conversation whichever workspace a request comes from.
    """
    return f"link:v2:{where.platform}:{where.conversation}"


def legacy_link_key(where: Where) -> str:
    """Where links made before ``link_key`` dropped the workspace were stored (per
    workspace). Still read, below the new key, and removed by the next ``link`` or
    ``unlink`` of the conversation: stores need no migration step."""
    return f"link:{where.key}"


def user_key(turn: Turn) -> str:
    """The account whose linked channel this user last used the bot in: what their
    direct messages and App Home fall back to. Under ``link:``, so kept near too."""
    return f"link:user:{turn.platform}:{turn.where.tenant}:{turn.user_id}"


def linked_value(current: str | None, legacy: str | None) -> str | None:
    """The run-time link: the conversation-wide key, else a pre-upgrade one."""
    return current if current is not None else legacy


def lang_key(turn: Turn) -> str:
    return f"lang:{turn.platform}:{turn.where.tenant}:{turn.user_id}"


def configured_account(where: Where, user_id: str, services: Services) -> Account | None:
    """The account ``config/`` links this conversation (or, in a DM, this user) to."""
    direct = where.kind is ConversationKind.DIRECT
    for account in services.catalog.accounts:
        links = account.links.get(where.platform)
        if links is not None:
            if where.conversation in links.conversations or (direct and user_id in links.users):
                return account
        elif where.platform == CONSOLE and where.conversation == account.id:
            return account
    return None


def account_for(turn: Turn, linked: str | None, services: Services, seen_in: str | None = None) -> Account | None:
    """The conversation's account: a run-time link (``linked``, read from the store)
    first, then ``config/``; in a direct message (or the App Home), last, the account
    whose linked channel this user uses the bot in (``seen_in``, read from the store)."""
    if linked == UNLINKED:
        return None
    if linked:
        account = services.catalog.account(linked)
        if account is not None:
            return account
    account = configured_account(turn.where, turn.user_id, services)
    if account is None and seen_in and turn.where.kind is ConversationKind.DIRECT:
        account = services.catalog.account(seen_in)
    return account


def language_for(turn: Turn, chosen: str | None, account: Account | None) -> Lang:
    """Explicit choice (``chosen``, read from the store), else the platform's locale,
    else the question's language, else the account's default, else English."""
    if chosen in ("en", "fr"):
        return chosen  # type: ignore[return-value]
    from_locale = locale_language(turn.locale)
    if from_locale:
        return from_locale
    if turn.kind in (TurnKind.COMMAND, TurnKind.MESSAGE, TurnKind.MENTION):
        guessed = guess_language(turn.text)
        if guessed:
            return guessed
    if account is not None:
        return account.language
    return "en"
