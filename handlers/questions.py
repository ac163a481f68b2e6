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

from dataclasses import dataclass

from cards.model import Block, Button, Card, Contact, Divider, Note, Text
from handlers import buttons
from handlers.catalog import DESKS, ROLES, Route as Topic
from handlers.context import Context
from handlers.insights.hooks import answer_question
from handlers.matching import Index, IndexCache, Match, match
from handlers.router import Route, Router
from handlers.status_line import access_sentence
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


def target_name(ctx: Context, target: str) -> str:
    if target in ROLES:
        return ctx.t(f"role.{target}")
    return ctx.t(_TARGET_NAMES[target])


def target_contact(ctx: Context, target: str) -> Block:
    """How to reach ``target``: this account's person for a role, else the desk or team."""
    t = ctx.t
    site = ctx.catalog.site
    if target in ROLES:
        if ctx.account is None:
            return Note(t("questions.no_account", team=ctx.catalog.onboarding.name))
        return contact_for(ctx, target)
    if target == "service_desk":
        desk = site.service_desk
        return Contact(
            role=t("questions.role.service_desk"),
            name=desk.name,
            email=desk.email,
            phone=desk.phone,
            about=t("questions.about.service_desk", hours=desk.hours),
        )
    if target == "portal":
        return Contact(
            role=target_name(ctx, target),
            name=site.portal.name,
            about=t("questions.about.portal", url=site.portal.url),
        )
    team = ctx.catalog.onboarding
    return Contact(
        role=target_name(ctx, target),
        name=team.name,
        email=team.email,
        phone=team.phone,
        about=t("questions.about.onboarding_team", site=site.code),
    )


def urgent_line(ctx: Context) -> str:
    """Whom to call now: the GSD once access is open, the account manager until then."""
    if ctx.account is not None and not ctx.access_open():
        manager = ctx.account.team.account_manager
        phone = manager.phone or ctx.catalog.onboarding.phone or manager.email
        return ctx.t("questions.urgent_manager", name=manager.name, phone=phone)
    return ctx.t("questions.urgent_gsd", phone=ctx.catalog.site.service_desk.phone)


def _buttons_for(ctx: Context, decision: Decision) -> tuple[Button, ...]:
    by_target = {"service_desk": buttons.gsd, "portal": buttons.ecp}
    row: list[Button] = []
    for target in (decision.target, decision.topic.target):
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


def answer_card(ctx: Context, decision: Decision) -> Card:
    """The routed answer: who, how to reach them, why, and what to do next."""
    t = ctx.t
    topic = decision.topic
    who = target_name(ctx, decision.target)
    blocks: list[Block] = [Text(topic.why[ctx.lang])]
    if decision.covering:
        blocks.append(
            Text(
                t(
                    "questions.covering",
                    desk=target_name(ctx, topic.target),
                    access=access_sentence(ctx),
                    who=who,
                )
            )
        )
    blocks.append(target_contact(ctx, decision.target))
    if decision.by_phone:
        blocks.append(Text(urgent_line(ctx)))
    if ctx.account is None and decision.target not in ROLES:
        blocks.append(Note(t("questions.no_account", team=ctx.catalog.onboarding.name)))
    return Card(
        title=t("questions.title", who=who),
        blocks=tuple(blocks),
        buttons=_buttons_for(ctx, decision),
        fallback=t("questions.fallback", who=who, why=topic.why[ctx.lang]),
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
        row.append(Button(topic.label[ctx.lang], SHOW_ROUTE, data))
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
    blocks: list[Block] = [Text(t("questions.pin.body", team=ctx.catalog.onboarding.name))]
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


def respond(ctx: Context, index: Index, text: str) -> Reply:
    """The whole answer to one question (pure apart from the clock: easy to test)."""
    found = match(index, text)
    answer: Card | None = None
    if found.route is not None:
        topic = index.routing.route(found.route)
        assert topic is not None
        answer = answer_card(ctx, decide(topic, ctx, urgent=found.urgent))
    if found.pin:
        return Reply(card=pin_card(ctx, answer), private=True)
    if answer is not None:
        return Reply(card=answer)
    chat = small_talk(ctx, found)
    if chat is not None:
        return chat
    return Reply(card=not_sure_card(ctx, found, index))


def register(router: Router) -> None:
    """``ask`` and the ``ask.route`` button; app.py makes ``ask`` the router's fallback.

    The matcher's tables are built once per loaded routing and kept here, in the
    closure, rather than in a module global.
    """
    indexes = IndexCache()
    router.warm_up(lambda catalog: indexes.get(catalog.routing))

    async def ask(turn: Turn, ctx: Context) -> Response:
        text = turn.text.strip()
        if not text:
            example = ctx.cmd(ctx.t("help.ask_example"))
            return Reply(text=ctx.t("questions.usage", example=example), private=True)
        return await answer_question(ctx, turn, text, indexes.get(ctx.catalog.routing), respond)

    async def show_route(turn: Turn, ctx: Context) -> Response:
        topic = ctx.catalog.routing.route(turn.data.get("route", ""))
        if topic is None:
            return Reply(text=ctx.t("error.stale_button"), private=True)
        decision = decide(topic, ctx, urgent=turn.data.get("urgent") == "1")
        return Reply(card=answer_card(ctx, decision), replace=turn.kind is TurnKind.ACTION)

    route = Route("ask", ask)
    router.command(("ask", "question", "demander"), route)
    router.action(SHOW_ROUTE, Route("ask.route", show_route))
