"""The calls the question and escalation paths make: count, keep samples, apply lessons.

Nothing here may cost a customer their answer: a store that cannot be reached skips
the counting (logged without any of the question's text) and the matcher answers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from handlers.context import Context, Services
from handlers.escalation_records import ACKNOWLEDGED, OPEN, RESOLVED, Escalation
from handlers.insights import counts
from handlers.insights.lessons import Lesson, Lessons, phrase_of
from handlers.insights.samples import Samples
from handlers.matching import Index, match
from handlers.ports import StoreUnavailable
from handlers.turn import Reply, Turn

log = logging.getLogger(__name__)

Respond = Callable[[Context, Index, str], Reply]


def keeps_samples(ctx: Context) -> bool:
    return ctx.account is None or getattr(ctx.account, "keep_question_samples", True)


async def answer_question(ctx: Context, turn: Turn, text: str, index: Index, respond: Respond) -> Reply:
    """The answer to a question: a taught lesson first, else the matcher (``respond``);
    then the outcome is counted and, when not sure, the masked question kept."""
    lesson: Lesson | None = None
    try:
        lesson = await Lessons(ctx.store).find(phrase_of(text))
    except StoreUnavailable:
        pass
    found = match(index, text)
    topic = ctx.catalog.routing.route(lesson.topic) if lesson is not None else None
    if topic is not None:
        from handlers import questions  # the answer cards live there; imported late (it imports us)

        card = questions.answer_card(ctx, questions.decide(topic, ctx, urgent=found.urgent))
        reply = Reply(card=questions.pin_card(ctx, card), private=True) if found.pin else Reply(card=card)
        route: str | None = topic.id
    else:
        reply = respond(ctx, index, text)
        route = found.route
    if route is None and reply.card is None:
        return reply  # small talk: no question to count
    await _record(ctx, turn, text, route, found.urgent)
    return reply


async def _record(ctx: Context, turn: Turn, text: str, route: str | None, urgent: bool) -> None:
    options = ctx.services.insights
    outcome = counts.ROUTED if route is not None else counts.NOT_SURE
    options.meter.question(outcome, route)
    if urgent:
        options.meter.question(counts.URGENT, None)
    account = ctx.account.id if ctx.account is not None else counts.UNLINKED
    now = ctx.now()
    metrics = [counts.ASKED, outcome, *((counts.URGENT,) if urgent else ()),
               *((counts.topic_metric(route),) if route is not None else ())]
    try:
        await counts.count(ctx.store, now.date(), account, metrics)
        await counts.note_question(ctx.store, turn.where.key, account, now)
        if route is None and keeps_samples(ctx):
            await Samples(ctx.store, options.sample_days).keep(text, account, ctx.lang, now)
    except StoreUnavailable:
        log.warning("question not counted: store unavailable")


async def escalation_created(services: Services, esc: Escalation) -> None:
    """Count the questions of the hour before ``esc`` in its conversation as escalated."""
    r = esc.requester
    conversation = f"{r.platform}:{r.tenant}:{r.conversation}"
    try:
        n = await counts.escalated_after_questions(services.store, conversation, services.clock())
    except StoreUnavailable:
        log.warning("escalation not matched to questions: store unavailable")
        return
    for _ in range(n):
        services.insights.meter.question(counts.ESCALATED, None)


def escalation_changed(services: Services, before: Escalation, after: Escalation) -> None:
    """Time to acknowledge and to resolve, observed when each first happens."""
    meter = services.insights.meter
    if not after.history:
        return
    elapsed = (dt.datetime.fromisoformat(after.history[-1].at) - after.created).total_seconds()
    if before.state == OPEN and after.state in (ACKNOWLEDGED, RESOLVED):
        meter.escalation_timing("acknowledge", after.urgency, max(elapsed, 0.0))
    if before.state != RESOLVED and after.state == RESOLVED:
        meter.escalation_timing("resolve", after.urgency, max(elapsed, 0.0))

