"""Plain-text rendering of cards and forms, and the inline-markup parser all renderers share.

The text rendering serves two readers: a person at the console adapter, who answers a
card by typing the number of a button, and every place a platform wants a plain
fallback (notifications, screen readers, logs). So it keeps the structure visible
(underlined title, aligned fields, numbered buttons) and turns the tiny inline markup
(``**bold**``, ``[label](https://url)``) into text that reads well without rendering.

The parser lives here rather than in each renderer so that Slack, Teams and text agree
on exactly what counts as markup; ``cards.slack`` and ``cards.teams`` import it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from cards.model import VERBATIM_CLOSE, VERBATIM_OPEN, Card, Contact, Divider, Fields, Form, Note, SelectInput, Text, TextInput

__all__ = (
    "SHRINK_STEPS",
    "Span",
    "button_rows",
    "parse_inline",
    "plain",
    "readable",
    "render_form_text",
    "render_text",
    "shortened",
    "split_lines",
    "terminal",
)


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with one formatting: plain or bold, optionally a link.

    ``url`` is set for the label of a ``[label](url)`` link; ``text`` is then the label.
    ``verbatim`` marks what a person typed (``cards.model.user_text``): renderers show
    it character for character, escaping whatever their platform would read as markup.
    Newlines stay inside ``text``: renderers that need lines use ``split_lines``.
    """

    text: str
    bold: bool = False
    url: str | None = None
    verbatim: bool = False


# A link is recognised only with an absolute http(s), mailto or tel URL, so ordinary
# brackets in prose ("[draft] (v2)") stay text. The label cannot span brackets or
# lines; the URL stops at whitespace or ")".
_LINK = re.compile(r"\[([^\[\]\n]+)\]\(((?:https?://|mailto:|tel:)[^\s()<>]+)\)")
_BOLD = "**"


def parse_inline(text: str) -> tuple[Span, ...]:
    """Split ``text`` into spans of the neutral markup.

    Links are found first, so a ``**`` inside a URL is never taken for bold. Bold
    markers are then paired left to right across the plain parts (bold may contain a
    link: ``**see [docs](https://x)**``); an unpaired last marker stays literal text,
    which is what a person who typed a lone ``**`` meant.
    """
    # 0. Verbatim runs (what a person typed) versus our own markup.
    if VERBATIM_OPEN in text or VERBATIM_CLOSE in text:
        return _with_verbatim(text)
    # 1. Links versus plain text.
    pieces: list[tuple[str, str | None]] = []  # (text, url)
    pos = 0
    for m in _LINK.finditer(text):
        if m.start() > pos:
            pieces.append((text[pos : m.start()], None))
        pieces.append((m.group(1), m.group(2)))
        pos = m.end()
    if pos < len(text):
        pieces.append((text[pos:], None))

    # 2. Count the bold markers in plain pieces; an odd last one is literal.
    markers = sum(p.count(_BOLD) for p, url in pieces if url is None)
    usable = markers - (markers % 2)

    spans: list[Span] = []
    bold = False
    seen = 0
    for piece, url in pieces:
        if url is not None:
            spans.append(Span(piece, bold, url))
            continue
        parts = piece.split(_BOLD)
        for i, part in enumerate(parts):
            if i > 0:
                if seen < usable:
                    bold = not bold
                else:
                    part = _BOLD + part
                seen += 1
            if part:
                spans.append(Span(part, bold))
    return _merge(spans)


_SLOT = "\ue002"


def _with_verbatim(text: str) -> tuple[Span, ...]:
    """Markup parsed around verbatim runs, each run kept as verbatim spans in the
    formatting of the markup around it (``**{name}**`` is a bold verbatim name).

    Each run is swapped for one placeholder character while the markup is parsed, so
    nothing inside a run can pair with a marker outside it. A run cut open by
    truncation ends at the text's end; a stray closing mark is dropped.
    """
    runs: list[str] = []
    skeleton: list[str] = []
    rest = text.replace(_SLOT, "")
    while rest:
        head, opened, tail = rest.partition(VERBATIM_OPEN)
        skeleton.append(head.replace(VERBATIM_CLOSE, ""))
        if not opened:
            break
        run, _, rest = tail.partition(VERBATIM_CLOSE)
        runs.append(run.replace(VERBATIM_OPEN, ""))
        skeleton.append(_SLOT)
    queue = iter(runs)
    spans: list[Span] = []
    for s in parse_inline("".join(skeleton)):
        for i, part in enumerate(s.text.split(_SLOT)):
            if i > 0:
                run = next(queue, "")
                if run:
                    spans.append(Span(run, s.bold, s.url, True))
            if part:
                spans.append(Span(part, s.bold, s.url))
    return _merge(spans)


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    """Join neighbouring spans with the same formatting (keeps outputs small)."""
    out: list[Span] = []
    for s in spans:
        if (out and out[-1].bold == s.bold and out[-1].url is None and s.url is None
                and out[-1].verbatim == s.verbatim):
            out[-1] = Span(out[-1].text + s.text, s.bold, None, s.verbatim)
        else:
            out.append(s)
    return tuple(out)


def split_lines(spans: tuple[Span, ...]) -> list[tuple[Span, ...]]:
    """Cut spans at newlines, keeping each piece's formatting.

    Slack bold and Teams text blocks work per line, so renderers re-emit markup line by
    line; an empty tuple is an empty line.
    """
    lines: list[list[Span]] = [[]]
    for s in spans:
        parts = s.text.split("\n")
        for i, part in enumerate(parts):
            if i > 0:
                lines.append([])
            if part:
                lines[-1].append(Span(part, s.bold, s.url, s.verbatim))
    return [tuple(line) for line in lines]


def plain(text: str) -> str:
    """Markup removed, links kept as bare labels: for places that show no URL at all
    (button labels, headers, titles)."""
    return "".join(s.text for s in parse_inline(text))


SHRINK_STEPS = (1500, 800, 400, 200, 100)
"""Character budgets a renderer tries, in order, when a card is over its platform's
limits: each paragraph, note and field value is cut to the budget (see ``shortened``)."""


def _cut(text: str, budget: int, max_lines: int) -> str:
    """``text`` cut to ``budget`` characters and ``max_lines`` lines, ending with a
    visible ellipsis when anything was cut. A verbatim run cut open stays verbatim (the
    parser closes it at the end), so nothing a customer typed turns into markup."""
    lines = text.split("\n")
    cut = len(text) > budget or len(lines) > max_lines
    if not cut:
        return text
    text = "\n".join(lines[:max_lines])[:budget].rstrip()
    if text.count(VERBATIM_OPEN) > text.count(VERBATIM_CLOSE):
        text += VERBATIM_CLOSE
    return text + " …"


def shortened(card: Card, budget: int) -> Card:
    """``card`` with every paragraph, note and field value cut to ``budget`` characters
    (and a proportionate number of lines), each cut marked with "…". What renderers fall
    back to when the full card is over a platform's limit: a shorter card that arrives
    beats a complete one that the platform refuses."""
    max_lines = max(4, budget // 40)

    def one(block: object) -> object:
        if isinstance(block, Text):
            return Text(_cut(block.text, budget, max_lines))
        if isinstance(block, Note):
            return Note(_cut(block.text, budget // 2, max_lines // 2 or 1))
        if isinstance(block, Fields):
            return Fields(tuple((label, _cut(value, budget // 4, 4)) for label, value in block.items))
        return block

    return Card(card.title, tuple(one(b) for b in card.blocks), card.buttons, card.fallback)  # type: ignore[misc]


def readable(text: str) -> str:
    """Markup removed, links shown as ``label <url>`` so the URL is still usable."""
    out = []
    for s in parse_inline(text):
        if s.url is None:
            out.append(s.text)
        elif s.url in (s.text, "mailto:" + s.text):
            out.append(f"<{s.text}>" if s.url.startswith("mailto:") else s.url)
        elif s.url.startswith("tel:"):
            out.append(s.text)  # the label is the number: nothing more to show
        else:
            out.append(f"{s.text} <{s.url}>")
    return "".join(out)


_CODE = re.compile(r"`([^`\n]+)`")


def terminal(text: str) -> str:
    """``readable``, and inline code (a command written as `team`) in plain quotes: a
    terminal shows no code font, and backticks there are noise around what to type."""
    return _CODE.sub(r'"\1"', readable(text))


def button_rows(labels: Sequence[str], *, max_per_row: int, budget_px: int, char_px: float, pad_px: int, gap_px: int = 8) -> list[int]:
    """How many buttons go in each row: the fewest rows whose sizes differ by at most
    one and whose estimated width fits ``budget_px``.

    Platforms wrap or squeeze an over-wide button row in ways that read badly (a lone
    button on its own line, truncated labels), so renderers decide the rows themselves
    from a rough width estimate (``pad_px`` + ``char_px`` per character per button).
    Shared here so Slack and Teams lay out the same buttons alike.
    """
    n = len(labels)
    if n == 0:
        return []
    widths = [pad_px + char_px * len(label) for label in labels]
    for rows in range(-(-n // max_per_row), n + 1):
        base, extra = divmod(n, rows)
        sizes = [base + 1] * extra + [base] * (rows - extra)
        start, fits = 0, True
        for size in sizes:
            row = widths[start : start + size]
            if size > 1 and sum(row) + gap_px * (size - 1) > budget_px:
                fits = False
                break
            start += size
        if fits:
            return sizes
    return [1] * n


def _width(s: str) -> int:
    """Columns a string takes in a terminal: wide East Asian characters count two,
    combining marks none (so ``é`` written as e + accent still aligns)."""
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def _underline(title: str, char: str) -> list[str]:
    t = plain(title).strip()
    if not t:
        return []
    # A multi-line title is underlined as wide as its widest line.
    return [t, char * max(_width(line) for line in t.split("\n"))]


def _indent(text: str, prefix: str) -> list[str]:
    return [prefix + line if line else "" for line in text.split("\n")]


def _fields(items: tuple[tuple[str, str], ...]) -> list[str]:
    rows = [(plain(label).strip(), terminal(value)) for label, value in items]
    rows = [(label, value) for label, value in rows if label or value]
    if not rows:
        return []
    col = max(_width(label) for label, _ in rows)
    out = []
    for label, value in rows:
        pad = " " * (col - _width(label) + 2)
        first, *rest = value.split("\n") if value else [""]
        out.append((label + pad + first).rstrip())
        out.extend((" " * (col + 2) + line) if line else "" for line in rest)
    return out


def _contact(c: Contact) -> list[str]:
    head = " — ".join(x for x in (plain(c.role).strip(), plain(c.name).strip()) if x)
    out = [head] if head else []
    reach = " · ".join(x for x in (c.email.strip(), c.phone.strip()) if x)
    if reach:
        out.append("  " + reach)
    if c.about.strip():
        out.extend(_indent(terminal(c.about.strip()), "  "))
    return out


def _block(block: object) -> list[str]:
    if isinstance(block, Text):
        return terminal(block.text).strip("\n").split("\n") if block.text.strip() else []
    if isinstance(block, Fields):
        return _fields(block.items)
    if isinstance(block, Contact):
        return _contact(block)
    if isinstance(block, Note):
        return _indent(terminal(block.text).strip("\n"), "  ") if block.text.strip() else []
    if isinstance(block, Divider):
        return ["-" * 40]
    raise ValueError(f"unknown card block {type(block).__name__}")


def render_text(card: Card, first: int = 1) -> str:
    """The card as plain text: underlined title, blocks separated by blank lines, and
    buttons as ``[n] Label`` lines (n from ``first``, so several cards shown together
    number their buttons on) that a console user answers by number.

    Link buttons show their URL, since typing their number cannot open anything.
    """
    chunks: list[list[str]] = []
    head = _underline(card.title, "=")
    if head:
        chunks.append(head)
    for block in card.blocks:
        lines = _block(block)
        if lines:
            chunks.append(lines)
    if card.buttons:
        rows = []
        for i, b in enumerate(card.buttons, start=first):
            label = plain(b.label).strip()
            rows.append(f"[{i}] {label} <{b.url}>" if b.url else f"[{i}] {label}")
        chunks.append(rows)
    return "\n\n".join("\n".join(lines) for lines in chunks)


def _input_lines(n: int, inp: object) -> list[str]:
    if isinstance(inp, TextInput):
        out = [f"{n}. {plain(inp.label).strip()}{' *' if inp.required else ''}"]
        if inp.initial:
            out.extend(_indent(inp.initial, "   > "))
        elif inp.placeholder:
            out.append(f"   ({plain(inp.placeholder).strip()})")
        return out
    if isinstance(inp, SelectInput):
        out = [f"{n}. {plain(inp.label).strip()}{' *' if inp.required else ''}"]
        for choice in inp.options:
            mark = "x" if choice.value == inp.initial else " "
            out.append(f"   ({mark}) {plain(choice.label).strip()}")
        return out
    raise ValueError(f"unknown form input {type(inp).__name__}")


def render_form_text(form: Form) -> str:
    """The form as plain text: title, intro, numbered inputs (``*`` marks the required
    ones; a select lists its options radio-style with the initial one ticked), and
    the submit and cancel labels last."""
    chunks: list[list[str]] = []
    head = _underline(form.title, "=")
    if head:
        chunks.append(head)
    if form.intro.strip():
        chunks.append(terminal(form.intro).strip("\n").split("\n"))
    for n, inp in enumerate(form.inputs, start=1):
        chunks.append(_input_lines(n, inp))
    actions = "   ".join(f"[{plain(x).strip()}]" for x in (form.submit_label, form.cancel_label) if x.strip())
    if actions:
        chunks.append([actions])
    return "\n\n".join("\n".join(lines) for lines in chunks)
