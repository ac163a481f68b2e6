"""How well free-text questions are understood, on four labelled sets.

    ./dev accuracy              # all four sets
    ./dev accuracy --misses     # also list the misses of the sets tuned on
    ./dev accuracy --own-only   # the sets tuned on only

* ``questions.yaml``: the project's own set, which the routing words are tuned on.
* ``questions_tuning.yaml`` and ``questions_tuning2.yaml``: each written independently from
  the source only, and tuned on (their misses are read), so their figures are not
  independent measures either.
* ``questions_independent.yaml``: written separately from the source only and frozen; it is
  measured, never tuned on, so its figure says how the bot does on questions nobody tuned
  for (its misses are deliberately not printed).

Each question is answered the way a customer's would be (``handlers.questions.understand``)
in an account whose portal and desk access is still closed (``access: onboarding``) or open
(``access: open``, the default), and scored on what the bot would show:

* strict: the source's owner of the first topic the bot answers with (the topic's own
  target, before any onboarding stand-in) is ``owners[0]``; lenient: it is any of
  ``owners``; a question with ``fact`` is right when that fact is given; an urgent
  question is right only when it is also flagged urgent. Both sets label who handles a
  question according to the source, not who covers it while access is closed: scoring the
  stand-in would count every desk or portal question of an onboarding account wrong even
  when the bot found the right topic;
* stand-in: separately, for every question of an onboarding account answered with a desk
  or portal topic, the answer must apply the stand-in rule: the topic is covered by its
  ``before_access`` target, and the card offers neither that desk's contact nor its
  button as the thing to do;
* ``not_sure`` items are right when the bot says it is not sure (no route, no fact);
  ``not_questions`` when it routes nothing and flags nothing urgent;
* urgent recall over the urgent questions, and the false-urgent rate over all the others;
* the median time to understand one question.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from bot.config import load_catalog
from bot.stores.memory import MemoryStore
from cards.model import Contact
from handlers import buttons
from handlers.catalog import DESKS, Catalog
from handlers.context import Context, Services
from handlers.matching import build_index
from handlers.questions import Understanding, card_for, understand
from handlers.turn import CONSOLE

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OWN = HERE / "questions.yaml"
INDEPENDENT = HERE / "questions_independent.yaml"
TUNING = HERE / "questions_tuning.yaml"
TUNING2 = HERE / "questions_tuning2.yaml"
TUNED_ON = (("tuning set (questions_tuning.yaml)", TUNING), ("second tuning set (questions_tuning2.yaml)", TUNING2))
"""The independently written sets that are tuned on, with the name each is reported under."""
INDEPENDENT2 = HERE / "questions_independent2.yaml"
INDEPENDENT_SETS = (
    ("independent set (questions_independent.yaml)", INDEPENDENT),
    ("second independent set (questions_independent2.yaml)", INDEPENDENT2),
)
"""The frozen sets: measured, never tuned or trained on, their misses never listed."""
NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone.utc)
ACCOUNTS = {"onboarding": "acme-logistics", "open": "globex-media"}


@dataclass(frozen=True, slots=True)
class Item:
    """One labelled message, whatever set it comes from."""

    q: str
    kind: str  # question | not_sure | not_question
    access: str = "open"
    owners: tuple[str, ...] = ()
    urgent: bool = False
    fact: str | None = None
    route: str | None = None  # the own set's exact topic, when it names one


@dataclass
class Score:
    """The figures of one set."""

    name: str
    total: int = 0
    strict: int = 0
    lenient: int = 0
    urgent_total: int = 0
    urgent_flagged: int = 0
    calm_total: int = 0
    calm_flagged: int = 0
    facts_total: int = 0
    facts_right: int = 0
    not_sure_total: int = 0
    not_sure_right: int = 0
    stand_in_total: int = 0
    stand_in_right: int = 0
    timings: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def strict_rate(self) -> float:
        return self.strict / self.total if self.total else 0.0

    @property
    def lenient_rate(self) -> float:
        return self.lenient / self.total if self.total else 0.0

    @property
    def urgent_recall(self) -> float:
        return self.urgent_flagged / self.urgent_total if self.urgent_total else 1.0

    @property
    def false_urgent_rate(self) -> float:
        return self.calm_flagged / self.calm_total if self.calm_total else 0.0

    @property
    def median_us(self) -> float:
        return statistics.median(self.timings) * 1e6 if self.timings else 0.0

    def summary(self) -> str:
        return (
            f"{self.name}: {self.total} messages; strict {self.strict_rate:.1%} ({self.strict}), "
            f"lenient {self.lenient_rate:.1%} ({self.lenient}); facts {self.facts_right}/{self.facts_total}; "
            f"not sure {self.not_sure_right}/{self.not_sure_total}; "
            f"stand-in {self.stand_in_right}/{self.stand_in_total}; urgent recall {self.urgent_recall:.1%} "
            f"({self.urgent_flagged}/{self.urgent_total}); false urgent {self.false_urgent_rate:.1%} "
            f"({self.calm_flagged}/{self.calm_total}); median {self.median_us:.0f} µs per question"
        )


def _text(entry: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(entry, str):
        return entry, {}
    return str(entry["q"]), dict(entry)


def own_items(data: dict[str, Any], catalog: Catalog) -> list[Item]:
    """The project's set: ``questions`` name a route (its target is the owner), or owners."""
    routing = catalog.routing
    urgent = {_text(e)[0] for e in data.get("urgent", ())}
    items: list[Item] = []
    for entry in data.get("questions", ()):
        q, extra = _text(entry)
        owners = tuple(extra.get("owners") or ())
        route = extra.get("route")
        if not owners and route:
            topic = routing.route(route)
            assert topic is not None, f"{q!r}: no route {route!r}"
            owners = (topic.target,)
        items.append(Item(q, "question", extra.get("access", "open"), owners,
                          bool(extra.get("urgent", q in urgent)), extra.get("fact"), route))
    listed = {i.q for i in items}
    for q in urgent - listed:
        items.append(Item(q, "question", "open", (), True))
    for entry in data.get("not_sure", ()):
        q, extra = _text(entry)
        items.append(Item(q, "not_sure", extra.get("access", "open"), urgent=bool(extra.get("urgent"))))
    for key in ("calm", "not_questions", "greetings", "thanks"):
        for entry in data.get(key, ()):
            q, extra = _text(entry)
            kind = "question" if key == "calm" else "not_question"
            items.append(Item(q, kind, extra.get("access", "open"), tuple(extra.get("owners") or ()),
                              False, extra.get("fact")))
    return items


def independent_items(data: dict[str, Any]) -> list[Item]:
    """A set written from the source: ``questions`` with owners, a fact or an urgent label;
    one with none of the three is no question for the bot (a joke, a test, a goodbye)."""
    items: list[Item] = []
    for entry in data.get("questions", ()):
        q, extra = _text(entry)
        owners = tuple(extra.get("owners") or ())
        urgent = bool(extra.get("urgent"))
        kind = "question" if owners or urgent or extra.get("fact") else "not_question"
        items.append(Item(q, kind, extra.get("access", "open"), owners, urgent, extra.get("fact")))
    for key, kind in (("not_sure", "not_sure"), ("not_questions", "not_question")):
        for entry in data.get(key, ()) or ():
            q, extra = _text(entry)
            items.append(Item(q, kind, extra.get("access", "open"), urgent=bool(extra.get("urgent"))))
    return items


def contexts(catalog: Catalog) -> dict[str, Context]:
    services = Services(catalog=catalog, store=MemoryStore(), clock=lambda: NOW, strict_texts=True)
    out: dict[str, Context] = {}
    for access, account_id in ACCOUNTS.items():
        account = catalog.account(account_id)
        out[access] = Context(services=services, lang="en", account=account, member=None, platform=CONSOLE)
    return out


def score(name: str, items: Iterable[Item], catalog: Catalog, *, keep_misses: bool = False) -> Score:
    index = build_index(catalog.routing)
    ctxs = contexts(catalog)
    result = Score(name)
    for item in items:
        ctx = ctxs[item.access]
        started = time.perf_counter()
        understood = understand(ctx, index, item.q)
        result.timings.append(time.perf_counter() - started)
        fact = getattr(understood, "fact", None)
        first = understood.decisions[0].topic.target if understood.decisions else None
        if item.access == "onboarding" and _covers_a_desk(understood):
            result.stand_in_total += 1
            stand_in_ok = _stand_in_applied(ctx, understood)
            result.stand_in_right += stand_in_ok
            if keep_misses and not stand_in_ok:
                result.misses.append(f"{item.q!r} [onboarding]: stand-in rule not applied")
        flagged = understood.urgent
        result.total += 1
        if item.urgent:
            result.urgent_total += 1
            result.urgent_flagged += flagged
        else:
            result.calm_total += 1
            result.calm_flagged += flagged
        urgent_ok = flagged or not item.urgent
        if item.kind == "not_sure":
            result.not_sure_total += 1
            right = first is None and fact is None and urgent_ok
            result.not_sure_right += right
            strict = lenient = right
        elif item.kind == "not_question":
            strict = lenient = first is None and fact is None and not flagged
        elif item.fact:
            result.facts_total += 1
            strict = lenient = fact == item.fact and urgent_ok
            result.facts_right += strict
        else:
            strict = bool(item.owners) and first == item.owners[0] and urgent_ok
            lenient = first in item.owners and urgent_ok
            if not item.owners:  # an urgent-only label: flagged is what counts
                strict = lenient = flagged
        result.strict += strict
        result.lenient += lenient
        if keep_misses and (not strict or (flagged and not item.urgent)):
            result.misses.append(
                f"{item.q!r} [{item.kind}, {item.access}] want {item.owners or item.kind}"
                f"{' fact ' + item.fact if item.fact else ''}{' urgent' if item.urgent else ''}; "
                f"got {first or '-'}{' fact ' + fact if fact else ''}{' urgent' if flagged else ''}\n  "
                + understood.found.explain().replace("\n", "\n  ")
            )
    return result


_DESK_BUTTONS = {"service_desk": buttons.SHOW_GSD, "portal": buttons.SHOW_ECP}


def _covers_a_desk(understood: Understanding) -> bool:
    return any(d.topic.target in DESKS and d.topic.before_access for d in understood.decisions)


def _stand_in_applied(ctx: Context, understood: Understanding) -> bool:
    """Every desk or portal topic goes to its ``before_access`` stand-in, and the card
    neither gives that desk's contact nor offers its button."""
    closed = {d.topic.target for d in understood.decisions if d.topic.target in DESKS and d.topic.before_access}
    for decision in understood.decisions:
        if decision.topic.target in closed:
            if not decision.covering or decision.target != decision.topic.before_access:
                return False
    card = card_for(ctx, understood)
    if card is None:
        return False
    site = ctx.catalog.site
    desk_names = {"service_desk": site.service_desk.name, "portal": site.portal.name}
    if any(isinstance(b, Contact) and b.name in {desk_names[d] for d in closed} for b in card.blocks):
        return False
    return not any(b.action in {_DESK_BUTTONS[d] for d in closed} for b in card.buttons)


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the misses of the sets tuned on (never the independent set's)")
    parser.add_argument("--words-only", action="store_true", help="the routing words alone, without the wording model")
    parser.add_argument("--own-only", action="store_true", help="measure the sets tuned on only (own and tuning), while tuning")
    args = parser.parse_args(argv)
    catalog = load_catalog(ROOT / "config")
    if args.words_only:
        catalog = words_alone(catalog)
    own = score("own set (questions.yaml)", own_items(load(OWN), catalog), catalog, keep_misses=args.misses)
    print(own.summary())
    for miss in own.misses:
        print("miss:", miss)
    for name, path in TUNED_ON:
        if path.exists():
            tuning = score(name, independent_items(load(path)), catalog, keep_misses=args.misses)
            print(tuning.summary())
            for miss in tuning.misses:
                print("miss:", miss)
    for name, path in INDEPENDENT_SETS:
        if path.exists() and not args.own_only:
            print(score(name, independent_items(load(path)), catalog).summary())
    return 0


def words_alone(catalog: Catalog) -> Catalog:
    """``catalog`` without the wording model: what the routing words do on their own."""
    return catalog.model_copy(update={"routing": catalog.routing.model_copy(update={"wording": None})})


if __name__ == "__main__":
    raise SystemExit(main())
