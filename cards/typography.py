"""French typography and phone numbers that never break across lines.

French puts a no-break space before ``:`` and a narrow one before ``;`` ``!`` ``?``,
writes "24 h/24" with a no-break space, and nobody wants a phone number split over two
lines on a phone screen. Locale authors should not have to type invisible characters,
so ``french`` adds them to the bot's French texts when they are produced
(``handlers.i18n.Translator`` calls it on every French text), and ``phone_label`` keeps
any phone number whole.

What must come through untouched: URLs (``https://x?y=1``), ``mailto:``/``tel:``
links, ``{placeholders}`` (and their ``{value:spec}``), markdown link targets, Slack
``<url|label>`` and ``<!here>`` syntax, ``inline code``, emoji codes (``:wave:``)
and times (``14:30``). Those segments are cut out first and only the prose between
them is changed.
"""

from __future__ import annotations

import re
from functools import lru_cache

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, before ; ! ?

# Segments never touched, in one alternation (the first that matches at a position wins).
_PROTECTED = re.compile(
    r"""
      `[^`\n]*`                          # inline code
    | \{[^{}\n]*\}                       # a {placeholder} or {value:spec}
    | \]\([^)\s]*\)                      # a markdown link's target: ](https://...)
    | <[^<>\n]*>                         # Slack <url|label>, <!here>, <@U123>, <mailto:...>
    | (?:https?|mailto|tel):[^\s<>()\]]+ # a bare URL
    | :[a-z0-9_+\-]+:                    # an emoji code
    | \d{1,2}:\d{2}                      # a time
    """,
    re.VERBOSE,
)
_SPACE_BEFORE_TALL = re.compile(r"[ \u00a0\u202f]*:(?=\s|$|\*\*|\))")
_SPACE_BEFORE_SHORT = re.compile(r"[ \u00a0\u202f]*([;!?])(?=\s|$|\*\*|\)|[»\"'’.,])")
_HOURS = re.compile(r"\b(\d{1,2}) ([hj])/(\d{1,2})\b")
_PHONE = re.compile(r"\+\d{1,3}(?: \d{1,4}){2,6}")
_GUILLEMETS_OPEN = re.compile("«[ \u00a0]?")
_GUILLEMETS_CLOSE = re.compile("[ \u00a0]?»")
_BREAKING_SPACE = re.compile(r"[^\S\u00a0\u202f\u2007]+")
_TOKEN = 0xF0000  # a private-use plane: never in a locale text
_TOKENS = re.compile("[\U000F0000-\U000FFFFD]")


def one_line(text: str) -> str:
    """``text`` on one line: runs of breaking whitespace become one space, but the
    no-break spaces typography put there stay (``" ".join(text.split())`` would turn
    them into ordinary, breaking spaces)."""
    return _BREAKING_SPACE.sub(" ", text).strip(" ")


def phone_label(phone: str) -> str:
    """A phone number as shown: its spaces made no-break, so it never wraps."""
    return phone.strip().replace(" ", NBSP)


def tel_uri(phone: str) -> str:
    """The ``tel:`` URI of a phone number: digits and a leading plus only."""
    digits = re.sub(r"[^\d+]", "", phone)
    return "tel:" + digits if digits else ""


def _before(match: re.Match[str], space: str, mark: str) -> str:
    """``space`` + ``mark``, unless the mark starts the text or a line (nothing to
    keep it from: a lone "?" stays as written)."""
    start = match.start()
    if start == 0 or match.string[start - 1] == "\n":
        return match.group(0)
    return space + mark


@lru_cache(maxsize=4096)
def french(text: str) -> str:
    """``text`` with French typography: no-break spaces before ``: ; ! ?``, inside
    « guillemets », in "24 h/24", "7 j/7" and in phone numbers. Idempotent.

    Protected segments are swapped for one private-use character each while the rules
    run, so a rule sees "{team} ?" as a word followed by a mark, and never looks inside
    a URL or a placeholder. Cached: it runs on locale templates, a few hundred strings.
    """
    kept: list[str] = []

    def hide(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return chr(_TOKEN + len(kept) - 1)

    if len(text) > 20_000:
        return text  # not a locale template; leave it be
    work = _PROTECTED.sub(hide, text)
    work = _PHONE.sub(lambda m: phone_label(m.group(0)), work)
    work = _HOURS.sub(lambda m: f"{m.group(1)}{NBSP}{m.group(2)}/{m.group(3)}", work)
    work = _GUILLEMETS_OPEN.sub("«" + NBSP, work)
    work = _GUILLEMETS_CLOSE.sub(NBSP + "»", work)
    work = _SPACE_BEFORE_TALL.sub(lambda m: _before(m, NBSP, ":"), work)
    work = _SPACE_BEFORE_SHORT.sub(lambda m: _before(m, NNBSP, m.group(1)), work)
    return re.sub(_TOKENS, lambda m: kept[ord(m.group(0)) - _TOKEN], work)
