"""The material estimate as a buyer orders it (POST /api/estimate), in the page's language."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ..materials import MaterialError, read_number
from ..mix import ColorMix
from .errors import ApiError
from .models import EstimateOrder
from .quote import Quote, make_quote
from .routes_tiles import read_mix
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
