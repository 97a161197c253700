"""Photoreal render orders: queued in the store, sent one at a time by the dispatcher, news by webhook.

    POST /api/renders                       202 {id, status: queued, queue_position, ...} (contract B)
    GET  /api/renders/{id}                  the order's state, from the store
    GET  /api/renders/{id}/events           server-sent `status` events until the order finishes
    GET  /api/renders/{id}/image            the picture (Replicate: a redirect to its delivery host)
    POST /api/webhooks/cog/{id}/{token}     the local Cog server's webhooks (unsigned: the token decides)
    POST /api/webhooks/replicate            Replicate's webhooks (Standard Webhooks signature and replay checks)
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ..colors.russian import text_language
from .errors import ApiError
from .messages import customer_error, message
from .models import RenderOrder
from .orders import Order, PayloadError, on_delivery_host
from .ratelimits import client_key
from .routes_tiles import checked_request
from .services import Services, services
from .store import Admission, NewOrder, Refusal

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api")
EVENT_WAIT_S = 1.0  # also how often a stream reads the store (another instance may have changed it)
ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
REFUSAL_STATUS = {"queue_full": 503, "too_many_orders": 429, "daily_cap": 429}


async def order_of(render_id: str, state: Annotated[Services, Depends(services)]) -> Order:
    order = await state.book.get(render_id) if ORDER_ID.fullmatch(render_id) else None
    if order is None:
        raise ApiError(404, "unknown_render", f"no render {render_id[:80]!r} here")
    return order


async def public(state: Services, order: Order) -> dict[str, Any]:
    return order.public(await state.book.call(state.book.store.queue_position, order))


def order_language(order: RenderOrder) -> str:
    return order.language or ("ru" if text_language(order.mix) == "ru" else "en")


def prediction_inputs(order: RenderOrder, language: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the customer asked, the predictor's inputs), checked by make_request as the predictor will."""
    mix = checked_request(order.mix, language, order.request_inputs()).require_mix("a render").describe()
    asked = {"mix": mix, "seed": order.seed, "grade": order.grade, "framing": order.framing,
             "view": order.view, "size": order.size}
    return asked, {"prompt": mix, **order.request_inputs()}


@router.post("/renders", status_code=202)
async def create_render(
    body: RenderOrder, request: Request, state: Annotated[Services, Depends(services)]
) -> dict[str, Any]:
    language = order_language(body)
    asked, inputs = prediction_inputs(body, language)
    client = client_key(request)
    state.limits.take(state.limits.orders, client, language)
    problem = state.dispatcher.problem
    if problem is not None:
        raise ApiError(503, problem, message(problem, language), headers={"Retry-After": "30"})
    settings = state.settings
    admission = Admission(settings.queue_max, settings.orders_open_per_client,
                          settings.replicate_daily_cap if settings.uses_replicate else None)
    try:
        order = await state.book.add(NewOrder(client, language, state.backend.name, asked, inputs), admission)
    except Refusal as refusal:
        status = REFUSAL_STATUS[refusal.code]
        raise ApiError(status, refusal.code, message(refusal.code, language, **refusal.values),
                       headers={"Retry-After": "60"}) from None
    log.info("order %s: queued (%s, seed %d)", order.id, asked["mix"], body.seed)
    return await public(state, order)


@router.get("/renders/{render_id}")
async def render_status(
    order: Annotated[Order, Depends(order_of)], state: Annotated[Services, Depends(services)]
) -> dict[str, Any]:
    return await public(state, order)


@router.get("/renders/{render_id}/events", response_class=EventSourceResponse)
async def render_events(
    order: Annotated[Order, Depends(order_of)], state: Annotated[Services, Depends(services)]
) -> AsyncIterator[ServerSentEvent]:
    sent: tuple[int, int | None] | None = None
    while True:
        shown = await public(state, order)
        if (order.version, shown["queue_position"]) != sent:
            sent = (order.version, shown["queue_position"])
            yield ServerSentEvent(data=shown, event="status", id=str(order.version))
        if order.finished:
            return
        await state.book.wait(EVENT_WAIT_S)
        order = await state.book.get(order.id) or order


@router.get("/renders/{render_id}/image", response_class=Response)
async def render_image(
    order: Annotated[Order, Depends(order_of)], state: Annotated[Services, Depends(services)]
) -> Response:
    if order.status == "succeeded" and order.has_image:
        found = await state.book.call(state.book.store.image, order.id)
        if found:
            return Response(found[0], media_type=found[1], headers={"Cache-Control": "private, max-age=86400"})
    if order.status == "succeeded" and order.image_url and on_delivery_host(order.image_url, state.settings.replicate_delivery_host):
        return RedirectResponse(order.image_url, status_code=307)
    raise ApiError(404, "no_image_yet", f"render {order.id} has no picture yet (status {order.status})")


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        payload = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "webhook_malformed", "webhook body must be a JSON object")
    return payload


async def apply_news(state: Services, order: Order, payload: dict[str, Any]) -> JSONResponse:
    try:
        changed = await state.book.apply(order, payload, via="webhook")
    except PayloadError as error:
        await state.book.fail(order, customer_error("render_server_unreadable", order.language, str(error)))
        raise ApiError(400, "bad_prediction", str(error)) from None
    return JSONResponse({"accepted": changed is not None})


@router.post("/webhooks/cog/{render_id}/{token}")
async def cog_webhook(
    render_id: str, token: str, request: Request, state: Annotated[Services, Depends(services)]
) -> JSONResponse:
    # The token is checked before the body is read: a forged delivery costs nothing.
    order = await state.book.get(render_id) if ORDER_ID.fullmatch(render_id) and state.backend.name == "cog" else None
    expected = order.token if order is not None else "-"
    if order is None or not hmac.compare_digest(expected.encode(), token.encode()):
        raise ApiError(404, "unknown_webhook", "no render waits for this webhook")
    payload = await json_body(request)
    if payload.get("id") != order.id:
        raise ApiError(400, "webhook_mismatch", "the webhook is about another prediction")
    return await apply_news(state, order, payload)


@router.post("/webhooks/replicate")
async def replicate_webhook(request: Request, state: Annotated[Services, Depends(services)]) -> JSONResponse:
    if state.verifier is None:
        raise ApiError(404, "replicate_not_configured", "this server does not use Replicate")
    payload = state.verifier.verify(await request.body(), request.headers)
    order = await state.book.call(state.book.store.by_prediction, str(payload.get("id", "")))
    if order is None:
        raise ApiError(404, "unknown_prediction", f"no render waits for prediction {str(payload.get('id'))[:80]!r}")
    reply = await apply_news(state, order, payload)
    state.verifier.remember(request.headers)
    return reply
