"""The text of questions the bot was not sure about: what the team reads to teach it.

Kept only for "not sure" questions, with every 4-digit number masked by the pattern the
matcher's PIN detection uses (a service-desk code pasted by mistake is never stored),
cut to ``MAX_CHARS``, for ``sample_days`` days (0: nothing is kept), and never for an
account whose ``keep_question_samples`` is false. Only onboarding-team members see
them, and only outside customers' conversations.

Expiry does not rely on the store's TTL alone: every read drops what is older than the
retention, so the limit holds to the minute, on any store.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass

from handlers.i18n import fold
from handlers.matching import mask_pins
from handlers.ports import Store

MAX_CHARS = 300
INDEX = "ins:samples"
_PIN_MASK = "####"


def mask(text: str) -> str:
    """``text`` with anything shaped like a service-desk code replaced by ``####``, one line, cut short."""
    masked, _ = mask_pins(" ".join(text.split()), _PIN_MASK)
    return masked if len(masked) <= MAX_CHARS else masked[: MAX_CHARS - 1] + "…"


def _key(sample_id: str) -> str:
    return f"ins:sample:{sample_id}"


@dataclass(frozen=True, slots=True)
class Sample:
    id: str
    text: str
    account: str
    lang: str
    at: float

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.at, dt.UTC)


class Samples:
    def __init__(self, store: Store, days: int) -> None:
        self.store = store
        self.days = days

    async def keep(self, text: str, account: str, lang: str, now: dt.datetime) -> Sample | None:
        if self.days <= 0:
            return None
        sample = Sample(uuid.uuid4().hex[:12], mask(text), account, lang, now.timestamp())
        await self.store.set(_key(sample.id), json.dumps(asdict(sample), ensure_ascii=False), ttl=self.days * 86400)
        await self.store.index_put(INDEX, sample.id, sample.at)
        return sample

    async def expire(self, now: dt.datetime) -> None:
        cutoff = now.timestamp() - max(self.days, 0) * 86400
        while True:
            old = await self.store.index_range(INDEX, max_score=cutoff, limit=100)
            if not old:
                return
            for sample_id, _ in old:
                await self.store.delete(_key(sample_id))
                await self.store.index_remove(INDEX, sample_id)

    async def recent(self, now: dt.datetime, limit: int = 10) -> list[Sample]:
        """The newest samples first, after dropping what is past the retention."""
        await self.expire(now)
        entries = await self.store.index_range(INDEX, limit=1000)
        ids = [member for member, _ in entries][::-1]
        raws = await self.store.get_many([_key(i) for i in ids]) if ids else []
        out: list[Sample] = []
        seen: set[str] = set()
        for raw in raws:
            if not raw:
                continue
            sample = Sample(**json.loads(raw))
            phrase = fold(sample.text)  # the same question asked again is shown once, the newest
            if phrase in seen:
                continue
            seen.add(phrase)
            out.append(sample)
            if len(out) == limit:
                break
        return out

    async def get(self, sample_id: str, now: dt.datetime) -> Sample | None:
        raw = await self.store.get(_key(sample_id)) if sample_id else None
        if not raw:
            return None
        sample = Sample(**json.loads(raw))
        if sample.at < now.timestamp() - self.days * 86400:
            return None
        return sample

    async def drop(self, sample_id: str) -> None:
        await self.store.delete(_key(sample_id))
        await self.store.index_remove(INDEX, sample_id)
