"""The app factory: `create_app(settings)` gives the configurator (page, API, webhooks) as one FastAPI app."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from . import routes_quote, routes_renders, routes_tiles
from .backends import RenderBackend, make_backend
from .errors import install_error_handlers
from .limits import BodySizeLimit
from .previews import PreviewPool
from .renders import RenderStore
from .services import Services
from .settings import WebSettings
from .webhooks import ReplicateVerifier

__all__ = ["STATIC_DIR", "create_app"]

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
_COG_WEBHOOK_TOKEN = re.compile(r"(/api/webhooks/cog/[^/\s]+/)[^\s?\"]+")


class HideWebhookTokens(logging.Filter):
    """uvicorn's access log writes each path; the Cog webhooks' token is in theirs: print *** instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_COG_WEBHOOK_TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


def create_app(settings: WebSettings | None = None, backend: RenderBackend | None = None) -> FastAPI:
    """The configurator. `backend` replaces the one the settings choose (tests pass a Replicate client
    pointed at a fake)."""
    settings = settings or WebSettings.from_env()
    state = Services(
        settings=settings,
        previews=PreviewPool(settings.render_workers),
        renders=RenderStore(settings.kept_renders),
        backend=backend or make_backend(settings),
        verifier=ReplicateVerifier(settings.replicate_webhook_secret) if settings.uses_replicate else None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        access_log = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, HideWebhookTokens) for f in access_log.filters):
            access_log.addFilter(HideWebhookTokens())
        await asyncio.to_thread(state.previews.start)
        log.info("configurator ready: renders go to %s, webhooks to %s, %d preview workers",
                 settings.replicate_model_version if settings.uses_replicate else settings.cog_url,
                 settings.webhook_base_url, settings.render_workers)
        try:
            yield
        finally:
            for watcher in list(state.watchers):
                watcher.cancel()
            await state.backend.close()
            await asyncio.to_thread(state.previews.stop)

    app = FastAPI(title="Rubber tile configurator", version="1", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.services = state
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, larger=[("/api/webhooks/", settings.max_webhook_bytes)])
    app.include_router(routes_tiles.router)
    app.include_router(routes_renders.router)
    app.include_router(routes_quote.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    return app
