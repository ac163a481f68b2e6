"""The weekly digest: the week's figures and the latest "not sure" questions, posted
in the onboarding team's channel at the day and hour ``config/onboarding.yaml`` names.

The delivery loop calls ``queue_due_digest`` on every pass. The week is claimed in the
store with a set-if-absent key, so however many replicas run, one of them queues it,
once; the card itself goes through the outbox like every notification (retries,
backoff, parking) and is rendered when it is delivered. A digest missed by more than
``GRACE`` (the bot was down at the hour) is skipped rather than posted days late.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from cards.model import Card, Divider, Note, Text
from handlers.catalog import WEEKDAYS, Digest
from handlers.context import Services
from handlers.escalation_targets import team_targets, team_translator
from handlers.insights.figures import gather
from handlers.insights.samples import Samples
from handlers.insights.views import figure_blocks, sample_blocks
from handlers.outbox import Outbox, OutboxItem

KIND = "digest"
GRACE = dt.timedelta(hours=12)
CLAIM_TTL = 21 * 86400


def scheduled_before(digest: Digest, now: dt.datetime) -> dt.datetime:
    """The latest scheduled moment at or before ``now`` (aware, in the digest's zone)."""
    local = now.astimezone(ZoneInfo(digest.timezone))
    days_back = (local.weekday() - WEEKDAYS.index(digest.weekday)) % 7
    day = local.date() - dt.timedelta(days=days_back)
    moment = dt.datetime(day.year, day.month, day.day, digest.hour, tzinfo=ZoneInfo(digest.timezone))
    if moment > local:
        moment -= dt.timedelta(days=7)
        moment = dt.datetime(moment.year, moment.month, moment.day, digest.hour, tzinfo=ZoneInfo(digest.timezone))
    return moment


async def queue_due_digest(services: Services, owner: str) -> bool:
    """Queue this week's digest if it is due and no replica has claimed it. True when queued."""
    digest = services.catalog.onboarding.digest
    if digest is None:
        return False
    now = services.clock()
    moment = scheduled_before(digest, now)
    if now - moment > GRACE:
        return False
    week = moment.date().isoformat()
    if not await services.store.add(f"ins:digest:{week}", owner, ttl=CLAIM_TTL):
        return False
    outbox = Outbox(services.store)
    for target in team_targets(services.catalog, services.platforms):
        await outbox.put(OutboxItem(f"digest:{week}:{target.platform}", KIND, week, target), now.timestamp())
    services.wake_outbox()
    return True


async def digest_card(services: Services, week: str) -> Card:
    """Rendered at delivery time, in the team's language, from the store as it is now."""
    t = team_translator(services)
    catalog = services.catalog
    now = services.clock()
    figures = await gather(services.store, catalog, now, 7)
    samples = await Samples(services.store, services.insights.sample_days).recent(now, limit=10)
    blocks = figure_blocks(t, catalog, figures)
    row: list = []
    if samples:
        more, row = sample_blocks(t, catalog, samples)
        blocks += [Divider(), Text(t("insights.digest.samples")), *more]
    blocks.append(Note(t("insights.digest.note", stats="`stats`")))
    title = t("insights.digest.title", date=t.date(dt.date.fromisoformat(week)))
    return Card(title=title, blocks=tuple(blocks), buttons=tuple(row),
                fallback=t("insights.stats.fallback", days=7, asked=figures.total.asked, not_sure=figures.total.not_sure))
