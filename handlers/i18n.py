"""Texts in French and English, and how the reply language is chosen.

Every sentence the bot says lives in ``config/locales/{en,fr}.yaml``; handlers only
name keys. A missing key is a bug, so ``Translator`` raises in strict mode (tests)
and falls back to English, then to the key itself, when serving.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Mapping

from handlers.catalog import LANGS, Lang


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True, slots=True)
class Translator:
    """Looks keys up in one language's texts and fills ``{placeholders}``."""

    lang: Lang
    texts: Mapping[Lang, Mapping[str, str]]
    strict: bool = False

    def __call__(self, key: str, /, **values: object) -> str:
        template = self.texts.get(self.lang, {}).get(key)
        if template is None:
            if self.strict:
                raise KeyError(f"text {key!r} missing in {self.lang}")
            template = self.texts.get("en", {}).get(key, key)
        if not values:
            return template
        return template.format_map(_SafeDict({k: str(v) for k, v in values.items()}))

    def date(self, day: dt.date) -> str:
        """A date the way people write it in this language: "1 March 2027", "1 mars 2027"."""
        first = self("date.first_day") if day.day == 1 else str(day.day)
        return self("date.format", day=first, month=self(f"month.{day.month}"), year=day.year)

    def other(self) -> "Translator":
        """The same texts in the other language (for the language switch button)."""
        return Translator("fr" if self.lang == "en" else "en", self.texts, self.strict)


def locale_language(locale: str | None) -> Lang | None:
    """``"fr-FR"``, ``"fr_CA"``, ``"FR"`` -> ``"fr"``; unknown or missing -> None."""
    if not locale:
        return None
    head = locale.replace("_", "-").split("-")[0].lower()
    return head if head in LANGS else None  # type: ignore[return-value]


def fold(text: str) -> str:
    """Lower-case, accents removed, apostrophes and punctuation turned into spaces.

    Used wherever user text is compared with words we know ("équipe" == "equipe").
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    out = []
    for char in plain:
        out.append(char if char.isalnum() or char in "-+@.#" else " ")
    return " ".join("".join(out).split())


_FRENCH_HINTS = frozenset(
    "le la les un une des du de au aux et ou est sont je j nous vous qui quoi quand comment "
    "pourquoi ou pour avec sans sur dans mon ma mes notre nos votre vos facture factures baie "
    "baies bonjour merci acces portail contacter besoin aide equipe qu quel quelle quels "
    "combien faut peut puis dois ce cette ces il elle on c d l n s".split()
)
_ENGLISH_HINTS = frozenset(
    "the a an and or is are i we you who what when how why where for with without on in my "
    "our your invoice invoices rack cabinet hello hi thanks thank access portal contact need "
    "help team which can could should do does to of it this that please".split()
)


def guess_language(text: str) -> Lang | None:
    """A cheap guess at whether ``text`` is French or English, from common words.

    Returns None when the text is too short or the evidence is balanced: the caller
    then falls back to the account's language rather than guessing wrong.
    """
    words = fold(text).split()
    if len(words) < 2:
        return None
    french = sum(word in _FRENCH_HINTS for word in words)
    english = sum(word in _ENGLISH_HINTS for word in words)
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return None
