"""The app factory: `create_app(settings)` gives the configurator (page, API, webhooks) as one FastAPI app."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine.url import make_url

from . import routes_quote, routes_renders, routes_tiles
from .backends import RenderBackend, make_backend
from .book import OrderBook
from .dispatcher import Dispatcher
from .errors import install_error_handlers
from .limits import BodySizeLimit, RequestTimeout
from .previews import PreviewPool
from .ratelimits import ClientLimits
from .services import Services
from .settings import WebSettings
from .store import OrderStore
from .webhooks import ReplicateVerifier

__all__ = ["STATIC_DIR", "create_app"]

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
_COG_WEBHOOK_TOKEN = re.compile(r"(/api/webhooks/cog/[^/\s]+/)[^\s?\"]+")
RESTART_AFTER_S = 1.0


class HideWebhookTokens(logging.Filter):
    """uvicorn's access log writes each path; the Cog webhooks' token is in theirs: print *** instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_COG_WEBHOOK_TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


class Supervisor:
    """Background tasks that are started again (after a pause) if they ever end other than by cancel;
    an exception is logged with its traceback, never left as "Task exception was never retrieved"."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task] = set()
        self.stopping = False

    def start(self, name: str, run: Callable[[], Awaitable[None]]) -> asyncio.Task:
        task = asyncio.create_task(run(), name=name)
        self.tasks.add(task)
        task.add_done_callback(lambda done: self._ended(name, run, done))
        return task

    def _ended(self, name: str, run: Callable[[], Awaitable[None]], task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if task.cancelled() or self.stopping:
            return
        error = task.exception()
        log.error("%s stopped (%r); starting it again in %.0f s", name, error, RESTART_AFTER_S, exc_info=error)
        asyncio.get_running_loop().call_later(RESTART_AFTER_S, lambda: self.stopping or self.start(name, run))

    async def stop(self) -> None:
        self.stopping = True
        running = list(self.tasks)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


def make_services(settings: WebSettings, backend: RenderBackend | None) -> Services:
    backend = backend or make_backend(settings)
    book = OrderBook(OrderStore(settings.database_url), settings.replicate_delivery_host)
    return Services(
        settings=settings,
        previews=PreviewPool(settings.render_workers),
        book=book,
        backend=backend,
        dispatcher=Dispatcher(book, backend, settings),
        limits=ClientLimits(settings.preview_rate_limit, settings.order_rate_limit),
        verifier=ReplicateVerifier(settings.replicate_webhook_secret) if settings.uses_replicate else None,
    )


def create_app(settings: WebSettings | None = None, backend: RenderBackend | None = None) -> FastAPI:
    """The configurator. `backend` replaces the one the settings choose (tests pass a Replicate client
    pointed at a fake)."""
    settings = settings or WebSettings.from_env()
    state = make_services(settings, backend)
    supervisor = Supervisor()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        access_log = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, HideWebhookTokens) for f in access_log.filters):
            access_log.addFilter(HideWebhookTokens())
        await asyncio.to_thread(state.book.store.migrate)
        await asyncio.to_thread(state.previews.start)
        supervisor.start("dispatcher", state.dispatcher.run)
        log.info("configurator ready: renders go to %s, webhooks to %s, orders in %s, %d preview workers",
                 settings.replicate_model_version if settings.uses_replicate else settings.cog_url,
                 settings.webhook_base_url, _safe_url(settings.database_url), settings.render_workers)
        try:
            yield
        finally:
            await supervisor.stop()
            await state.dispatcher.close()
            await state.backend.close()
            await asyncio.to_thread(state.previews.stop)
            await asyncio.to_thread(state.book.store.close)

    app = FastAPI(title="Rubber tile configurator", version="1", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.services = state
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        larger=[("/api/webhooks/replicate", settings.max_signed_webhook_bytes),
                ("/api/webhooks/cog/", settings.max_webhook_bytes),
                ("/api/quote.pdf", routes_quote.SITE_PICTURE_MAX_BYTES)],
    )
    app.add_middleware(RequestTimeout, total_s=settings.request_timeout_s, body_s=settings.request_timeout_s / 2)
    app.include_router(routes_tiles.router)
    app.include_router(routes_renders.router)
    app.include_router(routes_quote.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    return app


def _safe_url(url: str) -> str:
    """The database URL without its password, for the log."""
    return make_url(url).render_as_string(hide_password=True)
