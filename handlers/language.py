"""``lang fr|en``: the user's reply language, kept in the store."""

from __future__ import annotations

from handlers import buttons
from handlers.accounts import lang_key
from handlers.context import Context
from handlers.i18n import Translator, fold
from handlers.router import Route, Router
from handlers.turn import Reply, Response, Turn, TurnKind

_WORDS = {"fr": "fr", "francais": "fr", "french": "fr", "en": "en", "english": "en", "anglais": "en"}


async def set_language(turn: Turn, ctx: Context) -> Response:
    wanted = turn.data.get("lang") if turn.kind is TurnKind.ACTION else _WORDS.get(fold(turn.text))
    if wanted not in ("en", "fr"):
        return Reply(text=ctx.t("lang.usage", cmd=ctx.cmd("lang fr"), current=ctx.t("lang.name")), private=True)
    await ctx.store.set(lang_key(turn), wanted)
    t = Translator("fr" if wanted == "fr" else "en", ctx.catalog.texts, ctx.services.strict_texts)  # answer in the new language
    return Reply(text=t("lang.set", help=ctx.cmd("help")), private=True)


def register(router: Router) -> None:
    route = Route("lang", set_language)
    router.command(("lang", "language", "langue"), route)
    router.action(buttons.SET_LANG, route)
