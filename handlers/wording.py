"""Words of a customer's message as the matcher compares them, and the one rule for what
looks like a service-desk code.

Both languages at once and deliberately crude: text is folded (case and accents removed;
"can't" reads "can not"), function words of English and French are dropped, plural endings
and common endings come off, and a typo is one edit from 5 letters, two from 10. Each of
these is a pure function of a word, so the matcher can remember what a typed word stands for.
"""

from __future__ import annotations

import re

from handlers.i18n import fold

STOPWORDS: frozenset[str] = frozenset(
    # English function words and filler
    "a an the and or but if of to in on at by for from with about into as is are was were be "
    "been am do does did have has had i me my mine we us our ours you your yours he she it its "
    "they them their this that these those there here what which who whom whose where why "
    "how can could should would will shall may might must please pls just also any some all "
    "so then than too very really need needs want wants like know tell let get got ok okay "
    "yes someone somebody anyone anything something question ask asking regarding concerning "
    "whom im ive id dont doesnt cant isnt"
    # French function words and filler
    " le la les un une des du de au aux et ou mais si est sont etait ete etre suis es sommes "
    "etes ai as avons avez ont je me moi mon ma mes nous notre nos vous votre vos tu te toi ton "
    "ta tes il elle ils elles on se son sa ses leur leurs ce cet cette ces ca cela ceci y en qui "
    "que quoi quel quelle quels quelles comment pourquoi dans sur sous pour par avec sans "
    "chez vers entre faut peut puis pouvez pourriez pourrais dois doit devons devez voudrais "
    "veux souhaite souhaiterais aimerais besoin svp stp plait tres bien aussi donc alors comme "
    "quelqu aupres concernant sujet"
    # the pieces apostrophes leave behind: l', d', qu', j', n' (kept: "n" helps "n'a pas")
    " b c d e f g h j k l m o p q r s t u v w x z ll ve re".split()
)

_WORD = re.compile(r"[^\W_]+")
# A 4-digit number standing alone: not part of a longer number, a phone number written in
# groups ("808 0015"), a date or a time.
_FOUR_DIGITS = re.compile(r"(?<![\d+])(?<!\d[ .\-/:])\b(\d{4})\b(?![ .\-/:]?\d)")
_YEAR_CONTEXT = frozenset(
    "in en since depuis before after avant apres year annee of fin end begin debut until "
    "jusqu january february march april may june july august september october november "
    "december janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split()
)
NEUTRAL = frozenset(
    "january february march april may june july august september october november december "
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
    "monday tuesday wednesday thursday friday saturday sunday lundi mardi mercredi jeudi vendredi "
    "samedi dimanche today tomorrow yesterday week weeks month months year years next last "
    "aujourd hui demain hier semaine semaines mois annee annees an ans prochain prochaine dernier derniere".split()
)
"""Words about when, not what: they neither route a question nor count as unexplained."""
_STANDARDS = frozenset("iso nen pci soc ssae tier".split())  # "ISO 9001" is a standard, not a code


_NEGATION = re.compile(r"\b(can|won|don|doesn|didn|isn|aren|wasn|weren|haven|hasn|couldn|wouldn|shouldn)['’ ]?t\b")
_NEGATED = {"can": "can", "won": "will"}


def _not(found: re.Match[str]) -> str:
    stem_ = found.group(1)
    return _NEGATED.get(stem_, stem_[:-1] if stem_.endswith("n") else stem_) + " not"


def words(text: str) -> list[str]:
    """Folded words of ``text`` (letters and digits only); "can't", "doesnt" become
    "can not", "does not", so the negation stays a word of its own."""
    return _WORD.findall(_NEGATION.sub(_not, fold(text)))


_CLAUSE = re.compile(r"[.!?;:,()\n]+|\s[-–—/]+\s")


def clauses(text: str, count: int) -> list[int]:
    """For each of the ``count`` words of ``text``, the number of the clause it stands in
    (punctuation and dashes end a clause), so "if" reaches only as far as its clause."""
    out: list[int] = []
    for n, piece in enumerate(_CLAUSE.split(text)):
        out += [n] * len(words(piece))
    return out if len(out) == count else [0] * count


def singulars(word: str) -> tuple[str, ...]:
    """``word`` and the forms it may have without a plural ending, most likely first.

    Deliberately generous (English and French rules side by side): a wrong candidate
    only matters if it happens to be another keyword, and the index is small.
    """
    out = [word]
    if len(word) > 3 and not word.isdigit():
        if word.endswith("ies") and len(word) > 4:
            out.append(word[:-3] + "y")
        if word.endswith("eaux") or word.endswith("eux") or word.endswith("oux"):
            out.append(word[:-1])
        elif word.endswith("aux") and len(word) > 4:
            out.append(word[:-3] + "al")
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            out.append(word[:-1])
        if word.endswith(("sses", "ches", "shes", "xes", "zes")):
            out.append(word[:-2])
    return tuple(dict.fromkeys(out))


def lemma(word: str) -> str:
    """The one form a keyword word is stored under (its shortest singular candidate)."""
    return min(singulars(word), key=lambda w: (len(w), w))


def allowed_typos(word: str) -> int:
    """One typo from 5 letters, two from 10: "building" is not a typo of "billing"."""
    if word.isdigit() or len(word) < 5:
        return 0
    return 2 if len(word) >= 10 else 1


_SUFFIXES = (
    "ements", "ement", "ations", "ation", "ings", "ing", "ees", "ies", "ied", "ed", "es", "ee",
    "er", "ez", "ent", "e", "s", "y",
)


def stem(word: str) -> str:
    """A crude common root of English and French inflections (delivered, delivery,
    livrée, livraison stay apart; configured, configuration, configurer meet), used only
    when a word has no exact or plural match. Suffixes come off while 4 letters remain,
    and a doubled last letter is undone (shipping -> ship)."""
    if len(word) < 5 or word.isdigit():
        return word
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            shortest = 3 if suffix in ("ed", "ing", "ings") else 4
            if word.endswith(suffix) and len(word) - len(suffix) >= shortest and not word.endswith(("ss", "us", "is")):
                word = word[: -len(suffix)]
                changed = True
                break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts one), capped at
    ``limit + 1`` so a hopeless pair stops early."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        best = current[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def mask_pins(text: str, mask: str = "••••") -> tuple[str, bool]:
    """``text`` with every standalone 4-digit number that may be a service-desk PIN (not
    a year after "in", "since"..., not a standard such as "ISO 9001") replaced by
    ``mask``, and whether there was one. The one place that decides what looks like a
    PIN, for the matcher and for whoever stores or forwards a customer's text."""
    spans = pin_spans(text)
    if not spans:
        return text, False
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start] + mask)
        last = end
    out.append(text[last:])
    return "".join(out), True


def pin_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for found in _FOUR_DIGITS.finditer(text):
        number = found.group(1)
        before = words(text[max(0, found.start() - 60) : found.start()])[-1:]
        if before and before[0] in _STANDARDS:
            continue
        if number[:2] in ("19", "20") and before and before[0] in _YEAR_CONTEXT:
            continue
        spans.append(found.span(1))
    return tuple(spans)

