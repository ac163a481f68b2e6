"""Load benchmark of the bot against minimal aiohttp / bolt / botbuilder baselines.

Run it with ``./dev bench`` (``--quick`` for a smoke run);
see ``bench/README.md``.
"""
