"""The onboarding team's view of what customers ask: ``stats``, ``lessons``, ``forget``,
the "This belongs to..." form, and the App Home section.

Everything here is for members only, and only where no customer reads along: a direct
message, the team's channel, the App Home or the console. In a customer's conversation
a member is asked to look elsewhere, since the figures and samples cover every account.
"""

from __future__ import annotations

import re

from cards.model import Block, Button, Card, Choice, Divider, Fields, Form, Note, SelectInput, Style, Text
from handlers.catalog import Catalog
from handlers.context import Context
from handlers.escalation_records import URGENCIES
from handlers.i18n import Translator
from handlers.insights import counts
from handlers.insights.figures import EscalationFigures, Figures, gather
from handlers.insights.lessons import Lesson, Lessons, phrase_of
from handlers.insights.samples import Sample, Samples
from handlers.router import Route, Router
from handlers.turn import CONSOLE, ConversationKind, FormErrors, OpenForm, Reply, Response, Turn, TurnKind

STATS = "ins.stats"
SAMPLES = "ins.samples"
TEACH = "ins.teach"
TEACH_SUBMIT = "ins.teach.submit"
LESSONS = "ins.lessons"
PERIODS = (7, 30)
_NUMBER = re.compile(r"(\d{1,4})\s*$")


# -- formatting -----------------------------------------------------------------------
def duration(t: Translator, seconds: float | None) -> str:
    if seconds is None:
        return t("insights.none")
    minutes = round(seconds / 60)
    if minutes < 60:
        return t("insights.minutes", n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return t("insights.hours", h=hours, m=f"{rest:02d}")
    return t("insights.days", d=hours // 24, h=hours % 24)


def percent(t: Translator, part: int, whole: int) -> str:
    return t("insights.percent", n=round(100 * part / whole) if whole else 0)


def topic_label(catalog: Catalog, lang: str, topic_id: str) -> str:
    topic = catalog.routing.route(topic_id)
    return topic.label[lang] if topic is not None else topic_id  # type: ignore[index]


def account_name(catalog: Catalog, t: Translator, account_id: str) -> str:
    if account_id == counts.UNLINKED:
        return t("insights.unlinked")
    account = catalog.account(account_id)
    return account.name if account is not None else account_id


def quoted(t: Translator, text: str) -> str:
    # customer text: no inline markup of ours may turn it into bold or a link
    return t("insights.quoted", text=text.replace("*", "\u2217").replace("[", "(").replace("]", ")"))


# -- cards ----------------------------------------------------------------------------
def figure_blocks(t: Translator, catalog: Catalog, figures: Figures) -> list[Block]:
    """The figures of a period: totals, per account, escalations, topics."""
    total = figures.total
    blocks: list[Block] = [Fields((
        (t("insights.asked"), str(total.asked)),
        (t("insights.routed"), f"{total.routed} ({percent(t, total.routed, total.asked)})"),
        (t("insights.not_sure"), f"{total.not_sure} ({percent(t, total.not_sure, total.asked)})"),
        (t("insights.urgent"), f"{total.urgent} ({percent(t, total.urgent, total.asked)})"),
        (t("insights.escalated"), f"{total.escalated} ({percent(t, total.escalated, total.asked)})"),
    ))]
    lines = []
    for account_id, tally in figures.accounts.items():
        escalations = figures.account_escalations.get(account_id, EscalationFigures())
        if not tally.asked and not escalations.total:
            continue
        lines.append(t(
            "insights.account_line", name=account_name(catalog, t, account_id), asked=tally.asked,
            routed=percent(t, tally.routed, tally.asked), not_sure=percent(t, tally.not_sure, tally.asked),
            urgent=percent(t, tally.urgent, tally.asked), escalated=percent(t, tally.escalated, tally.asked),
            escalations=escalations.total,
        ))
    blocks.append(Text(t("insights.by_account") + "\n" + ("\n".join(lines) if lines else t("insights.nothing_yet"))))
    esc = figures.escalations
    blocks.append(Divider())
    esc_lines = [t("insights.esc.states", total=esc.total, open=esc.states.get("open", 0),
                   acknowledged=esc.states.get("acknowledged", 0), resolved=esc.states.get("resolved", 0))]
    for urgency in URGENCIES:
        limit = figures.remind_seconds[urgency]
        ack, res = esc.to_ack[urgency], esc.to_resolve[urgency]
        if not ack.seconds and not res.seconds:
            continue
        label, remind = t(f"esc.urgency.{urgency}"), duration(t, limit)
        first = (t("insights.esc.ack", urgency=label, remind=remind, ack=duration(t, ack.median()),
                   within=ack.within(limit), n=len(ack.seconds)) if ack.seconds
                 else t("insights.esc.unacknowledged", urgency=label, remind=remind))
        second = (t("insights.esc.resolve", resolve=duration(t, res.median()), within=res.within(limit), n=len(res.seconds))
                  if res.seconds else t("insights.esc.unresolved"))
        esc_lines.append(t("insights.esc.timing", first=first, second=second))
    blocks.append(Text(t("insights.esc.title") + "\n" + "\n".join(esc_lines)))
    top = total.top_topics()
    if top:
        listed = " · ".join(f"{topic_label(catalog, t.lang, topic)} {n}" for topic, n in top)
        blocks.append(Text(t("insights.topics", topics=listed)))
    return blocks


def stats_card(t: Translator, catalog: Catalog, figures: Figures, samples: int) -> Card:
    other = 30 if figures.days == 7 else 7
    title = t("insights.stats.title", days=figures.days)
    return Card(
        title=title,
        blocks=tuple(figure_blocks(t, catalog, figures)),
        buttons=(
            Button(t("insights.button.period", days=other), STATS, {"days": str(other), "replace": "1"}),
            Button(t("insights.button.samples", n=samples), SAMPLES),
            Button(t("insights.button.lessons"), LESSONS),
        ),
        fallback=t("insights.stats.fallback", days=figures.days, asked=figures.total.asked,
                   not_sure=figures.total.not_sure),
    )


def sample_blocks(t: Translator, catalog: Catalog, samples: list[Sample]) -> tuple[list[Block], list[Button]]:
    blocks: list[Block] = []
    row: list[Button] = []
    for number, sample in enumerate(samples, 1):
        blocks.append(Text(f"**{number}.** {quoted(t, sample.text)}"))
        blocks.append(Note(t("insights.sample.meta", account=account_name(catalog, t, sample.account),
                             date=t.date(sample.moment.date()))))
        row.append(Button(t("insights.button.teach", n=number), TEACH, {"sample": sample.id}))
    return blocks, row


def samples_card(t: Translator, catalog: Catalog, samples: list[Sample], days: int) -> Card:
    title = t("insights.samples.title")
    if not samples:
        return Card(title=title, blocks=(Text(t("insights.samples.none", days=days)),), fallback=title)
    blocks, row = sample_blocks(t, catalog, samples)
    blocks.append(Note(t("insights.samples.how")))
    return Card(title=title, blocks=tuple(blocks), buttons=tuple(row), fallback=title)


def topic_choices(catalog: Catalog, lang: str) -> tuple[Choice, ...]:
    out = []
    for route in catalog.routing.routes:
        for each in route.self_and_narrower():
            out.append(Choice(each.id, each.label[lang][:75]))  # type: ignore[index]
    return tuple(out)


# -- intents --------------------------------------------------------------------------
def _private_place(turn: Turn, ctx: Context) -> bool:
    """Where figures and questions of every account may be shown: the console, a direct
    message (or the App Home) that belongs to no account, and the team's own channel.
    Never a customer's conversation, nor a channel no one vouched for."""
    if ctx.platform == CONSOLE:
        return True
    if turn.where.kind is ConversationKind.DIRECT:
        return ctx.account is None
    team = ctx.catalog.onboarding
    return (turn.platform, turn.where.conversation) in team.conversations()


def _elsewhere(ctx: Context) -> Reply:
    return Reply(text=ctx.t("insights.not_here"), private=True)


async def stats(turn: Turn, ctx: Context) -> Response:
    if not _private_place(turn, ctx):
        return _elsewhere(ctx)
    number = _NUMBER.search(turn.text)
    wanted = turn.data.get("days") or (number.group(1) if number else "7")
    days = 30 if wanted == "30" else 7
    now = ctx.now()
    figures = await gather(ctx.store, ctx.catalog, now, days)
    samples = await Samples(ctx.store, ctx.services.insights.sample_days).recent(now, limit=10)
    replace = turn.kind is TurnKind.ACTION and turn.data.get("replace") == "1"
    return Reply(card=stats_card(ctx.t, ctx.catalog, figures, len(samples)), replace=replace)


async def samples(turn: Turn, ctx: Context) -> Response:
    if not _private_place(turn, ctx):
        return _elsewhere(ctx)
    days = ctx.services.insights.sample_days
    found = await Samples(ctx.store, days).recent(ctx.now(), limit=10)
    return Reply(card=samples_card(ctx.t, ctx.catalog, found, days))


async def teach(turn: Turn, ctx: Context) -> Response:
    if not _private_place(turn, ctx):
        return _elsewhere(ctx)
    sample = await Samples(ctx.store, ctx.services.insights.sample_days).get(turn.data.get("sample", ""), ctx.now())
    if sample is None:
        return Reply(text=ctx.t("insights.teach.gone"), private=True)
    t = ctx.t
    return OpenForm(Form(
        title=t("insights.teach.title"),
        action=TEACH_SUBMIT,
        intro=t("insights.teach.intro", question=quoted(t, sample.text)),
        submit_label=t("insights.teach.submit"),
        cancel_label=t("esc.form.cancel"),
        data={"sample": sample.id},
        inputs=(SelectInput("topic", t("insights.teach.topic"), topic_choices(ctx.catalog, ctx.lang)),),
    ))


async def teach_submit(turn: Turn, ctx: Context) -> Response:
    # Checked here too, not only when the form opens: a submit carries the sample id and
    # can be sent from any conversation, and the answer quotes the customer's question.
    if not _private_place(turn, ctx):
        return _elsewhere(ctx)
    assert ctx.member is not None
    store = Samples(ctx.store, ctx.services.insights.sample_days)
    sample = await store.get(turn.data.get("sample", ""), ctx.now())
    topic = ctx.catalog.routing.route(str(turn.data.get("topic", "")))
    if sample is None:
        return Reply(text=ctx.t("insights.teach.gone"), private=True)
    if topic is None:
        return FormErrors({"topic": ctx.t("insights.teach.pick")})
    await Lessons(ctx.store).teach(phrase_of(sample.text), topic.id, ctx.member.name, sample.lang, ctx.now())
    await store.drop(sample.id)
    return Reply(text=ctx.t("insights.teach.done", question=quoted(ctx.t, sample.text),
                            topic=topic.label[ctx.lang]), private=True)


def lessons_card(t: Translator, catalog: Catalog, lessons: list[Lesson]) -> Card:
    title = t("insights.lessons.title", n=len(lessons))
    if not lessons:
        return Card(title=title, blocks=(Text(t("insights.lessons.none")),), fallback=title)
    blocks: list[Block] = []
    for number, lesson in enumerate(lessons, 1):
        blocks.append(Text(t("insights.lessons.line", n=number, phrase=quoted(t, lesson.phrase),
                             topic=topic_label(catalog, t.lang, lesson.topic))))
        blocks.append(Note(taught_line(t, lesson)))
    blocks.append(Note(t("insights.lessons.how")))
    return Card(title=title, blocks=tuple(blocks), fallback=title)


def taught_line(t: Translator, lesson: Lesson) -> str:
    return t("insights.taught", name=lesson.by, date=t.date(lesson.day))


async def lessons(turn: Turn, ctx: Context) -> Response:
    if not _private_place(turn, ctx):
        return _elsewhere(ctx)
    found = await Lessons(ctx.store).all()
    return Reply(card=lessons_card(ctx.t, ctx.catalog, found))


async def forget(turn: Turn, ctx: Context) -> Response:
    if not _private_place(turn, ctx):
        return _elsewhere(ctx)
    number = _NUMBER.search(turn.text)
    repo = Lessons(ctx.store)
    found = await repo.all()
    if number is None or not 0 < int(number.group(1)) <= len(found):
        return Reply(text=ctx.t("insights.forget.usage", example=ctx.cmd(ctx.t("insights.forget.example")),
                                lessons=ctx.cmd(ctx.t("insights.lessons.word")), n=len(found)), private=True)
    lesson = found[int(number.group(1)) - 1]
    await repo.forget(lesson.phrase)
    return Reply(text=ctx.t("insights.forget.done", phrase=quoted(ctx.t, lesson.phrase),
                            topic=topic_label(ctx.catalog, ctx.lang, lesson.topic)), private=True)


async def home_cards(ctx: Context) -> tuple[Card, ...]:
    """The members' App Home section: a summary with a Usage button, and the latest
    questions the bot was not sure about, each with "This belongs to..."."""
    if ctx.member is None:
        return ()
    t = ctx.t
    now = ctx.now()
    days = ctx.services.insights.sample_days
    figures = await gather(ctx.store, ctx.catalog, now, 7)
    found = await Samples(ctx.store, days).recent(now, limit=5)
    total = figures.total
    summary = Card(
        title=t("insights.home.title"),
        blocks=(Text(t("insights.home.summary", asked=total.asked, routed=percent(t, total.routed, total.asked),
                       not_sure=total.not_sure, escalations=figures.escalations.total)),),
        buttons=(Button(t("insights.button.usage"), STATS, {"days": "7"}, style=Style.PRIMARY),
                 Button(t("insights.button.lessons"), LESSONS)),
        fallback=t("insights.home.title"),
    )
    if not found:
        return (summary,)
    return summary, samples_card(t, ctx.catalog, found, days)


def register(router: Router) -> None:
    router.command(("stats", "statistiques"), Route("insights.stats", stats, needs_member=True))
    router.action(STATS, Route("insights.stats", stats, needs_member=True))
    router.action(SAMPLES, Route("insights.samples", samples, needs_member=True))
    router.action(TEACH, Route("insights.teach", teach, needs_member=True))
    router.submit(TEACH_SUBMIT, Route("insights.teach", teach_submit, needs_member=True))
    router.command(("lessons", "lecons"), Route("insights.lessons", lessons, needs_member=True))
    router.action(LESSONS, Route("insights.lessons", lessons, needs_member=True))
    router.command(("forget", "oublier"), Route("insights.forget", forget, needs_member=True))
