"""The material estimate as a buyer orders it (POST /api/estimate), and the PDF to send to the factory
(GET /api/quote.pdf; POST with the visualiser's picture of the customer's site), both in the page's language."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from PIL import Image

from ..colors.palette import load_palette
from ..colors.vocabulary import display_name
from ..materials import MaterialError, read_number
from ..mix import ColorMix
from .errors import ApiError
from .models import EstimateOrder, QuoteQuery
from .quote import Quote, make_quote
from .quote_pdf import QuoteSheet, quote_pdf
from .ratelimits import client_key, preview_cost
from .routes_tiles import checked_request, read_mix
from .services import Services, services

__all__ = ["estimate_refusal", "quote_for", "router"]

router = APIRouter(prefix="/api")


def estimate_refusal(error: MaterialError, language: str) -> ApiError:
    """A 422 naming the field, its message in the page's language."""
    return ApiError(422, "invalid_estimate", error.text(language), field=error.field)


def quote_for(
    mix: ColorMix,
    area: float | str,
    thickness: float | str,
    crumb_kg_per_m2: float | str | None,
    binder_percent: float | str | None,
    language: str,
    state: Services,
) -> Quote:
    """The quote with the server's constants, or the customer's own where given; refusals in `language`."""
    defaults = state.settings.materials
    try:
        constants = replace(
            defaults,
            crumb_kg_per_m2=_own(crumb_kg_per_m2, "crumb_kg_per_m2", defaults.crumb_kg_per_m2),
            binder_percent=_own(binder_percent, "binder_percent", defaults.binder_percent),
        )
        return make_quote(mix.normalized, area, thickness, constants, state.settings.prices)
    except MaterialError as error:
        raise estimate_refusal(error, language) from None


def _own(value: float | str | None, field_name: str, default: float) -> float:
    """The customer's own constant as typed (`7,5`), or the server's when the field was left empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return read_number(value, field_name)


@router.post("/estimate")
def estimate(order: EstimateOrder, state: Annotated[Services, Depends(services)]) -> dict[str, Any]:
    """kg of each colour and its 25 kg bags, binder in buckets and barrels, tiles, costs where priced,
    and the kg at 10, 15, 20 and 25 mm (the owner's calculator's formula)."""
    mix = read_mix(order.mix, order.language)
    quote = quote_for(
        mix, order.area_m2, order.thickness_mm, order.crumb_kg_per_m2, order.binder_percent, order.language, state
    )
    return quote.to_dict(mix.normalized)


# The visualiser's picture a customer may add to the PDF (a 1280 px JPEG is about 0.3 MB).
SITE_PICTURE_MAX_BYTES = 4 * 1024 * 1024
SITE_PICTURE_MAX_SIDE = 2048
SHARE_FIELDS = ("mix", "seed", "grade", "framing", "view", "lang", "area", "thickness", "crumb", "binder")
PDF_PICTURE_SIZE = 768


def share_link(base_url: str, query: QuoteQuery) -> str:
    """The page's share link for this query (the same fields in the same order as static/page.js)."""
    values = {name: str(getattr(query, name)) for name in SHARE_FIELDS}
    return f"{base_url.rstrip('/')}/?{urlencode({k: v for k, v in values.items() if v != ''})}"


@router.get("/quote.pdf", response_class=Response)
async def quote_pdf_route(
    query: Annotated[QuoteQuery, Query()], request: Request, state: Annotated[Services, Depends(services)]
) -> Response:
    """The mix, its picture, the estimate and the share link with its QR code, as an A4 PDF. Its picture
    counts against the client's preview limit."""
    return await quote_response(query, request, state, site_picture=None)


@router.post("/quote.pdf", response_class=Response)
async def quote_pdf_with_site(
    query: Annotated[QuoteQuery, Query()], request: Request, state: Annotated[Services, Depends(services)]
) -> Response:
    """The same PDF with the customer's site laid with the mix (the visualiser's picture: a JPEG or PNG
    body, at most SITE_PICTURE_MAX_BYTES). The page sends it only when the customer asks; it is used for
    this PDF and kept nowhere."""
    picture = await request.body()
    return await quote_response(query, request, state, site_picture=checked_site_picture(picture, query.lang))


def checked_site_picture(picture: bytes, language: str) -> bytes:
    """The picture if it is a JPEG or PNG of at most SITE_PICTURE_MAX_SIDE px a side, else a 422 in the page's language."""
    words = {"ru": "Картинку площадки не удалось прочитать: пришлите JPEG или PNG до {side} пикселей по стороне.",
             "en": "The site picture could not be read: send a JPEG or PNG of at most {side} px a side."}
    refusal = ApiError(422, "invalid_site_picture", words.get(language, words["ru"]).format(side=SITE_PICTURE_MAX_SIDE))
    if not (picture.startswith(b"\xff\xd8\xff") or picture.startswith(b"\x89PNG\r\n\x1a\n")):
        raise refusal
    try:
        with Image.open(io.BytesIO(picture)) as image:
            if max(image.size) > SITE_PICTURE_MAX_SIDE:
                raise refusal
            image.verify()
    except (OSError, SyntaxError, Image.DecompressionBombError):
        raise refusal from None
    return picture


async def quote_response(query: QuoteQuery, request: Request, state: Services, site_picture: bytes | None) -> Response:
    state.limits.take(state.limits.previews, client_key(request), query.lang, cost=preview_cost(PDF_PICTURE_SIZE))
    inputs = {"seed": query.seed, "grade": query.grade, "framing": query.framing, "view": query.view, "preview": True,
              "width": PDF_PICTURE_SIZE, "height": PDF_PICTURE_SIZE, "output_format": "jpg"}
    picture_request = checked_request(query.mix, query.lang, inputs)
    mix = picture_request.require_mix("the quote")
    quote = quote_for(mix, query.area, query.thickness, query.crumb or None, query.binder or None, query.lang, state)
    picture = await state.previews.draw(picture_request)
    palette = load_palette()
    sheet = QuoteSheet(
        language=query.lang,
        colors=[(display_name(name, query.lang), "#%02x%02x%02x" % palette[name].srgb, share) for name, share in mix.items()],
        grade=query.grade,
        view=query.view,
        framing=query.framing,
        seed=query.seed,
        picture=picture,
        estimate=quote.to_dict(mix.normalized),
        color_names={name: display_name(name, query.lang) for name in mix},
        link=share_link(str(request.base_url), query),
        made_on=date.today(),
        site_picture=site_picture,
    )
    data = await asyncio.to_thread(quote_pdf, sheet)
    headers = {"Content-Disposition": f'attachment; filename="tile-{query.seed}.pdf"', "Cache-Control": "no-store"}
    return Response(data, media_type="application/pdf", headers=headers)
