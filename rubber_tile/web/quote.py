"""A quote-ready estimate: what to order for one thickness (bags of each colour, binder containers,
tiles, and their cost where the deployment set prices), and the kg for each thickness tiles are sold in.

Prices are per kg, per colour, from the MATERIAL_PRICES setting (`red=320, black=250, *=300,
binder=450`: `*` for every colour not named) in MATERIAL_CURRENCY (an ISO 4217 code, default RUB).
A line costs its price times the kg it orders (whole bags, whole containers), because that is what
the buyer pays for. Without a price for a colour of the mix there is no total, and the reply says
which price is missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from ..colors.vocabulary import find_color
from ..materials import THICKNESS_TABLE_MM, BinderOrder, MaterialConstants, MaterialEstimate, estimate_materials

__all__ = ["MaterialPrices", "PriceError", "Quote", "make_quote"]

_CURRENCY = re.compile(r"[A-Z]{3}")
BINDER = "binder"
EVERY_COLOR = "*"


class PriceError(ValueError):
    """A MATERIAL_PRICES / MATERIAL_CURRENCY setting that cannot be read; the message says what to write."""


@dataclass(frozen=True)
class MaterialPrices:
    """Price per kg of each colour (canonical name), of any other colour (`default_per_kg`) and of binder."""

    per_kg: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    default_per_kg: float | None = None
    binder_per_kg: float | None = None
    currency: str = "RUB"

    def __post_init__(self) -> None:
        if not _CURRENCY.fullmatch(self.currency):
            raise PriceError(f"MATERIAL_CURRENCY must be a three-letter ISO 4217 code such as RUB or EUR, got {self.currency!r}")

    @property
    def any(self) -> bool:
        return bool(self.per_kg) or self.default_per_kg is not None or self.binder_per_kg is not None

    def color_price(self, name: str) -> float | None:
        return self.per_kg.get(name, self.default_per_kg)

    @classmethod
    def parse(cls, text: str, currency: str = "RUB") -> MaterialPrices:
        """`red=320, black=250, *=300, binder=450` (a colour in any spelling the vocabulary knows)."""
        per_kg: dict[str, float] = {}
        default = binder = None
        for item in filter(None, (part.strip() for part in re.split(r"[;\n]|,(?!\d)", text))):
            name, sign, price_text = item.partition("=")
            price = _price(price_text, item) if sign else None
            key = name.strip().lower()
            if price is None:
                raise PriceError(f"MATERIAL_PRICES: {item!r} is not `colour=price per kg`, e.g. `red=320, binder=450`")
            if key == EVERY_COLOR:
                default = price
            elif key == BINDER:
                binder = price
            elif (color := find_color(key)) is not None:
                per_kg[color.name] = price
            else:
                raise PriceError(f"MATERIAL_PRICES: {name.strip()!r} is not a tile colour, `*` or `binder`")
        return cls(MappingProxyType(per_kg), default, binder, currency.strip().upper() or "RUB")


def _price(text: str, item: str) -> float:
    try:
        price = float(text.strip().replace(",", "."))
    except ValueError:
        raise PriceError(f"MATERIAL_PRICES: the price in {item!r} is not a number") from None
    if not 0 <= price < 1e9:
        raise PriceError(f"MATERIAL_PRICES: the price in {item!r} must be from 0 to 1e9 per kg")
    return price


@dataclass(frozen=True)
class Quote:
    estimate: MaterialEstimate
    prices: MaterialPrices
    by_thickness: tuple[MaterialEstimate, ...]

    @property
    def binder(self) -> BinderOrder:
        return self.estimate.binder_order

    def color_cost(self, name: str) -> float | None:
        price = self.prices.color_price(name)
        bags = self.estimate.color_bags[name]
        return None if price is None else price * bags * self.estimate.constants.crumb_bag_kg

    @property
    def binder_cost(self) -> float | None:
        price = self.prices.binder_per_kg
        return None if price is None else price * self.binder.kg

    @property
    def missing_prices(self) -> tuple[str, ...]:
        """The colours (and `binder`) without a price, when any price was set at all."""
        if not self.prices.any:
            return ()
        missing = [name for name in self.estimate.color_kg if self.prices.color_price(name) is None]
        return (*missing, BINDER) if self.prices.binder_per_kg is None else tuple(missing)

    @property
    def total_cost(self) -> float | None:
        if not self.prices.any or self.missing_prices:
            return None
        costs = [self.color_cost(name) for name in self.estimate.color_kg] + [self.binder_cost]
        return sum(cost for cost in costs if cost is not None)

    def to_dict(self, shares: Mapping[str, float]) -> dict[str, Any]:
        """The estimate as the API answers it (and the PDF prints it)."""
        result, constants = self.estimate, self.estimate.constants
        return {
            "area_m2": result.area_m2,
            "thickness_mm": result.thickness_mm,
            "tiles": result.tiles,
            "colors": [
                {
                    "name": name,
                    "percent": round(shares[name], 4),
                    "kg": round(kg, 2),
                    "bags": result.color_bags[name],
                    "price_per_kg": self.prices.color_price(name),
                    "cost": _money(self.color_cost(name)),
                }
                for name, kg in result.color_kg.items()
            ],
            "crumb_kg": round(result.crumb_kg, 2),
            "crumb_bags": sum(result.color_bags.values()),
            "binder_kg": round(result.binder_kg, 2),
            "binder_buckets": result.binder_buckets,
            "binder": {
                "barrels": self.binder.barrels,
                "buckets": self.binder.buckets,
                "kg": round(self.binder.kg, 2),
                "price_per_kg": self.prices.binder_per_kg,
                "cost": _money(self.binder_cost),
            },
            "total_kg": round(result.total_kg, 2),
            "prices": {"currency": self.prices.currency, "total": _money(self.total_cost), "missing": list(self.missing_prices)}
            if self.prices.any
            else None,
            "by_thickness": [
                {"thickness_mm": e.thickness_mm, "crumb_kg": round(e.crumb_kg, 2), "binder_kg": round(e.binder_kg, 2),
                 "total_kg": round(e.total_kg, 2), "crumb_bags": sum(e.color_bags.values())}
                for e in self.by_thickness
            ],
            "constants": asdict(constants),
        }


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def make_quote(
    shares: Mapping[str, float], area: float | str, thickness: float | str, constants: MaterialConstants, prices: MaterialPrices
) -> Quote:
    """The quote for the customer's thickness, and the same area at each of THICKNESS_TABLE_MM."""
    estimate = estimate_materials(shares, area, thickness, constants)
    table = tuple(estimate_materials(shares, estimate.area_m2, mm, constants) for mm in THICKNESS_TABLE_MM)
    return Quote(estimate, prices, table)
