"""The escalation form: what it asks, how its answers are checked, and how a service-desk
PIN typed into it is masked before anything is stored or forwarded.

Split from ``handlers.escalations`` (the routes and state changes), which uses it.
"""

from __future__ import annotations

import hashlib

from cards.model import Choice, Form, SelectInput, TextInput, clean_user_text
from handlers.context import Context
from handlers.escalation_cards import (
    CANCEL,
    PIN_MASK,
    SUBMIT,
)
from handlers.escalation_records import (
    CATEGORIES,
    URGENCIES,
)
from handlers.matching import IndexCache, match
from handlers.matching import mask_pins as _mask_numbers
from handlers.status_line import urgent_line
from handlers.turn import Turn

_LIMITS = {"subject": (3, 150), "description": (10, 3000)}
SAME_FORM_SECONDS = 600.0  # the same form sent again within this time is the same escalation


def escalation_form(ctx: Context, *, subject: str = "", description: str = "", link: str = "") -> Form:
    """The form, with the urgent rule under its intro: the onboarding team answers in
    working time, so an urgent problem also needs the way that applies today."""
    t = ctx.t
    categories = tuple(Choice(c, t(f"esc.category.{c}")) for c in CATEGORIES)
    urgencies = tuple(Choice(u, t(f"esc.urgency.{u}")) for u in URGENCIES)
    intro = t("esc.form.intro", status=ctx.cmd("status"))
    if ctx.account is not None:
        intro += "\n\n" + urgent_line(ctx)
    return Form(
        title=t("esc.form.title"),
        action=SUBMIT,
        intro=intro,
        submit_label=t("esc.form.submit"),
        cancel_label=t("esc.form.cancel"),
        cancel_action=CANCEL,
        data={"link": link[:500]} if link else {},
        inputs=(
            TextInput("subject", t("esc.form.subject"), placeholder=t("esc.form.subject_hint"), initial=subject[:150],
                      max_length=150, error=t("esc.error.subject_missing")),
            SelectInput("category", t("esc.form.category"), categories, placeholder=t("esc.form.category_hint"),
                        error=t("esc.error.category_missing")),
            SelectInput("urgency", t("esc.form.urgency"), urgencies, initial="normal", error=t("esc.error.urgency_missing")),
            TextInput("description", t("esc.form.description"), placeholder=t("esc.form.description_hint"),
                      initial=description[:3000], multiline=True, max_length=3000, error=t("esc.error.description_missing")),
        ),
    )


def validate(ctx: Context, data: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Clean values and per-input error messages (empty when the form is valid)."""
    t = ctx.t
    values = {k: clean_user_text(str(data.get(k, "") or "")).strip() for k in ("subject", "category", "urgency", "description")}
    errors: dict[str, str] = {}
    for name, (low, high) in _LIMITS.items():
        if not values[name]:
            errors[name] = t(f"esc.error.{name}_missing")
        elif len(values[name]) < low:
            errors[name] = t("esc.error.too_short", n=low)
        elif len(values[name]) > high:
            errors[name] = t("esc.error.too_long", n=high)
    if values["category"] not in CATEGORIES:
        errors["category"] = t("esc.error.category") if values["category"] else t("esc.error.category_missing")
    if values["urgency"] not in URGENCIES:
        errors["urgency"] = t("esc.error.urgency") if values["urgency"] else t("esc.error.urgency_missing")
    return values, errors


def mask_pins(indexes: IndexCache, ctx: Context, text: str) -> tuple[str, bool]:
    """``text`` with what the question path takes for a service-desk PIN (a PIN word of
    ``routing.yaml`` and a 4-digit number that is not a year or a standard) masked, and
    whether anything was. A code is never stored, nor forwarded to the team."""
    if not text or not match(indexes.get(ctx.catalog.routing), text).pin:
        return text, False
    return _mask_numbers(text, PIN_MASK)


def same_form_key(turn: Turn, values: dict[str, str], link: str) -> str:
    """The same form sent twice by the same person from the same conversation: one key,
    whatever request carried it (pressing Send twice can make two requests with two
    ids). Spacing and case in the texts do not make a form different."""
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    parts = (turn.platform, turn.where.tenant, turn.where.conversation, turn.user_id,
             norm(values["subject"]), values["category"], values["urgency"], norm(values["description"]), norm(link))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
