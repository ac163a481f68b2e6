"""``ask``: a question in the customer's own words, answered with who handles it.

Reached by ``ask <question>``, by any text that is no command (the router's fallback),
by @mentions and by direct messages. The answer names the role or desk, shows how to
reach them from this account's team, says in one line why, and offers next steps.

Two rules shape every answer:

* Onboarding state: while the account cannot use the portal (ECP) and the service desk
  (GSD), a desk's topic goes to whoever routing.yaml names in ``before_access``, and the
  card says when access opens. Urgent problems are phoned in: the GSD once open, the
  account manager until then.
* Honesty: when the matcher is not sure, the card says so and offers the likeliest topics
  as buttons (``ask.route``) plus the onboarding team, instead of guessing.

The question text is never logged or repeated back, so a 4-digit service desk code
someone pastes by mistake goes nowhere; they are warned instead. Only the text of a
question the bot was not sure about is kept, masked (``handlers.insights.samples``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cards.model import Block, Button, Card, Contact, Divider, Note, Text
from handlers import buttons, facts
from handlers.catalog import DESKS, ROLES, Routing
from handlers.catalog import Route as Topic
from handlers.context import Context
from handlers.insights.hooks import answer_question
from handlers.matching import Index, IndexCache, Match, match
from handlers.router import Route, Router, stale_button
from handlers.status_line import access_sentence, urgent_line
from handlers.team import contact_for
from handlers.turn import Reply, Response, Turn, TurnKind

SHOW_ROUTE = "ask.route"
MAX_SMALL_TALK_WORDS = 3
"""A greeting or thanks with more unknown words than this is treated as a question."""

_TARGET_NAMES = {
    "service_desk": "questions.target.service_desk",
    "portal": "questions.target.portal",
    "onboarding_team": "questions.target.onboarding_team",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """Who answers a topic for this account today.

    ``covering`` is set when the topic's own target is a desk the account cannot use yet
    and a stand-in answers instead; ``by_phone`` when the question is urgent and the topic
    is one that is phoned in.
    """

    topic: Topic
    target: str
    covering: bool
    by_phone: bool


def decide(topic: Topic, ctx: Context, *, urgent: bool) -> Decision:
    """Apply the onboarding-state exception of routing.yaml to ``topic``."""
    closed = ctx.account is not None and not ctx.access_open()
    target = topic.target
    covering = False
    if closed and target in DESKS and topic.before_access is not None:
        target, covering = topic.before_access, True
    return Decision(topic, target, covering, urgent and topic.by_phone_when_urgent)


def why(ctx: Context, topic: Topic) -> str:
    """The topic's one line on why, from routing.yaml, in this language's typography."""
    return ctx.t.fill(topic.why[ctx.lang])


def label(ctx: Context, topic: Topic) -> str:
    """The topic's button label, from routing.yaml, in this language's typography."""
    return ctx.t.fill(topic.label[ctx.lang])


def target_name(ctx: Context, target: str) -> str:
    if target in ROLES:
        return ctx.t(f"role.{target}")
    return ctx.t(_TARGET_NAMES[target])


def target_contact(ctx: Context, target: str) -> Block:
    """How to reach ``target``: this account's person for a role, else the desk or team,
    named in the reader's language."""
    t = ctx.t
    site = ctx.catalog.site
    if target in ROLES:
        if ctx.account is None:
            return Note(t("questions.no_account"))
        return contact_for(ctx, target)
    if target == "service_desk":
        desk = site.service_desk
        return Contact(
            role=t("questions.role.service_desk"),
            name=target_name(ctx, target),
            email=desk.email,
            phone=desk.phone,
            about=t("questions.about.service_desk", hours=desk.hours),
        )
    if target == "portal":
        return Contact(
            role=t("questions.role.portal"),
            name=target_name(ctx, target),
            about=t("questions.about.portal", url=site.portal.url),
        )
    team = ctx.catalog.onboarding
    return Contact(
        role=target_name(ctx, target),
        name=team.name_in(ctx.lang),
        email=team.email,
        phone=team.phone,
        about=t("questions.about.onboarding_team", site=site.code),
    )


def urgent_decision(ctx: Context, routing: Routing) -> Decision | None:
    """Whom an urgent question goes to first: the service desk, by phone, once access is
    open; until then whoever routing.yaml names to cover the urgent topic before access
    (the same person ``urgent_line`` says to call). The one place that decides it."""
    topic = routing.route(routing.urgent_route or "")
    if topic is None:
        return None
    return decide(topic, ctx, urgent=True)


def _buttons_for(ctx: Context, decision: Decision) -> tuple[Button, ...]:
    by_target = {"service_desk": buttons.gsd, "portal": buttons.ecp}
    row: list[Button] = []
    # while a stand-in covers a desk the account cannot use yet, nothing points there
    targets = (decision.target,) if decision.covering else (decision.target, decision.topic.target)
    for target in targets:
        if target in ROLES:
            maker = buttons.team if ctx.account is not None else None
        else:
            maker = by_target.get(target)
        if maker is not None:
            button = maker(ctx)
            if button.action not in {b.action for b in row}:
                row.append(button)
    if ctx.account is not None:
        row.append(buttons.escalate(ctx))
    return tuple(row) or (buttons.help_(ctx),)


def _why_blocks(ctx: Context, decision: Decision) -> list[Block]:
    """One line on why, the stand-in sentence while access is closed, and the contact."""
    t = ctx.t
    topic = decision.topic
    blocks: list[Block] = [Text(why(ctx, topic))]
    if decision.covering:
        blocks.append(
            Text(
                t(
                    "questions.covering",
                    desk=target_name(ctx, topic.target),
                    access=access_sentence(ctx),
                    who=target_name(ctx, decision.target),
                )
            )
        )
    blocks.append(target_contact(ctx, decision.target))
    return blocks


def _also_blocks(ctx: Context, also: Sequence[Decision]) -> list[Block]:
    blocks: list[Block] = []
    for decision in also:
        who = target_name(ctx, decision.target)
        blocks += [Divider(), Text(ctx.t("fact.ask.also", who=who, why=why(ctx, decision.topic)))]
        blocks.append(target_contact(ctx, decision.target))
    return blocks


def _row(ctx: Context, decisions: Sequence[Decision]) -> tuple[Button, ...]:
    row: list[Button] = []
    for decision in decisions:
        for button in _buttons_for(ctx, decision):
            if button.action not in (buttons.OPEN_ESCALATION, buttons.SHOW_HELP) and button.action not in {b.action for b in row}:
                row.append(button)
    if ctx.account is not None:
        row.append(buttons.escalate(ctx))
    return tuple(row) or (buttons.help_(ctx),)


def answer_card(ctx: Context, decision: Decision, also: Sequence[Decision] = ()) -> Card:
    """The routed answer: who, how to reach them, why, what to do next, and a second
    owner when the question belongs to two. When the question is urgent, what to do now
    comes first (the shared urgent rule: before access, the bot's guidance, never the desk)."""
    t = ctx.t
    topic = decision.topic
    who = target_name(ctx, decision.target)
    blocks = _why_blocks(ctx, decision)
    if decision.by_phone:
        blocks.insert(0, Text(urgent_line(ctx)))
    if ctx.account is None and decision.target not in ROLES:
        blocks.append(Note(t("questions.no_account")))
    blocks += _also_blocks(ctx, also)
    return Card(
        title=t("questions.title", who=who),
        blocks=tuple(blocks),
        buttons=_row(ctx, (decision, *also)),
        fallback=t("questions.fallback", who=who, why=why(ctx, topic)),
    )


def urgent_card(ctx: Context, call: Decision, also: Sequence[Decision] = ()) -> Card:
    """An urgent question: whom to call now comes first (the desk's or the stand-in's
    phone), then who handles the topic itself."""
    t = ctx.t
    who = target_name(ctx, call.target)
    blocks: list[Block] = [Text(urgent_line(ctx)), target_contact(ctx, call.target)]
    if call.covering:
        blocks.append(Note(access_sentence(ctx)))
    if ctx.account is None:
        blocks.append(Note(t("questions.no_account")))
    blocks += _also_blocks(ctx, also)
    phone = ctx.catalog.site.service_desk.phone
    if call.target in ROLES and ctx.account is not None:
        person = ctx.account.team.by_role(call.target)
        phone = person.phone or person.email
    row = _row(ctx, (call, *also))
    if call.covering:  # the desk is not open yet: nothing on this card points there
        row = tuple(b for b in row if b.action != buttons.SHOW_GSD)
    return Card(
        title=t("fact.ask.urgent_title", who=who),
        blocks=tuple(blocks),
        buttons=row,
        fallback=t("fact.ask.urgent_fallback", who=who, phone=phone),
    )


def _offer(found: Match, index: Index, at_least: int = 2) -> tuple[str, ...]:
    """The likeliest topics, topped up from ``fallback_routes`` to offer a real choice."""
    offered = list(found.likeliest(index))
    if not offered:
        return index.routing.fallback_routes
    targets = {index.targets[route_id] for route_id in offered}
    for route_id in index.routing.fallback_routes:
        if len(offered) >= at_least:
            break
        if route_id not in offered and index.targets.get(route_id) not in targets:
            offered.append(route_id)
            targets.add(index.targets[route_id])
    return tuple(offered)


def not_sure_card(ctx: Context, found: Match, index: Index) -> Card:
    """Say so, and offer the likeliest topics (or the configured defaults) as buttons."""
    t = ctx.t
    routing = index.routing
    offered = _offer(found, index)
    blocks: list[Block] = [Text(t("questions.not_sure.some" if found.candidates else "questions.not_sure.none"))]
    if found.urgent:
        blocks.append(Text(urgent_line(ctx)))
    row: list[Button] = []
    for route_id in offered:
        topic = routing.route(route_id)
        if topic is None:
            continue
        data = {"route": route_id, **({"urgent": "1"} if found.urgent else {})}
        row.append(Button(label(ctx, topic), SHOW_ROUTE, data))
    row.append(facts.menu_button(ctx))
    if ctx.account is not None:
        row.append(buttons.team(ctx))
        row.append(buttons.escalate(ctx))
    return Card(
        title=t("questions.not_sure.title"),
        blocks=tuple(blocks),
        buttons=tuple(row),
        fallback=t("questions.not_sure.fallback"),
    )


def pin_card(ctx: Context, answer: Card | None) -> Card:
    """The warning for a message that looks like it holds the GSD code; never repeats it."""
    t = ctx.t
    blocks: list[Block] = [Text(t("questions.pin.body"))]
    row: tuple[Button, ...] = ()
    if answer is not None:
        blocks += [Divider(), Text(f"**{answer.title}**"), *answer.blocks]
        row = answer.buttons
    return Card(title=t("questions.pin.title"), blocks=tuple(blocks), buttons=row, fallback=t("questions.pin.fallback"))


def small_talk(ctx: Context, found: Match) -> Reply | None:
    """A short friendly answer to a greeting or thanks that carries no question."""
    if found.candidates or len(found.unknown) > MAX_SMALL_TALK_WORDS:
        return None
    if found.thanks:
        return Reply(text=ctx.t("questions.thanks"))
    if found.greeting:
        example = ctx.cmd(ctx.t("help.ask_example"))
        return Reply(text=ctx.t("questions.hello", site=ctx.catalog.site.code, example=example, help=ctx.cmd("help")))
    return None


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the bot makes of one question, before any card is built.

    ``decisions`` are the routes it answers with, likeliest first (empty: not sure, or
    small talk): for an urgent question, whom to call now comes first. ``fact`` is set
    when the question asks for a fact the bot can give. ``chat`` is set when the message
    is a greeting or thanks and nothing else. The routing-accuracy evaluator scores this,
    so it scores what customers see.
    """

    found: Match
    decisions: tuple[Decision, ...]
    chat: bool = False
    fact: str | None = None

    @property
    def urgent(self) -> bool:
        return self.found.urgent


def understand(ctx: Context, index: Index, text: str) -> Understanding:
    """Match ``text`` and decide who answers it for this account today."""
    found = match(index, text)
    routing = index.routing
    decisions: list[Decision] = []
    if found.urgent:
        call = urgent_decision(ctx, routing)
        if call is not None:
            decisions.append(call)
    for route_id in (found.route, found.also):
        topic = index.routes.get(route_id) if route_id else None
        if topic is not None:
            decision = decide(topic, ctx, urgent=found.urgent)
            if decision.target not in {d.target for d in decisions}:
                decisions.append(decision)
    chat = not decisions and found.fact is None and not found.candidates \
        and len(found.unknown) <= MAX_SMALL_TALK_WORDS and (found.thanks or found.greeting)
    return Understanding(found, tuple(decisions), chat, found.fact)


def card_for(ctx: Context, understood: Understanding) -> Card | None:
    """The card for what was understood (None: not sure or small talk); public so the
    routing evaluator can check what the card offers."""
    decisions = understood.decisions
    if understood.fact is not None:
        before: list[Block] = [Text(urgent_line(ctx))] if understood.urgent else []
        after: list[Block] = []
        for n, decision in enumerate(decisions):
            who = target_name(ctx, decision.target)
            key = "fact.ask.who" if n == 0 else "fact.ask.also"
            reason = why(ctx, decision.topic)
            if decision.covering:
                desk = target_name(ctx, decision.topic.target)
                reason = ctx.t("questions.covering", desk=desk, access=access_sentence(ctx), who=who)
            after += [Divider(), Text(ctx.t(key, who=who, why=reason)), target_contact(ctx, decision.target)]
        more = list(_row(ctx, decisions)) if decisions else []
        more.insert(0, facts.menu_button(ctx))
        if ctx.account is not None and not any(b.action == buttons.OPEN_ESCALATION for b in more):
            more.append(buttons.escalate(ctx))
        return facts.fact_card(ctx, understood.fact, before=before, after=after, more_buttons=more)
    if not decisions:
        return None
    if understood.urgent:
        return urgent_card(ctx, decisions[0], decisions[1:])
    return answer_card(ctx, decisions[0], decisions[1:])


def respond(ctx: Context, index: Index, text: str) -> Reply:
    """The whole answer to one question (pure apart from the clock: easy to test)."""
    understood = understand(ctx, index, text)
    found = understood.found
    answer = card_for(ctx, understood)
    if found.pin:
        return Reply(card=pin_card(ctx, answer), private=True)
    if answer is not None:
        return Reply(card=answer)
    chat = small_talk(ctx, found)
    if chat is not None:
        return chat
    return Reply(card=not_sure_card(ctx, found, index))


def register(router: Router, indexes: IndexCache | None = None) -> None:
    """``ask`` and the ``ask.route`` button; app.py makes ``ask`` the router's fallback.

    The matcher's tables are built once per loaded routing, at start-up, and kept in
    ``indexes`` (shared with the escalation form's PIN check, see ``build_router``),
    rather than in a module global.
    """
    tables = indexes if indexes is not None else IndexCache()
    router.warm_up(lambda catalog: tables.get(catalog.routing))

    async def ask(turn: Turn, ctx: Context) -> Response:
        text = turn.text.strip()
        if not text:
            example = ctx.cmd(ctx.t("help.ask_example"))
            return Reply(text=ctx.t("questions.usage", example=example), private=True)
        return await answer_question(ctx, turn, text, tables.get(ctx.catalog.routing), respond)

    async def show_route(turn: Turn, ctx: Context) -> Response:
        topic = ctx.catalog.routing.route(turn.data.get("route", ""))
        if topic is None:
            return stale_button(ctx)
        decision = decide(topic, ctx, urgent=turn.data.get("urgent") == "1")
        return Reply(card=answer_card(ctx, decision), replace=turn.kind is TurnKind.ACTION)

    route = Route("ask", ask)
    router.command(("ask", "question", "demander"), route)
    router.action(SHOW_ROUTE, Route("ask.route", show_route))
