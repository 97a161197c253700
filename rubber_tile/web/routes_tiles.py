"""The page's instant answers: the colours, a typed mix read, the live preview (the estimate: routes_quote.py)."""

from __future__ import annotations

import hmac
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..colors.palette import load_palette
from ..colors.vocabulary import TILE_COLORS
from ..errors import InputError
from ..materials import THICKNESS_MAX_MM, THICKNESS_MIN_MM, THICKNESS_TABLE_MM
from ..mix import MAX_COLORS, ColorMix, MixError, parse_mix
from ..preview.settings import RenderSettings
from ..request import (
    FRAMINGS,
    GRADES,
    SIZE_MAX,
    SIZE_MIN,
    VIEWS,
    TileRequest,
    check_input,
    make_request,
    request_inputs,
)
from .errors import ApiError, input_refusal, mix_refusal
from .layouts import layout_document, tables_document
from .messages import message
from .mix_fixes import with_fixes
from .models import LayoutQuery, MixCheck, PreviewQuery
from .previews import media_type
from .ratelimits import client_key, preview_cost
from .services import Services, services

__all__ = ["checked_request", "read_mix", "router", "whole_parts"]

router = APIRouter(prefix="/api")


def read_mix(text: str, language: str | None) -> ColorMix:
    """The parser's mix, or a 422 with its structured error in the page's language."""
    try:
        return parse_mix(text)
    except MixError as error:
        raise mix_refusal(error, language) from None


def checked_request(text: str, language: str | None, inputs: dict[str, Any]) -> TileRequest:
    """make_request's request (the mix read once), or the 422 a customer reads in the page's language."""
    try:
        request = make_request(text, **inputs)
        request.require_mix("the configurator")  # a full prompt without shares in it is no mix to draw
        return request
    except MixError as error:
        raise mix_refusal(error, language) from None
    except InputError as error:
        raise input_refusal(error) from None


def whole_parts(mix: ColorMix) -> dict[str, int]:
    """The shares as whole parts summing to 100, each at least 1, each as near its exact share as can be."""
    exact = dict(mix.normalized)
    parts = {name: max(1, int(share)) for name, share in exact.items()}
    while sum(parts.values()) < 100:
        parts[max(exact, key=lambda name: exact[name] - parts[name])] += 1
    while sum(parts.values()) > 100:
        parts[max((n for n in exact if parts[n] > 1), key=lambda name: parts[name] - exact[name])] -= 1
    return parts


def mix_reply(mix: ColorMix) -> dict[str, Any]:
    """The mix read: canonical text, per colour the share as asked, exact and in whole parts; `asked_total`
    is what the shares as typed added up to (99 for 33 + 33 + 33: the page says what it became)."""
    parts = whole_parts(mix)
    return {
        "mix": mix.describe(),
        "colors": [
            {"name": name, "asked": mix[name], "percent": round(share, 4), "parts": parts[name]}
            for name, share in mix.normalized.items()
        ],
        "asked_total": round(mix.total, 4),
        "note": mix.scaling_note(),
    }


@router.get("/config")
def config(state: Annotated[Services, Depends(services)]) -> dict[str, Any]:
    """The colours (names, measured swatch colour), the choices and the material constants."""
    palette = load_palette()
    constants = state.settings.materials
    return {
        "colors": [
            {"name": c.name, "code": c.code, "russian": c.russian, "hex": "#%02x%02x%02x" % palette[c.name].srgb}
            for c in TILE_COLORS
        ],
        "max_colors": MAX_COLORS,
        "grades": list(GRADES),
        "framings": list(FRAMINGS),
        "views": list(VIEWS),
        "sizes": {"min": SIZE_MIN, "max": SIZE_MAX},
        "materials": {
            **asdict(constants),
            "thickness_mm": {"min": THICKNESS_MIN_MM, "max": THICKNESS_MAX_MM},
            "thickness_table_mm": list(THICKNESS_TABLE_MM),
            "currency": state.settings.prices.currency if state.settings.prices.any else None,
        },
        "backend": state.settings.backend,
    }


@router.post("/mix")
def check_mix(order: MixCheck) -> dict[str, Any]:
    """A typed mix read by the project's parser: canonical shares and whole parts, or the structured error
    with the fixes that were checked to read (mix_fixes.py)."""
    try:
        return mix_reply(parse_mix(order.text))
    except MixError as error:
        refusal = mix_refusal(error, order.language)
        language = order.language or error.language
        refusal.extra["mix"] = with_fixes(refusal.extra["mix"], order.text, error, language)
        raise refusal from None


def check_preview_allowance(size: int, language: str, request: Request, state: Services) -> None:
    """Sizes above the page's own need the preview key; every preview and layout counts against the
    client's limit."""
    settings = state.settings
    if size > settings.preview_free_size:
        given = request.headers.get("x-preview-key", "")
        if not settings.preview_key or not hmac.compare_digest(given.encode(), settings.preview_key.encode()):
            raise ApiError(403, "preview_size_needs_key",
                           message("preview_size_needs_key", language, size=settings.preview_free_size))
    state.limits.take(state.limits.previews, client_key(request), language, cost=preview_cost(size))


@router.get("/preview", response_class=Response)
async def preview(
    query: Annotated[PreviewQuery, Query()], http_request: Request, state: Annotated[Services, Depends(services)]
) -> Response:
    """The live preview (JPEG by default, PNG for download): the same query always gives the same image.
    Sizes above PREVIEW_FREE_SIZE need the `X-Preview-Key` header; each client has a rate limit."""
    check_preview_allowance(query.size, query.language or "ru", http_request, state)
    request = checked_request(query.mix, query.language, query.request_inputs() | {"preview": True})
    data = await state.previews.draw(request)
    headers = {
        "Cache-Control": "public, max-age=3600",
        "X-Tile-Mix": request.require_mix("the preview").describe(),
        "X-Tile-Seed": str(request.seed),
    }
    return Response(data, media_type=media_type(request), headers=headers)


@router.get("/preview/layout", response_class=Response)
async def preview_layout(
    query: Annotated[LayoutQuery, Query()], http_request: Request, state: Annotated[Services, Depends(services)]
) -> Response:
    """A seed's layout for the page to colour itself (layouts.py; contract A stage 1), gzip-compressed.
    It costs about what a preview of its size costs, and takes the same key and limit."""
    check_preview_allowance(query.size, query.language or "ru", http_request, state)
    inputs = {item.name: item for item in request_inputs()}
    try:
        for name, value in (("width", query.size), ("grade", query.grade), ("framing", query.framing)):
            check_input(inputs[name], value)
    except InputError as error:
        raise input_refusal(error) from None
    settings = RenderSettings(size=query.size, seed=query.seed, framing=query.framing, grade=query.grade)
    data = await state.previews.run(layout_document, settings)
    headers = {"Cache-Control": "public, max-age=3600", "Content-Encoding": "gzip"}
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.get("/preview/tables", response_class=Response)
def preview_tables() -> Response:
    """Every colour's table rows and the binder's constants: the same for every layout and mix."""
    return Response(tables_document(), media_type="application/octet-stream", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/health")
async def health(state: Annotated[Services, Depends(services)]) -> dict[str, Any]:
    """Whether the render server answers (asked now, at most every half second) and what it renders."""
    server = await state.dispatcher.server_health()
    usable = server.state in ("READY", "BUSY")
    return {
        "status": "ok" if usable else "degraded",
        "backend": state.settings.backend,
        "render_backend": state.settings.render_backend,
        "render_server": server.reachable,
        "render_server_state": server.state,
        "render_problem": state.dispatcher.problem,
        "render_waits": dict(state.dispatcher.waited_out),  # 409 / 503 / no connection waited out, since start
        "preview_workers": state.previews.workers,
    }
