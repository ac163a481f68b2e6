"""onboarding-bot: serve, console, check-config, manifest slack|teams."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from bot import logs
from bot.settings import Settings, SettingsError

log = logging.getLogger("bot")


def _json_wanted() -> bool:
    return os.environ.get("LOG_FORMAT", "").strip().lower() == "json"


def _refuse(lines: list[dict[str, str]], text: str, code: int) -> NoReturn:
    """Print why the command cannot go on (one JSON object a line with LOG_FORMAT=json,
    like every other log line) and exit with ``code``."""
    if _json_wanted():
        for line in lines:
            print(json.dumps({"level": "error", "logger": "bot.config", **line}, ensure_ascii=False), file=sys.stderr)
    else:
        print(text, file=sys.stderr)
    raise SystemExit(code)


def _settings() -> Settings:
    try:
        return Settings.from_env(os.environ)
    except SettingsError as exc:
        _refuse([{"msg": f"invalid setting: {exc}"}], f"error: {exc}", 2)


def _catalog(settings: Settings, warnings: list | None = None):
    from bot.config import ConfigError, load_catalog

    try:
        return load_catalog(settings.config_dir, warnings=warnings)
    except ConfigError as exc:
        where = settings.config_dir
        lines = [{"msg": f"invalid configuration: {p}", "config_dir": str(where), "file": p.file, "field": p.field,
                  "problem": p.message} for p in exc.details]
        _refuse(lines, f"{where}: invalid configuration, {len(exc.problems)} problem(s):\n  " + "\n  ".join(exc.problems), 1)


def public_url_warning(settings: Settings) -> str | None:
    """Slack and Teams only call HTTPS addresses: say so when PUBLIC_URL is not one."""
    if settings.public_url.startswith("https://"):
        return None
    return (f"PUBLIC_URL {settings.public_url} is not HTTPS: Slack and Teams only send requests to https:// "
            "addresses, so set PUBLIC_URL to this server's public HTTPS address")


def describe(settings: Settings) -> list[str]:
    """What ``serve`` is about to do, and what to set to enable the rest (no secrets)."""
    lines = [f"listening on http://{settings.host}:{settings.port} (public URL {settings.public_url})"]
    if settings.redis_sentinels:
        lines.append(f"store: Redis via Sentinel (master {settings.redis_sentinel_master!r})")
    elif settings.redis_url:
        lines.append("store: Redis (REDIS_URL)")
    else:
        lines.append(
            "store: embedded in-memory store, for one replica. On a graceful stop (SIGTERM) it delivers what it can "
            f"within {settings.shutdown_drain_seconds:g}s and saves everything else (escalations, undelivered "
            f"notifications, links) to {settings.state_dir / 'memory-store.json'}, read at the next start; a crash "
            "(SIGKILL, out of memory) loses everything since the last start. Set REDIS_URL to keep state through "
            "crashes and across replicas."
        )
    if settings.slack_enabled:
        lines.append(f"Slack: enabled at {settings.public_url}/slack/events (Web API {settings.slack_api_url})")
    else:
        lines.append("Slack: disabled; set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN to enable it")
    if settings.microsoft_app_id:
        lines.append(f"Teams: enabled at {settings.public_url}/api/messages ({settings.microsoft_app_type}, auth on)")
    elif settings.teams_dev_no_auth:
        lines.append("Teams: enabled WITHOUT authentication (TEAMS_DEV_NO_AUTH=1, for the Bot Framework Emulator only)")
    else:
        lines.append("Teams: disabled; set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to enable it")
    lines.append(f"config: {settings.config_dir.resolve()}")
    if not settings.slack_enabled and not settings.teams_enabled:
        lines.append("no platform is configured, so nothing can reach this bot yet; to try it anyway: "
                     "'./dev console' talks to it in a terminal, or run 'TEAMS_DEV_NO_AUTH=1 ./dev serve' "
                     f"and point the Bot Framework Emulator at http://localhost:{settings.port}/api/messages")
    return lines


async def _serve(settings: Settings) -> None:
    from aiohttp import web

    from bot.app import create_app

    app = create_app(settings, catalog=_catalog(settings), persist_state=True)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()  # opens the store, builds the adapters and the question index
    # Everything built so far lives as long as the process: frozen, the garbage
    # collector stops walking it on every full collection (8% of a command's CPU, measured),
    # and it can run again (``main`` switched it off for the start-up). No gc.collect()
    # first: start-up leaves ~10 collectable objects among 120k live ones.
    gc.freeze()
    gc.enable()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    for line in describe(settings):
        log.info(line)
    warning = public_url_warning(settings)
    if warning and (settings.slack_enabled or settings.microsoft_app_id):
        log.warning(warning)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down: finishing in-flight requests")
    await runner.cleanup()  # stops accepting, waits for handlers, then runs cleanup_ctx
    log.info("stopped")


async def _console(settings: Settings, catalog, clock, account: str, user: str, lang: str | None) -> None:
    """The console on the store ``serve`` would open, closed on the way out."""
    from bot.app import open_store
    from bot.console import run_console

    store = await open_store(settings)
    try:
        await run_console(settings, catalog, clock, account, user, lang, store=store)
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            await close()


async def _export_lessons(settings: Settings, catalog) -> str:  # noqa: ANN001 - a Catalog
    """The lessons in the configured store (Redis in production), as routing.yaml keywords."""
    from bot.app import open_store
    from handlers.insights.counts import topic_ids
    from handlers.insights.lessons import Lessons, export_yaml

    store = await open_store(settings)
    try:
        return export_yaml(await Lessons(store).all(), set(topic_ids(catalog)))
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            await close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onboarding-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP server (Slack, Teams, health routes)")
    console = sub.add_parser(
        "console", help="talk to the bot in this terminal",
        description="Talk to the bot in this terminal: the same answers and cards as in Slack or Teams, drawn as text. "
                    "With REDIS_URL set it shares escalations, links and language choices with the running servers. "
                    "Ctrl-D or Ctrl-C quits.")
    console.add_argument("--account", default="acme-logistics", help="account id the console conversation belongs to")
    console.add_argument("--user", default="you@example.com",
                         help="who you are; an onboarding-team member's e-mail sees the team's cards and can "
                              "acknowledge, assign and resolve escalations")
    console.add_argument("--lang", choices=("en", "fr"), default=None, help="reply language (default: the account's)")
    sub.add_parser("check-config", help="validate config/ and report every problem")
    routing = sub.add_parser("routing", help="what the onboarding team taught the bot at run time")
    routing.add_argument("action", choices=("export",), help="print the taught phrasings as routing.yaml keywords")
    manifest = sub.add_parser("manifest", help="print the Slack manifest or write the Teams app package")
    manifest.add_argument("platform", choices=("slack", "teams"))
    manifest.add_argument("--out", type=Path, default=Path("teams-app.zip"), help="where to write the Teams package")
    args = parser.parse_args(argv)
    command = args.command or "serve"

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format, settings.secrets())

    if command == "serve":
        # Start-up imports the SDKs and builds the config and question index: ~120k objects
        # that all live as long as the process, which the collector would otherwise walk
        # again and again as they pile up (130 ms of a 610 ms start, measured). Switched
        # back on by ``_serve`` once they are built and frozen.
        gc.disable()
        try:
            asyncio.run(_serve(settings))
        finally:
            gc.enable()
        return 0
    if command == "check-config":
        warnings: list = []
        catalog = _catalog(settings, warnings)
        for warning in warnings:
            log.warning("configuration: %s", warning)
        print(f"{settings.config_dir}: OK ({len(catalog.accounts)} accounts, "
              f"{len(catalog.routing.routes)} routing topics, {len(catalog.texts['en'])} texts in en and fr)"
              + (f"; {len(warnings)} deprecated key(s) to rewrite, see above" if warnings else ""))
        return 0
    if command == "console":
        from bot.app import utc_now

        catalog = _catalog(settings)
        if catalog.account(args.account) is None:
            print(f"unknown account {args.account!r}; known: {', '.join(a.id for a in catalog.accounts)}", file=sys.stderr)
            return 2
        try:
            asyncio.run(_console(settings, catalog, utc_now, args.account, args.user, args.lang))
        except KeyboardInterrupt:
            print(file=sys.stderr)  # Ctrl-C: leave the prompt line, no traceback
            return 130
        return 0
    if command == "routing":
        sys.stdout.write(asyncio.run(_export_lessons(settings, _catalog(settings))))
        return 0
    if command == "manifest":
        catalog = _catalog(settings)
        warning = public_url_warning(settings)
        if warning:
            log.warning("%s; this manifest points at it", warning)
        if args.platform == "slack":
            from bot.manifest import slack_manifest_yaml

            sys.stdout.write(slack_manifest_yaml(settings, catalog))
            return 0
        from bot.teams.package import write_teams_package

        write_teams_package(settings, catalog, args.out)
        print(f"wrote {args.out}")
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
