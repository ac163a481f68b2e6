"""Texts in French and English, and how the reply language is chosen.

Every sentence the bot says lives in ``config/locales/{en,fr}.yaml``; handlers only
name keys. A missing key is a bug, so ``Translator`` raises in strict mode (tests)
and falls back to English, then to the key itself, when serving.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cards.typography import french
from handlers.catalog import LANGS, Lang

Shared = Callable[[str, Lang], "str | None"]
"""Values every text may use without the caller passing them: ``shared(name, lang)``
gives the value of ``{name}`` in ``lang``, or None (see ``Translator``)."""


class _Values(dict):
    """The values of one text: missing ones come from ``shared``, else stay ``{name}``."""

    __slots__ = ("lang", "shared")

    def __init__(self, values: dict[str, str], shared: Shared | None, lang: Lang) -> None:
        super().__init__(values)
        self.shared = shared
        self.lang = lang

    def __missing__(self, key: str) -> str:
        found = self.shared(key, self.lang) if self.shared is not None else None
        if found is None:
            return "{" + key + "}"
        return _FrenchValue(found) if self.lang == "fr" else found


class _FrenchValue(str):
    """A value in a French text; ``{account:de}`` gives "de Globex" or "d'Acme"."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if spec == "de":
            return de(str(self))
        return str.__format__(str(self), spec)


_VOWELS = frozenset("aeiouyhàâäéèêëîïôöûüœæAEIOUYHÀÂÄÉÈÊËÎÏÔÖÛÜŒÆ")
_DOUBLE_STOP = re.compile(r"(?<![.])\.(\*\*)?\.(?![.])")


def de(name: str) -> str:
    """French "de" before ``name``, elided before a vowel or a mute h: "d'Acme",
    "de Globex". A name starting with an aspirated h ("de Hachette") is rare enough
    among customer names to be treated as mute."""
    stripped = name.lstrip()
    if stripped and stripped[0] in _VOWELS:
        return "d'" + stripped
    return "de " + stripped


@dataclass(frozen=True, slots=True)
class Translator:
    """Looks keys up in one language's texts and fills ``{placeholders}``.

    French texts get French typography (``cards.typography.french``: no-break spaces
    before ``: ; ! ?`` and the like) on the template, never on the values, so what a
    customer typed is shown as typed. ``shared`` supplies placeholders that mean the
    same in every text of a turn (the onboarding team's name in this language, the
    before-access guidance), so a text may use them whatever its caller passes.
    A value that ends a sentence with its own full stop ("Acme B.V.") does not get a
    second one from the template.
    """

    lang: Lang
    texts: Mapping[Lang, Mapping[str, str]]
    strict: bool = False
    shared: Shared | None = None

    def __call__(self, key: str, /, **values: object) -> str:
        template = self.texts.get(self.lang, {}).get(key)
        if template is None:
            if self.strict:
                raise KeyError(f"text {key!r} missing in {self.lang}")
            template = self.texts.get("en", {}).get(key, key)
        return self.fill(template, **values)

    def fill(self, template: str, /, **values: object) -> str:
        """``template`` (a locale text, or one from the configuration) in this
        language's typography, with its placeholders filled."""
        if self.lang == "fr":
            template = french(template)
        if "{" not in template:
            return template
        wrap = _FrenchValue if self.lang == "fr" else str
        text = template.format_map(_Values({k: wrap(v) for k, v in values.items()}, self.shared, self.lang))
        return _DOUBLE_STOP.sub(lambda m: "." + (m.group(1) or ""), text) if ".." in text or ".**." in text else text

    def date(self, day: dt.date) -> str:
        """A date the way people write it in this language: "1 March 2027", "1er mars 2027"."""
        first = self("date.first_day") if day.day == 1 else str(day.day)
        text = self("date.format", day=first, month=self(f"month.{day.month}"), year=day.year)
        return text.replace(" ", "\u00a0")  # a date never breaks across lines

    def other(self) -> Translator:
        """The same texts in the other language (for the language switch button)."""
        return Translator("fr" if self.lang == "en" else "en", self.texts, self.strict, self.shared)


def locale_language(locale: str | None) -> Lang | None:
    """``"fr-FR"``, ``"fr_CA"``, ``"FR"`` -> ``"fr"``; unknown or missing -> None."""
    if not locale:
        return None
    head = locale.replace("_", "-").split("-")[0].lower()
    return head if head in LANGS else None


_ASCII_SPACES = {c: " " for c in range(128) if not chr(c).isalnum() and chr(c) not in "-+@.#"}


def fold(text: str) -> str:
    """Lower-case, accents removed, apostrophes and punctuation turned into spaces.

    Used wherever user text is compared with words we know ("équipe" == "equipe").
    """
    if text.isascii():  # the usual case: nothing to decompose, one C-level pass
        return " ".join(text.lower().translate(_ASCII_SPACES).split())
    return _fold_unicode(text)


def _fold_unicode(text: str) -> str:
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


_FRENCH_WORDS = frozenset({
    "pas", "ne", "avez", "avons", "sont", "suis", "faire", "fait", "peux", "pouvez", "voudrais",
    "aimerais", "souhaite", "notre", "votre", "leur", "chez", "aussi", "encore", "deja", "tres",
    "bien", "alors", "donc", "mais", "cela", "ca", "ici", "cette", "cet", "quoi", "comment",
    "pourquoi", "nous", "vous", "je", "tu", "il", "elle", "ils", "elles", "sur", "sous", "avec",
    "sans", "pour", "par", "depuis", "apres", "avant", "une", "aux", "du", "au", "est",
    "qui", "quand", "quel", "quelle", "serveur", "commande", "commandes", "livraison", "colis",
    "panne", "devis", "contrat", "redemarrer", "inscription", "integration", "merci", "bonjour",
    "salut", "bonsoir", "svp", "stp", "factures", "facturation", "baie", "baies", "portail",
})
_ENGLISH_WORDS = frozenset({
    "will", "would", "the", "with", "what", "when", "where", "who", "why", "how", "can",
    "could", "should", "please", "my", "our", "your", "their", "is", "are", "was", "were",
    "be", "have", "has", "had", "do", "does", "did", "not", "there", "this", "that", "these",
    "from", "about", "need", "want", "get", "invoice", "invoices", "bill", "billing",
    "shipping", "delivery", "order", "orders", "outage", "cabinet", "cabinets", "rack",
    "racks", "contract", "quote", "reboot", "server", "hello", "hi", "hey", "thanks", "thank",
    "cheers", "thx",
})
_ALONE: dict[str, Lang] = {
    "bonjour": "fr", "bonsoir": "fr", "salut": "fr", "merci": "fr", "coucou": "fr",
    "facture": "fr", "factures": "fr", "facturation": "fr", "livraison": "fr", "colis": "fr",
    "hello": "en", "hi": "en", "hey": "en", "thanks": "en", "thx": "en", "cheers": "en",
    "invoice": "en", "invoices": "en", "billing": "en", "shipping": "en", "delivery": "en",
}
"""Single words that decide the language on their own (see ``guess_language``)."""
_ELISION = re.compile(r"(?<!\w)(?:[cdjlmnst]|qu)['’]\w")


def guess_language(text: str) -> Lang | None:
    """A cheap guess at whether ``text`` is French or English.

    Evidence: common words of each language (the hint sets above plus the words people
    use in onboarding questions), French elisions (l', d', qu') and accented letters only
    French uses here. A single word decides only when it belongs to one language beyond
    doubt (a greeting, a thanks, "facture", "invoice"); command words such as "team" or
    "help" never do. Returns None when the evidence is balanced or missing: the caller
    then falls back to the account's language rather than guessing wrong.
    """
    folded = [w.strip("-+@.#") for w in fold(text).split()]
    words = [w for w in folded if len(w) > 1 and w not in ("an", "on", "a")]  # used by both
    if not words:
        return None
    if len(folded) == 1:
        return _ALONE.get(words[0])
    french = sum(w in _FRENCH_HINTS or w in _FRENCH_WORDS for w in words)
    english = sum(w in _ENGLISH_HINTS or w in _ENGLISH_WORDS for w in words)
    lowered = text.casefold()
    french += len(_ELISION.findall(lowered))
    french += min(2, sum(char in "éèêàâçùûôîïœ" for char in lowered))
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return None
