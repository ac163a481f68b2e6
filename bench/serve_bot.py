"""``onboarding-bot serve``, plus one setting the environment cannot give it yet.

The Teams adapter takes its token endpoint from ``Settings.extras["BOTFRAMEWORK_TOKEN_URL"]``
(``bot.teams.TOKEN_URL_SETTING``), which ``Settings.from_env`` does not fill; without it the
bot asks login.microsoftonline.com for a Bot Connector token, which is unreachable here,
and no Teams reply would ever be sent. This runs exactly what ``onboarding-bot serve``
runs (``bot.cli``: settings from the environment, logging, ``_serve``) with that one
extra taken from ``BOTFRAMEWORK_TOKEN_URL``.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace


def main() -> int:
    from bot import cli

    url = os.environ.get("BOTFRAMEWORK_TOKEN_URL", "").strip()
    serve = getattr(cli, "_serve", None)
    if not url or serve is None or not hasattr(cli, "_settings"):
        return cli.main(["serve"])
    settings = cli._settings()
    if "BOTFRAMEWORK_TOKEN_URL" not in settings.extras:
        settings = replace(settings, extras={**settings.extras, "BOTFRAMEWORK_TOKEN_URL": url})
    cli.logs.configure(settings.log_level, settings.log_format, settings.secrets())
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
