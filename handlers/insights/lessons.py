"""Lessons: a phrasing the onboarding team said belongs to a topic.

A lesson is keyed by the question's folded form (``handlers.i18n.fold`` of the masked
text: case, accents and punctuation do not matter) and read from the store on every
question, before the matcher, so a lesson taught on one replica answers on all of them
at once. Lessons stay until a member removes them (``forget lesson N``); ``onboarding-bot
routing export`` turns them into keywords to merge into ``config/routing.yaml``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

from handlers.i18n import fold
from handlers.insights.samples import mask
from handlers.ports import Store

INDEX = "ins:lessons"
MAX_LESSONS = 500


def phrase_of(text: str) -> str:
    """The form a question is recognised by: masked, then folded."""
    return fold(mask(text))


def _key(phrase: str) -> str:
    return f"ins:lesson:{phrase}"


@dataclass(frozen=True, slots=True)
class Lesson:
    phrase: str
    topic: str
    by: str
    at: str  # ISO date-time, UTC
    lang: str

    @property
    def day(self) -> dt.date:
        return dt.datetime.fromisoformat(self.at).date()


class Lessons:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def find(self, phrase: str) -> Lesson | None:
        if not phrase:
            return None
        raw = await self.store.get(_key(phrase))
        return Lesson(**json.loads(raw)) if raw else None

    async def teach(self, phrase: str, topic: str, by: str, lang: str, now: dt.datetime) -> Lesson:
        """Record (or overwrite) the lesson for ``phrase``; the latest teacher wins."""
        lesson = Lesson(phrase, topic, by, now.astimezone(dt.UTC).isoformat(timespec="seconds"), lang)
        await self.store.set(_key(phrase), json.dumps(asdict(lesson), ensure_ascii=False))
        await self.store.index_put(INDEX, phrase, now.timestamp())
        return lesson

    async def all(self) -> list[Lesson]:
        """Oldest first: the numbers ``lessons`` shows and ``forget lesson N`` takes."""
        phrases = [member for member, _ in await self.store.index_range(INDEX, limit=MAX_LESSONS)]
        raws = await self.store.get_many([_key(p) for p in phrases]) if phrases else []
        return [Lesson(**json.loads(raw)) for raw in raws if raw]

    async def forget(self, phrase: str) -> None:
        await self.store.delete(_key(phrase))
        await self.store.index_remove(INDEX, phrase)


async def taught_note(store: Store, question: str) -> Lesson | None:
    """The lesson that answers ``question``, if any (for ``why <question>``)."""
    return await Lessons(store).find(phrase_of(question))


def export_yaml(lessons: list[Lesson], known_topics: set[str]) -> str:
    """The taught phrasings as routing.yaml keywords, grouped under their topic id, in
    each lesson's language: ready to merge into ``config/routing.yaml`` by hand."""
    by_topic: dict[str, dict[str, list[str]]] = {}
    for lesson in lessons:
        if lesson.topic not in known_topics:
            continue
        words = by_topic.setdefault(lesson.topic, {"en": [], "fr": []})
        lang = lesson.lang if lesson.lang in words else "en"
        phrase = " ".join(w for w in lesson.phrase.split() if w.strip("#"))  # a masked code is no keyword
        if phrase and phrase not in words[lang]:
            words[lang].append(phrase)
    lines = ["# Phrasings taught at run time (onboarding-bot routing export).",
             "# Merge each topic's keywords into the route with the same id in config/routing.yaml.",
             "routes:"]
    if not by_topic:
        return "\n".join([*lines[:2], "routes: []"]) + "\n"
    for topic, words in by_topic.items():
        lines += [f"  - id: {topic}", "    keywords:"]
        for lang in ("en", "fr"):
            listed = ", ".join(json.dumps(p, ensure_ascii=False) for p in words[lang])
            lines.append(f"      {lang}: [{listed}]")
    return "\n".join(lines) + "\n"
