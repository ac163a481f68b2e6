"""Slack mrkdwn: escaping, bold that Slack actually renders, and text cut to Slack's limits.

Split from ``cards.slack`` (which uses it for every block): how one line of neutral text
becomes mrkdwn is its own problem, with its own rules (where bold markers may sit, where
a long paragraph may break).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cards.text import Span, parse_inline, plain, split_lines
from cards.typography import one_line

ELLIPSIS = "…"
ZWSP = "\u200b"
_WORD = re.compile(r"\S+\s*|\s+")
MAX_SECTION_TEXT = 3000
_SENTENCE_END = (".", "!", "?", "…", ";")

def esc(text: str) -> str:
    """Slack's three control characters, escaped as its docs require for user text.

    Without this a customer name with ``<!channel>`` or ``<https://evil|bank>`` in it
    would become a mention or a disguised link.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_FORMATTING = re.compile(r"([*_~`])")


def esc_typed(text: str) -> str:
    """What a person typed, as mrkdwn that shows it as typed: Slack's three control
    characters escaped (no mention, no ``<url|label>`` link), and a zero-width space on
    both sides of each formatting character, so ``*x*``, ``_x_``, ``~x~`` and code
    marks stay literal; a ``>`` that starts a line is kept from quoting the same way.
    A bare URL stays one, and Slack shows it as its real target."""
    escaped = _FORMATTING.sub(ZWSP + r"\1" + ZWSP, esc(text))
    return ZWSP + escaped if escaped.startswith("&gt;") else escaped


def esc_url(url: str) -> str:
    """A URL inside ``<url|label>``: ``|`` would end it, so it is percent-encoded."""
    return esc(url).replace("|", "%7C")


def truncate(text: str, limit: int) -> str:
    """Cut to ``limit`` characters, ending with an ellipsis when anything was cut.

    The cut goes back to the last word boundary when one is in the last third, since
    "Envoyer à l'équipe de…" reads better than "Envoyer à l'équipe de c…".
    """
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space >= (limit * 2) // 3 and not text[limit - 1].isspace():
        head = head[:space]
    return head.rstrip(" ,;:-–—") + ELLIPSIS


def plain_line(text: str) -> str:
    """Markup and line breaks removed: for plain_text objects that show one line."""
    return one_line(plain(text))


def plain_text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(plain_line(text), limit), "emoji": True}


def line_mrkdwn(spans: Sequence[Span]) -> str:
    """One line of spans as Slack mrkdwn.

    Slack bold is ``*x*`` and only works when the asterisks touch the text and sit on
    word boundaries, so surrounding spaces are moved outside the markers and a
    zero-width space separates a marker from a letter right next to it (``**AM11**s``).
    """
    pieces = [piece for span in _runs(spans) for piece in _marked(span)]
    return _joined(pieces)


def _runs(spans: Sequence[Span]) -> list[Span]:
    """Neighbouring spans of the same kind as one: words of one bold run close once."""
    merged: list[Span] = []
    for s in spans:
        last = merged[-1] if merged else None
        if last is not None and s.url is None and last.url is None and (last.bold, last.verbatim) == (s.bold, s.verbatim):
            merged[-1] = Span(last.text + s.text, s.bold, None, s.verbatim)
        else:
            merged.append(s)
    return merged


def _marked(span: Span) -> list[tuple[str, bool]]:
    """The span as (mrkdwn, wrapped in bold markers) pieces, spaces outside the markers."""
    text = esc_typed(span.text) if span.verbatim else esc(span.text)
    body = f"<{esc_url(span.url)}|{text}>" if span.url else text
    core = body.strip()
    if not span.bold or not core:
        return [(body, False)]
    lead = body[: len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()) :]
    return [(piece, bold) for piece, bold in ((lead, False), (f"*{core}*", True), (trail, False)) if piece]


def _joined(pieces: Sequence[tuple[str, bool]]) -> str:
    """The pieces in a row, a zero-width space between a bold marker and a letter or
    another marker it would otherwise touch."""
    out: list[str] = []
    for i, (text, bold) in enumerate(pieces):
        if bold and out and out[-1] and _touches(out[-1][-1]):
            out.append(ZWSP)
        out.append(text)
        nxt = pieces[i + 1][0] if i + 1 < len(pieces) else ""
        if bold and nxt and _touches(nxt[0]):
            out.append(ZWSP)
    return "".join(out)


def _touches(char: str) -> bool:
    return char.isalnum() or char == "*"


def _atoms(spans: Sequence[Span]) -> list[Span]:
    """Spans cut into words (a link stays whole), the units a long line may break at."""
    out: list[Span] = []
    for s in spans:
        if s.url:
            out.append(s)
        else:
            out.extend(Span(m.group(0), s.bold, None, s.verbatim) for m in _WORD.finditer(s.text))
    return out


def _cut_atom(atom: Span, limit: int) -> list[Span]:
    """An atom too long for ``limit`` on its own, cut by characters (a 4000-character
    token is garbage anyway; keeping it readable beats rejecting the card)."""
    if atom.url and len(line_mrkdwn([Span(atom.text[:1], atom.bold, atom.url, atom.verbatim)])) > limit:
        atom = Span(atom.text, atom.bold, None, atom.verbatim)  # a URL longer than the limit cannot be a link
    pieces: list[Span] = []
    rest = atom.text
    while rest:
        lo, hi = 1, len(rest)
        while lo < hi:  # longest prefix whose rendering fits
            mid = (lo + hi + 1) // 2
            if len(line_mrkdwn([Span(rest[:mid], atom.bold, atom.url, atom.verbatim)])) <= limit:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(Span(rest[:lo], atom.bold, atom.url, atom.verbatim))
        rest = rest[lo:]
    return pieces


def _split_line(spans: Sequence[Span], limit: int) -> list[str]:
    """A line longer than ``limit`` once rendered, broken between words."""
    units: list[str] = []
    group: list[Span] = []
    for atom in _atoms(spans):
        candidates = [atom] if len(line_mrkdwn([atom])) <= limit else _cut_atom(atom, limit)
        for a in candidates:
            while group and len(line_mrkdwn([*group, a]).rstrip()) > limit:
                # Prefer ending the piece at the last sentence end in its second half.
                cut = len(group)
                for j in range(len(group) - 1, len(group) // 2 - 1, -1):
                    if group[j].url is None and group[j].text.rstrip().endswith(_SENTENCE_END):
                        cut = j + 1
                        break
                units.append(line_mrkdwn(group[:cut]).rstrip())
                group = group[cut:]
            group.append(a)
    if group:
        units.append(line_mrkdwn(group).rstrip())
    return units


def mrkdwn_chunks(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Neutral text as Slack mrkdwn, in pieces of at most ``limit`` characters.

    Breaks fall between lines where possible and between words otherwise, never inside
    a link, an escape or a bold run, so every piece renders on its own. Empty input
    gives no pieces (Slack rejects empty text objects).
    """
    units: list[str] = []
    for line in split_lines(parse_inline(text)):
        rendered = line_mrkdwn(line).rstrip()
        units.extend([rendered] if len(rendered) <= limit else _split_line(line, limit))
    chunks: list[str] = []
    current: str | None = None
    for unit in units:
        if current is None:
            current = unit
        elif len(current) + 1 + len(unit) <= limit:
            current += "\n" + unit
        else:
            chunks.append(current)
            current = unit
    if current is not None:
        chunks.append(current)
    # Slack trims a text's ends anyway; trimming here keeps the length check honest.
    return [c.strip() for c in chunks if c.strip()]


def mrkdwn_fit(text: str, limit: int) -> str:
    """Neutral text as one mrkdwn string of at most ``limit`` characters (ellipsis if cut)."""
    chunks = mrkdwn_chunks(text, limit - 1)
    if not chunks:
        return ""
    return chunks[0] if len(chunks) == 1 else chunks[0] + ELLIPSIS


def mrkdwn_block(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}
