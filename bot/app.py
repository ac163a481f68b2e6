"""The aiohttp application factory: one app serves its platforms and the health routes.

``create_app`` takes everything it needs as arguments (settings, and optionally a
catalog, store, clock and HTTP session for tests); resources are opened and closed in
``cleanup_ctx`` so a test can build and tear down as many apps as it likes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from bot.background import Background
from bot.config import load_catalog
from bot.delivery import Deliverer
from bot.metrics import CONTENT_TYPE, Metrics
from bot.pipeline import TurnPipeline
from bot.platform import Handler, Platform, Runtime
from bot.platforms import configured
from bot.services import build_services
from bot.settings import Settings
from bot.stores import snapshot
from bot.stores.memory import MemoryStore
from bot.usage_metrics import UsageMetrics
from handlers.accounts import TURN_KEY_PREFIXES
from handlers.app import build_router
from handlers.catalog import Catalog
from handlers.ports import Clock, Store, StoreUnavailable
from handlers.router import Dispatcher, Router

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[tuple[object, bool]]]
"""A readiness check for ``/readyz``: (what to show, healthy)."""


@dataclass(eq=False)
class Running:
    """What the app opens when it starts and closes when it stops (``cleanup_ctx``).

    Empty until then: routes and tests read it only while the app runs."""

    store: Store | None = None
    session: aiohttp.ClientSession | None = None
    dispatcher: Dispatcher | None = None
    platforms: dict[str, Platform] = field(default_factory=dict)
    deliverer: Deliverer | None = None
    probes: dict[str, Probe] = field(default_factory=dict)

    def platform(self, name: str) -> Platform:
        """The started platform called ``name`` (KeyError if the app does not run it)."""
        return self.platforms[name]


SETTINGS = web.AppKey("settings", Settings)
CATALOG = web.AppKey("catalog", Catalog)
METRICS = web.AppKey("metrics", Metrics)
BACKGROUND = web.AppKey("background", Background)
RUNNING = web.AppKey("running", Running)

StoreFactory = Callable[[Settings], Awaitable[Store]]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def open_store(settings: Settings) -> Store:
    """The embedded store unless Redis is configured (URL or Sentinel).

    On Redis, the keys every turn reads and the rate-limit counters are kept in process
    (``NearCache``) unless ``REDIS_CACHE_SECONDS`` is 0.
    """
    if not (settings.redis_sentinels or settings.redis_url):
        return MemoryStore()
    from bot.stores.redis import RedisStore

    if settings.redis_sentinels:
        redis = RedisStore.from_sentinel(list(settings.redis_sentinels), settings.redis_sentinel_master)
    else:
        redis = RedisStore.from_url(settings.redis_url)
    if not settings.redis_cache_seconds:
        return redis
    from bot.stores.near_cache import NearCache

    cache = NearCache(redis, prefixes=TURN_KEY_PREFIXES, ttl=settings.redis_cache_seconds)
    await cache.start()
    return cache


def _too_large(request: web.Request, max_bytes: int) -> web.Response | None:
    """A clear 413 before reading a body whose declared size is over the limit.

    A check in the platforms' POST routes rather than a middleware: a middleware wraps every
    request (health probes included) in another coroutine. Bodies sent without a
    Content-Length are still cut at ``client_max_size`` while they are read.
    """
    if request.content_length is not None and request.content_length > max_bytes:
        return web.json_response({"error": "request body too large"}, status=413)
    return None


def _size_checked(handler: Handler, max_bytes: int) -> Handler:
    """``handler`` behind the 413 check (see ``_too_large``)."""

    async def checked(request: web.Request) -> web.StreamResponse:
        if (refused := _too_large(request, max_bytes)) is not None:
            return refused
        return await handler(request)

    return checked


def create_app(
    settings: Settings,
    *,
    platforms: Sequence[Platform] | None = None,
    catalog: Catalog | None = None,
    store: Store | None = None,
    clock: Clock = utc_now,
    session: aiohttp.ClientSession | None = None,
    strict_texts: bool = False,
    router: Router | None = None,
    run_delivery: bool = True,
    delivery_interval: float = 0.5,
    persist_state: bool = False,
    background_limit: int = 256,
) -> web.Application:
    """Build the app. Nothing is opened until the app starts (``cleanup_ctx``).

    ``persist_state`` (``serve`` sets it): with the embedded store, restore the state
    saved in ``settings.state_dir`` at start, and on shutdown deliver what is due for up
    to ``settings.shutdown_drain_seconds``, then save the rest there.

    ``platforms``: what the app serves (``bot.platforms.configured(settings)`` by default:
    the console's notifier, and Slack and Teams when their settings are there). Each
    mounts its routes here and is started with the shared runtime when the app starts.
    ``router``: the routes to answer with (a test's own); the handlers' by default.

    ``background_limit``: how much work started after an ack runs at once before new
    work waits briefly for a slot, then runs anyway (``bot.background.Background``).
    """
    served = list(platforms) if platforms is not None else configured(settings)
    catalog = catalog if catalog is not None else load_catalog(settings.config_dir)
    app = web.Application(client_max_size=settings.max_body_bytes)
    max_bytes = settings.max_body_bytes
    app[SETTINGS] = settings
    app[CATALOG] = catalog
    counters = app[METRICS] = Metrics()
    background = app[BACKGROUND] = Background(
        background_limit,
        on_failure=lambda: counters.bug("any", "background"), on_overflow=counters.background_overflow.inc,
    )
    counters.background_pending.set_function(lambda: background.pending)
    running = app[RUNNING] = Running()
    routes = router if router is not None else build_router()
    usage_meter = UsageMetrics(app[METRICS].registry)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        own_session = session is None
        http = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        own_store = store is None
        the_store = store if store is not None else await open_store(settings)
        snapshot_store = the_store if persist_state and isinstance(the_store, MemoryStore) else None
        if snapshot_store is not None:
            snapshot.load(snapshot_store, settings.state_dir)
        wake = asyncio.Event()
        services = build_services(settings, catalog, the_store, clock, strict_texts=strict_texts,
                                  wake_outbox=wake.set, report_error=counters.bug, meter=usage_meter,
                                  platforms=frozenset(platform.name for platform in served))
        running.store = the_store
        running.session = http
        routes.prepare(catalog)  # the question matcher's tables, before the first question
        dispatcher = running.dispatcher = Dispatcher(routes, services)
        for platform in served:
            pipeline = TurnPipeline(platform.name, dispatcher, counters, app[BACKGROUND])
            await platform.start(Runtime(settings, catalog, the_store, http, counters, app[BACKGROUND], pipeline))
            running.platforms[platform.name] = platform
        notifiers = {name: platform.notifier for name, platform in running.platforms.items()}
        deliverer = running.deliverer = Deliverer(services, notifiers, app[METRICS], wake=wake, interval=delivery_interval)
        running.probes["outbox"] = deliverer.readiness
        stop = asyncio.Event()
        loop_task = asyncio.get_running_loop().create_task(deliverer.run(stop)) if run_delivery else None
        yield
        stop.set()
        wake.set()
        if loop_task is not None:
            await loop_task
        await app[BACKGROUND].drain()
        if snapshot_store is not None:
            # Nothing else keeps this store's outbox: deliver what can be delivered in
            # time, then save the rest (and every escalation) for the next start.
            sent = await deliverer.drain(settings.shutdown_drain_seconds)
            left = await deliverer.outbox.pending_count()
            try:
                path = snapshot.save(snapshot_store, settings.state_dir)
            except OSError as exc:
                # Said loudly, and the stop goes on: a crash here would lose the same and more.
                log.error("embedded store: delivered %d notifications while stopping; could not save the store to "
                          "%s (%s): %d notifications still owed and every escalation are lost",
                          sent, settings.state_dir, exc.strerror or type(exc).__name__, left)
            else:
                log.info("embedded store: delivered %d notifications while stopping; %d still owed, saved with "
                         "everything else to %s for the next start", sent, left, path)
        for platform in running.platforms.values():
            await platform.close()
        if own_store:
            close = getattr(the_store, "close", None)
            if close is not None:
                await close()
        if own_session:
            await http.close()

    app.cleanup_ctx.append(resources)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        checks: dict[str, object] = {"config": "loaded"}
        ok = True
        try:
            store = request.app[RUNNING].store
            assert store is not None  # set when the app started
            await asyncio.wait_for(store.ping(), timeout=2)
            checks["store"] = "reachable"
        except (TimeoutError, StoreUnavailable, OSError):
            checks["store"] = "unreachable"
            ok = False
        for name, probe in request.app[RUNNING].probes.items():
            detail, healthy = await probe()
            checks[name] = detail
            ok = ok and healthy
        return web.json_response({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        body = request.app[METRICS].render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    for platform in served:
        for route in platform.routes():
            handler = _size_checked(route.handler, max_bytes) if route.method == "POST" else route.handler
            app.router.add_route(route.method, route.path, handler)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
