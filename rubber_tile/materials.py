"""How much crumb and binder a rubber-crumb surface takes, and what a buyer orders: kg, bags, containers, tiles.

The owner's company calculator (NauSlava/fe, etc/templates/fe/elements/calc.tmpl.php, `layercalc`)
works per layer: crumb kg = 8 kg/m2 of EPDM (7 for SBR) x area x thickness / 10 mm, each colour its
share of that, and binder = 18% of the crumb mass, sold in 20 kg buckets and 215 kg barrels.
Crumb is sold in 25 kg bags; a 500 x 500 mm tile covers a quarter of a square metre.

What a buyer orders (`BinderOrder.for_kg`): a barrel for every full 215 kg of binder and the rest in
20 kg buckets, unless the rest would take more than a barrel holds (11 buckets, 220 kg): then one more
barrel instead. Crumb: whole bags per colour. Prices (material_prices.py) are per kg of what is ordered.

The constants are a frozen dataclass so that a deployment (or the customer, on the web page) can
put in its own; docs/web.md lists the sources. Every refusal is a MaterialError that names the field
and says what to fix in English and in Russian.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .errors import InputError

__all__ = [
    "AREA_MAX_M2",
    "THICKNESS_MAX_MM",
    "THICKNESS_MIN_MM",
    "THICKNESS_TABLE_MM",
    "BinderOrder",
    "MaterialConstants",
    "MaterialError",
    "MaterialEstimate",
    "estimate_materials",
    "read_number",
]

# Bounds a customer can enter: a playground is tens to thousands of m2; tiles are 10-100 mm thick and the
# owner's calculator starts at 5 mm.
AREA_MAX_M2 = 100_000.0
THICKNESS_MIN_MM = 5.0
THICKNESS_MAX_MM = 100.0
THICKNESS_UNIT_MM = 10.0  # the calculator's rate is per 10 mm of thickness
THICKNESS_TABLE_MM = (10.0, 15.0, 20.0, 25.0)  # the thicknesses tiles are sold in, shown side by side



@dataclass(frozen=True)
class FieldName:
    """How a message names a field: in English (the API's name), in Russian with its verb form, and the unit."""

    english: str
    russian: str
    russian_must: str  # должна / должен / должно: the verb agrees with the Russian noun
    unit: str


FIELD_NAMES = {
    "area_m2": FieldName("area_m2 (area in m2)", "Площадь", "должна", "м²"),
    "thickness_mm": FieldName("thickness_mm (thickness in mm)", "Толщина", "должна", "мм"),
    "crumb_kg_per_m2": FieldName("crumb_kg_per_m2 (kg of crumb per m2 per 10 mm)", "Расход крошки", "должен", "кг/м²"),
    "binder_percent": FieldName("binder_percent", "Доля связующего", "должна", "%"),
    "binder_bucket_kg": FieldName("binder_bucket_kg", "Ведро связующего", "должно", "кг"),
    "binder_barrel_kg": FieldName("binder_barrel_kg", "Бочка связующего", "должна", "кг"),
    "crumb_bag_kg": FieldName("crumb_bag_kg", "Мешок крошки", "должен", "кг"),
    "tiles_per_m2": FieldName("tiles_per_m2", "Число плиток на м²", "должно", ""),
}
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS_OR_DECIMAL = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")  # 2,500: 2.5 or 2500? never guessed
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")


class MaterialError(InputError):
    """A value of the estimate that the customer has to fix: `field` names it, `russian` says it in Russian."""

    def __init__(self, field_name: str, english: str, russian: str) -> None:
        super().__init__(english)
        self.field = field_name
        self.russian = russian

    def text(self, language: str) -> str:
        return self.russian if language == "ru" else str(self)


def _shown(value: float) -> str:
    """`12.5`, `100000`: a bound or value as a customer reads it."""
    return f"{value:.10g}"


def _russian(value: float) -> str:
    """`12,5`, `100 000`: the Russian way, with a decimal comma and spaces between thousands."""
    whole = f"{value:,.10g}" if abs(value) >= 10_000 and float(value).is_integer() else _shown(value)
    return whole.replace(",", "\u00a0").replace(".", ",")


def read_number(value: object, field_name: str, *, text: bool = True) -> float:
    """A number as a customer types it: `12,5` and `12.5`, `1 000` (spaces between thousands); a float
    or int as it is. MaterialError for anything else, and for `2,500` (2.5 or 2500: not guessed).
    With `text=False` only a float or int is taken."""
    name = FIELD_NAMES[field_name]
    english, russian = name.english, name.russian
    kinds = (int, float, str) if text else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise MaterialError(field_name, f"{english} must be a number, got {value!r}", f"{russian}: укажите число")
    if not isinstance(value, str):
        return float(value)
    text = _SPACES.sub("", value)
    if not text:
        raise MaterialError(field_name, f"{english} is empty: give a number like 12.5", f"{russian}: укажите число, например 12,5")
    if _THOUSANDS_OR_DECIMAL.fullmatch(text):
        small, large = float(text.replace(",", ".")), float(text.replace(",", ""))
        raise MaterialError(
            field_name,
            f"{english}: {value!r} could be {_shown(small)} or {_shown(large)}: write it without the comma or with a point",
            f"{russian}: «{value}» можно прочитать и как {_russian(small)}, и как {_russian(large)}: "
            "напишите число без запятой или с одной-двумя цифрами после неё",
        )
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not _PLAIN_NUMBER.fullmatch(text):
        raise MaterialError(
            field_name,
            f"{english} must be a number like 12.5, got {value!r}",
            f"{russian}: «{value.strip()}» — не число; напишите, например, 12,5",
        )
    return float(text)


def check_range(
    field_name: str, value: object, low: float, high: float, *, low_inclusive: bool = True, text: bool = True
) -> float:
    """`value` read as a number, if it lies in the range; else MaterialError saying the range."""
    number = read_number(value, field_name, text=text)
    name = FIELD_NAMES[field_name]
    if not math.isfinite(number):
        raise MaterialError(field_name, f"{name.english} must be a number, got {value!r}", f"{name.russian}: укажите число")
    above_low = number >= low if low_inclusive else number > low
    if above_low and number <= high:
        return number
    bound = f"from {_shown(low)} to" if low_inclusive else f"more than {_shown(low)} and at most"
    low_ru = f"не меньше {_russian(low)}" if low_inclusive else f"больше {_russian(low)}"
    raise MaterialError(
        field_name,
        f"{name.english} must be {bound} {_shown(high)}, got {_shown(number)}",
        f"{name.russian} {name.russian_must} быть {low_ru} и не больше {_russian(high)} {name.unit}, "
        f"указано {_russian(number)}".replace("  ", " "),
    )


@dataclass(frozen=True)
class MaterialConstants:
    """crumb_kg_per_m2: kg of crumb per m2 at 10 mm (EPDM 8, SBR 7 in the owner's calculator);
    binder_percent: binder as a percent of the crumb mass (18); binder_bucket_kg / binder_barrel_kg:
    the containers binder is sold in (20 kg, 215 kg); crumb_bag_kg: a bag of crumb (25 kg);
    tiles_per_m2: 500 x 500 mm tiles per square metre (4)."""

    crumb_kg_per_m2: float = 8.0
    binder_percent: float = 18.0
    binder_bucket_kg: float = 20.0
    binder_barrel_kg: float = 215.0
    crumb_bag_kg: float = 25.0
    tiles_per_m2: float = 4.0

    def __post_init__(self) -> None:
        check_range("crumb_kg_per_m2", self.crumb_kg_per_m2, 0.1, 50.0, text=False)
        check_range("binder_percent", self.binder_percent, 0.0, 100.0, text=False)
        check_range("binder_bucket_kg", self.binder_bucket_kg, 0.1, 10_000.0, text=False)
        check_range("binder_barrel_kg", self.binder_barrel_kg, 0.1, 10_000.0, text=False)
        check_range("crumb_bag_kg", self.crumb_bag_kg, 0.1, 10_000.0, text=False)
        check_range("tiles_per_m2", self.tiles_per_m2, 0.01, 10_000.0, text=False)


def whole_units(kg: float, unit_kg: float) -> int:
    """Whole bags or containers that hold `kg` (rounded up; a rounding error is not another bag)."""
    return max(0, math.ceil(kg / unit_kg - 1e-9))


@dataclass(frozen=True)
class BinderOrder:
    """Binder as a buyer orders it: barrels and buckets, and the kg they hold."""

    barrels: int
    buckets: int
    kg: float

    @classmethod
    def for_kg(cls, need_kg: float, constants: MaterialConstants) -> BinderOrder:
        """A barrel per full barrel of need, the rest in buckets, unless the rest would take more than a
        barrel holds in buckets: then one more barrel (fewer containers and no more binder)."""
        bucket, barrel = constants.binder_bucket_kg, constants.binder_barrel_kg
        barrels = int((need_kg + 1e-9) // barrel)
        buckets = whole_units(need_kg - barrels * barrel, bucket)
        if buckets * bucket >= barrel:
            barrels, buckets = barrels + 1, 0
        return cls(barrels, buckets, barrels * barrel + buckets * bucket)


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
        """Buckets of binder if it were bought in buckets only (the owner's calculator rounds up)."""
        return whole_units(self.binder_kg, self.constants.binder_bucket_kg)

    @property
    def binder_order(self) -> BinderOrder:
        return BinderOrder.for_kg(self.binder_kg, self.constants)

    @property
    def color_bags(self) -> Mapping[str, int]:
        """Whole bags of each colour."""
        return MappingProxyType({name: whole_units(kg, self.constants.crumb_bag_kg) for name, kg in self.color_kg.items()})

    @property
    def tiles(self) -> int:
        """500 x 500 mm tiles that cover the area (rounded up)."""
        return whole_units(self.area_m2 * self.constants.tiles_per_m2, 1.0)


def estimate_materials(
    shares: Mapping[str, float],
    area_m2: float | str,
    thickness_mm: float | str,
    constants: MaterialConstants = MaterialConstants(),
) -> MaterialEstimate:
    """Crumb of each colour and binder for `area_m2` at `thickness_mm` (numbers, or text as typed: `12,5`);
    `shares` are percents summing to 100 (a ColorMix's `normalized`). MaterialError, saying the allowed
    range in English and Russian, for a bad area or thickness."""
    area = check_range("area_m2", area_m2, 0.0, AREA_MAX_M2, low_inclusive=False)
    thickness = check_range("thickness_mm", thickness_mm, THICKNESS_MIN_MM, THICKNESS_MAX_MM)
    total = sum(shares.values())
    if not shares or abs(total - 100.0) > 1e-6:
        raise InputError(f"the shares must sum to 100, got {total:g}")
    crumb_kg = constants.crumb_kg_per_m2 * area * thickness / THICKNESS_UNIT_MM
    color_kg = {name: crumb_kg * percent / 100.0 for name, percent in shares.items()}
    return MaterialEstimate(
        area_m2=area,
        thickness_mm=thickness,
        crumb_kg=crumb_kg,
        binder_kg=crumb_kg * constants.binder_percent / 100.0,
        color_kg=MappingProxyType(color_kg),
        constants=constants,
    )
