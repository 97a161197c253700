"""Where photoreal renders go: the local Cog server (default) or Replicate, both with a webhook back here.

Cog (coglet) sends webhooks unsigned, so each render's webhook URL carries its own unguessable
token, checked on arrival; the prediction id is the render's id (`PUT /predictions/{id}`, which is
idempotent: sending it again returns the prediction's state, the polling fallback). Replicate signs
its webhooks (Standard Webhooks, checked in webhooks.py); the official `replicate` client submits
and, as the fallback, reads a prediction. The API token stays in this process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

import httpx
import replicate
from replicate.exceptions import ReplicateError

from .errors import ApiError
from .renders import Render
from .settings import WebSettings

__all__ = ["CogBackend", "RenderBackend", "ReplicateBackend", "make_backend"]

log = logging.getLogger(__name__)

WEBHOOK_EVENTS = ["start", "output", "logs", "completed"]
COG_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class RenderBackend(Protocol):
    name: str

    async def submit(self, render: Render) -> None: ...

    async def poll(self, render: Render) -> dict[str, Any] | None: ...

    async def close(self) -> None: ...


class CogBackend:
    """The Cog HTTP server at COG_URL (`make serve`)."""

    name = "cog"

    def __init__(self, settings: WebSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(base_url=settings.cog_url, timeout=COG_TIMEOUT, transport=transport)

    def webhook_url(self, render: Render) -> str:
        return f"{self.settings.webhook_base_url}/api/webhooks/cog/{render.id}/{render.token}"

    def body(self, render: Render) -> dict[str, Any]:
        return {
            "input": render.inputs,
            "webhook": self.webhook_url(render),
            "webhook_events_filter": WEBHOOK_EVENTS,
        }

    async def submit(self, render: Render) -> None:
        render.prediction_id = render.id
        deadline = time.monotonic() + self.settings.cog_busy_retry_s
        while True:
            reply = await self._put(render)
            if reply.status_code != 409:
                break
            if time.monotonic() >= deadline:
                raise ApiError(503, "render_server_busy", "the render server is drawing another picture; try again in a minute")
            await asyncio.sleep(0.25)
        if reply.status_code not in (200, 201, 202):
            raise ApiError(502, "render_server_error", f"the render server answered {reply.status_code}: {reply.text[:300]}")

    async def poll(self, render: Render) -> dict[str, Any] | None:
        """The prediction's state: the same PUT again (coglet answers with the state, it does not start it twice)."""
        reply = await self._put(render)
        if reply.status_code in (200, 202):
            return reply.json()
        log.warning("render %s: polling the Cog server gave %d", render.id, reply.status_code)
        return None

    async def _put(self, render: Render) -> httpx.Response:
        try:
            return await self.client.put(
                f"/predictions/{render.id}", json=self.body(render), headers={"Prefer": "respond-async"}
            )
        except httpx.TransportError as error:
            raise ApiError(
                502,
                "render_server_unreachable",
                f"the render server at {self.settings.cog_url} does not answer ({type(error).__name__}); start it with `make serve`",
            ) from error

    async def close(self) -> None:
        await self.client.aclose()


class ReplicateBackend:
    """A model version on Replicate, through the official client."""

    name = "replicate"

    def __init__(self, settings: WebSettings, client: replicate.Client | None = None) -> None:
        self.settings = settings
        self.client = client or replicate.Client(api_token=settings.replicate_api_token)

    def webhook_url(self) -> str:
        return f"{self.settings.webhook_base_url}/api/webhooks/replicate"

    async def submit(self, render: Render) -> None:
        try:
            prediction = await self.client.predictions.async_create(
                version=self.settings.replicate_model_version,
                input=render.inputs,
                webhook=self.webhook_url(),
                webhook_events_filter=WEBHOOK_EVENTS,
            )
        except (ReplicateError, httpx.HTTPError) as error:
            raise ApiError(502, "replicate_error", f"Replicate refused the prediction: {_replicate_message(error)}") from error
        render.prediction_id = prediction.id

    async def poll(self, render: Render) -> dict[str, Any] | None:
        try:
            prediction = await self.client.predictions.async_get(render.prediction_id)
        except (ReplicateError, httpx.HTTPError) as error:
            log.warning("render %s: reading prediction %s from Replicate failed: %s", render.id, render.prediction_id,
                        _replicate_message(error))
            return None
        return {"id": prediction.id, "status": prediction.status, "output": prediction.output,
                "logs": prediction.logs, "error": prediction.error}

    async def close(self) -> None:
        return None


def _replicate_message(error: Exception) -> str:
    if isinstance(error, ReplicateError):
        return f"{error.status or ''} {error.title or ''} {error.detail or ''}".strip() or type(error).__name__
    return f"{type(error).__name__}: {error}"


def make_backend(settings: WebSettings) -> RenderBackend:
    return ReplicateBackend(settings) if settings.uses_replicate else CogBackend(settings)
