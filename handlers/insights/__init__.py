"""What customers ask, and what the onboarding team teaches the bot in return.

* ``counts``: per-day counters (account, outcome, topic) and which questions an
  escalation followed within the hour;
* ``samples``: the PIN-masked text of questions the bot was not sure about, kept a
  bounded number of days, for the team only;
* ``lessons``: "this phrasing belongs to that topic", taught in one click, applied
  before the matcher on every replica;
* ``figures``: the numbers a view shows, read back from the store;
* ``views``: the ``stats``, ``lessons`` and ``forget`` intents and their cards;
* ``digest``: the weekly card in the team's channel, delivered through the outbox;
* ``hooks``: the calls the question and escalation paths make into all of this.
"""
