"""How much crumb and binder a rubber-crumb surface takes: kg of each colour and of binder.

The owner's company calculator (NauSlava/fe, etc/templates/fe/elements/calc.tmpl.php, `layercalc`)
works per layer: crumb kg = 8 kg/m2 of EPDM (7 for SBR) x area x thickness / 10 mm, each colour its
share of that, and binder = 18% of the crumb mass, sold in 20 kg buckets and 215 kg barrels.
The constants are a frozen dataclass so that a deployment (or the customer, on the web page) can
put in its own; docs/web.md lists the sources.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .errors import InputError

__all__ = [
    "AREA_MAX_M2",
    "MaterialConstants",
    "MaterialEstimate",
    "THICKNESS_MAX_MM",
    "THICKNESS_MIN_MM",
    "estimate_materials",
]

# Bounds a customer can enter: a playground is tens to thousands of m2; tiles are 10-100 mm thick and the
# owner's calculator starts at 5 mm.
AREA_MAX_M2 = 100_000.0
THICKNESS_MIN_MM = 5.0
THICKNESS_MAX_MM = 100.0
THICKNESS_UNIT_MM = 10.0  # the calculator's rate is per 10 mm of thickness


def _check_range(what: str, value: float, low: float, high: float, *, low_inclusive: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{what} must be a number, got {value!r}")
    above_low = value >= low if low_inclusive else value > low
    if not above_low or value > high:
        bound = "from" if low_inclusive else "above"
        raise InputError(f"{what} must be {bound} {low:g} to {high:g}, got {value:g}")


@dataclass(frozen=True)
class MaterialConstants:
    """crumb_kg_per_m2: kg of crumb per m2 at 10 mm (EPDM 8, SBR 7 in the owner's calculator);
    binder_percent: binder as a percent of the crumb mass (18); binder_bucket_kg / binder_barrel_kg:
    the container sizes binder is sold in (20 kg, 215 kg)."""

    crumb_kg_per_m2: float = 8.0
    binder_percent: float = 18.0
    binder_bucket_kg: float = 20.0
    binder_barrel_kg: float = 215.0

    def __post_init__(self) -> None:
        _check_range("crumb_kg_per_m2 (kg of crumb per m2 per 10 mm)", self.crumb_kg_per_m2, 0.1, 50.0)
        _check_range("binder_percent", self.binder_percent, 0.0, 100.0)
        _check_range("binder_bucket_kg", self.binder_bucket_kg, 0.1, 10_000.0)
        _check_range("binder_barrel_kg", self.binder_barrel_kg, 0.1, 10_000.0)


@dataclass(frozen=True)
class MaterialEstimate:
    area_m2: float
    thickness_mm: float
    crumb_kg: float
    binder_kg: float
    color_kg: Mapping[str, float] = field(default_factory=dict)  # canonical colour -> kg, in the mix's order
    constants: MaterialConstants = MaterialConstants()

    @property
    def total_kg(self) -> float:
        return self.crumb_kg + self.binder_kg

    @property
    def binder_buckets(self) -> int:
        """Whole buckets of binder to buy (the calculator rounds up)."""
        return math.ceil(self.binder_kg / self.constants.binder_bucket_kg - 1e-9)

    @property
    def binder_barrels(self) -> int:
        return math.ceil(self.binder_kg / self.constants.binder_barrel_kg - 1e-9)


def estimate_materials(
    shares: Mapping[str, float],
    area_m2: float,
    thickness_mm: float,
    constants: MaterialConstants = MaterialConstants(),
) -> MaterialEstimate:
    """Crumb of each colour and binder for `area_m2` at `thickness_mm`; `shares` are percents summing
    to 100 (a ColorMix's `normalized`). InputError, saying the allowed range, for a bad area or thickness."""
    _check_range("area_m2 (area in m2)", area_m2, 0.0, AREA_MAX_M2, low_inclusive=False)
    _check_range("thickness_mm (thickness in mm)", thickness_mm, THICKNESS_MIN_MM, THICKNESS_MAX_MM)
    total = sum(shares.values())
    if not shares or abs(total - 100.0) > 1e-6:
        raise InputError(f"the shares must sum to 100, got {total:g}")
    crumb_kg = constants.crumb_kg_per_m2 * area_m2 * thickness_mm / THICKNESS_UNIT_MM
    color_kg = {name: crumb_kg * percent / 100.0 for name, percent in shares.items()}
    return MaterialEstimate(
        area_m2=float(area_m2),
        thickness_mm=float(thickness_mm),
        crumb_kg=crumb_kg,
        binder_kg=crumb_kg * constants.binder_percent / 100.0,
        color_kg=MappingProxyType(color_kg),
        constants=constants,
    )
