"""The photoreal picture: submit a prediction, hear about it by webhook, tell the page by server-sent events.

    POST /api/renders                       202 {id, status, ...}: submitted to Cog or Replicate
    GET  /api/renders/{id}/events           server-sent `status` events until the render finishes
    GET  /api/renders/{id}                  the same status, for a page that cannot use events (polling)
    GET  /api/renders/{id}/image            the picture (Replicate: a redirect to its file)
    POST /api/webhooks/cog/{id}/{token}     the local Cog server's webhooks (unsigned: the token decides)
    POST /api/webhooks/replicate            Replicate's webhooks (Standard Webhooks signature and replay checks)

A watcher per render asks the backend itself only when no webhook has come for a while.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from .errors import ApiError
from .models import RenderOrder
from .renders import Render
from .routes_tiles import checked_request
from .services import Services, services
from .webhooks import check_cog_token

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api")
EVENT_WAIT_S = 15.0


def render_of(render_id: str, state: Annotated[Services, Depends(services)]) -> Render:
    render = state.renders.get(render_id)
    if render is None:
        raise ApiError(404, "unknown_render", f"no render {render_id!r} here (renders are kept while the server runs)")
    return render


def prediction_inputs(order: RenderOrder) -> dict[str, Any]:
    """The predictor's inputs for this order, checked by make_request as the predictor will check them."""
    request = checked_request(order.mix, order.language, order.request_inputs())
    return {"prompt": request.require_mix("a render").describe(), **order.request_inputs()}


@router.post("/renders", status_code=202)
async def create_render(order: RenderOrder, state: Annotated[Services, Depends(services)]) -> dict[str, Any]:
    render = state.renders.new(prediction_inputs(order))
    try:
        await state.backend.submit(render)
    except ApiError as error:
        await state.renders.fail(render, error.code, error.message)
        raise
    log.info(
        "render %s: submitted to %s (%s, seed %d)", render.id, state.backend.name, render.inputs["prompt"], order.seed
    )
    watcher = asyncio.create_task(watch(state, render), name=f"watch-{render.id}")
    state.watchers.add(watcher)
    watcher.add_done_callback(state.watchers.discard)
    return render.public() | {"events_url": f"/api/renders/{render.id}/events"}


async def watch(state: Services, render: Render) -> None:
    """Until the render finishes: wait for webhooks; after a quiet spell, ask the backend (the fallback)."""
    settings = state.settings
    deadline = time.monotonic() + settings.render_timeout_s
    while not render.finished:
        if time.monotonic() >= deadline:
            await state.renders.fail(render, "timed_out", f"no result in {settings.render_timeout_s:.0f} s")
            return
        if await state.renders.wait_for_change(render, render.version, settings.webhook_poll_after_s):
            continue
        try:
            payload = await state.backend.poll(render)
        except ApiError as error:
            log.warning("render %s: fallback poll failed: %s", render.id, error.message)
            continue
        if payload is not None and _is_news(render, payload):
            log.info(
                "render %s: no webhook for %.0f s; status %s read by polling",
                render.id,
                settings.webhook_poll_after_s,
                payload.get("status"),
            )
            try:
                await _apply(state, render, payload, via="poll")
            except ApiError as error:
                log.warning("render %s: %s", render.id, error.message)  # the render has failed with this message


def _is_news(render: Render, payload: dict[str, Any]) -> bool:
    return payload.get("status") != render.status


async def _apply(state: Services, render: Render, payload: dict[str, Any], via: str) -> bool:
    try:
        return await state.renders.apply(render, payload, via)
    except ValueError as error:
        await state.renders.fail(
            render, "bad_prediction", f"the render server sent a prediction that cannot be read: {error}"
        )
        raise ApiError(400, "bad_prediction", str(error)) from None


@router.get("/renders/{render_id}")
def render_status(render: Annotated[Render, Depends(render_of)]) -> dict[str, Any]:
    return render.public()


@router.get("/renders/{render_id}/events", response_class=EventSourceResponse)
async def render_events(
    render: Annotated[Render, Depends(render_of)], state: Annotated[Services, Depends(services)]
) -> AsyncIterator[ServerSentEvent]:
    sent = -1
    while True:
        if render.version != sent:
            sent = render.version
            yield ServerSentEvent(data=render.public(), event="status", id=str(sent))
        if render.finished:
            return
        await state.renders.wait_for_change(render, sent, EVENT_WAIT_S)


@router.get("/renders/{render_id}/image", response_class=Response)
def render_image(render: Annotated[Render, Depends(render_of)]) -> Response:
    if render.image:
        return Response(render.image, media_type=render.media_type, headers={"Cache-Control": "private, max-age=86400"})
    if render.image_url:
        return RedirectResponse(render.image_url, status_code=307)
    raise ApiError(404, "no_image_yet", f"render {render.id} has no picture yet (status {render.status})")


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        payload = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "webhook_malformed", "webhook body must be a JSON object")
    return payload


@router.post("/webhooks/cog/{render_id}/{token}")
async def cog_webhook(
    render_id: str, token: str, request: Request, state: Annotated[Services, Depends(services)]
) -> JSONResponse:
    render = check_cog_token(state.renders.get(render_id), token)
    payload = await json_body(request)
    if payload.get("id") != render.prediction_id:
        raise ApiError(400, "webhook_mismatch", "the webhook is about another prediction")
    accepted = await _apply(state, render, payload, via="webhook")
    return JSONResponse({"accepted": accepted})


@router.post("/webhooks/replicate")
async def replicate_webhook(request: Request, state: Annotated[Services, Depends(services)]) -> JSONResponse:
    if state.verifier is None:
        raise ApiError(404, "replicate_not_configured", "this server does not use Replicate")
    payload = state.verifier.verify(await request.body(), request.headers)
    render = state.renders.by_prediction(str(payload.get("id", "")))
    if render is None:
        raise ApiError(404, "unknown_prediction", f"no render waits for prediction {payload.get('id')!r}")
    accepted = await _apply(state, render, payload, via="webhook")
    state.verifier.remember(request.headers)
    return JSONResponse({"accepted": accepted})
