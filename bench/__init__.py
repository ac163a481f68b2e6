"""Load benchmark of the bot against minimal aiohttp / bolt / botbuilder baselines.

Run it with ``uv run --frozen python -m bench.run`` (``--quick`` for a smoke run);
see ``bench/README.md``.
"""
