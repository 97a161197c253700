"""The colour mix: the one value every later step reads (prompt, preview, analyzer, colour lock).

A `ColorMix` is a read-only mapping of canonical colour name -> percent as asked, in the order
asked, plus `normalized`: the same shares scaled to sum to exactly 100. It cannot hold an invalid
mix: the constructor checks the invariants below once, so nothing downstream checks again.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from ..colors.vocabulary import COLOR_NAMES, ambiguous_choices, find_color, suggestion_hint
from .errors import MixError

MAX_COLORS = 4  # the training captions never held more
SUM_TOLERANCE_PP = 0.5  # 33.3 x 3 = 99.9 is a rounded 100; 33 x 3 = 99 is not
MIN_SHARE_PERCENT = 0.5  # a smaller share would round away (the sum tolerance) and is not visible on a tile

_KNOWN = frozenset(COLOR_NAMES)


def format_percent(percent: float) -> str:
    """`50`, `33.3`, `12.35`: integers without a decimal point, others to at most 2 decimals."""
    if float(percent).is_integer():
        return str(int(percent))
    return f"{percent:.2f}".rstrip("0").rstrip(".")


class ColorMix(Mapping[str, float]):
    """Canonical colour name -> percent as asked (insertion order is the customer's order).

    Invariants: at least one colour, each a canonical name (colors/vocabulary.py) given once,
    each share finite, at least MIN_SHARE_PERCENT and at most 100, the shares summing to 100
    within SUM_TOLERANCE_PP. Build one with `parse_mix(text)` (customer text, at most MAX_COLORS
    colours: the model knows no more) or `ColorMix({"red": 60, "white": 40})` (code; the preview
    renders any number); both raise MixError on anything else.
    """

    __slots__ = ("_percent", "_normalized")

    def __init__(self, percents: Mapping[str, float] | Iterable[tuple[str, float]]) -> None:
        pairs = list(percents.items() if isinstance(percents, Mapping) else percents)
        checked: dict[str, float] = {}
        for name, percent in pairs:
            _check_share(name, percent, checked)
            checked[name] = float(percent)
        if not checked:
            raise MixError("the mix must be non-empty: give at least one colour with its share")
        total = sum(checked.values())
        if abs(total - 100.0) > SUM_TOLERANCE_PP:
            raise MixError(
                f"the shares add up to {format_percent(round(total, 2))}%, not 100%: adjust them so they sum to 100"
            )
        self._percent = MappingProxyType(checked)
        self._normalized = MappingProxyType({name: percent * 100.0 / total for name, percent in checked.items()})

    def __getitem__(self, name: str) -> float:
        return self._percent[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._percent)

    def __len__(self) -> int:
        return len(self._percent)

    def __repr__(self) -> str:
        return f"ColorMix({dict(self._percent)!r})"

    def __hash__(self) -> int:
        return hash(tuple(self._percent.items()))

    @property
    def colors(self) -> tuple[str, ...]:
        return tuple(self._percent)

    @property
    def normalized(self) -> Mapping[str, float]:
        """The shares scaled to sum to exactly 100 (33.3 x 3 becomes 33.33 x 3), read-only."""
        return self._normalized

    def describe(self) -> str:
        """`50% red, 30% black, 20% pearl`: canonical names, shares as asked, integers where integral."""
        return ", ".join(f"{format_percent(percent)}% {name}" for name, percent in self._percent.items())


def _check_share(name: object, percent: object, seen: Mapping[str, float]) -> None:
    if name not in _KNOWN:
        raise MixError(_not_canonical(name, seen))
    if name in seen:
        raise MixError(f"'{name}' is listed twice: give each colour once, with its total share")
    if isinstance(percent, bool) or not isinstance(percent, numbers.Real) or not math.isfinite(percent):
        raise MixError(f"'{name}' has a share of {percent!r}: give a number of percent")
    if percent <= 0:
        raise MixError(f"'{name}' has a share of {format_percent(percent)}%: every share must be above 0%")
    if percent < MIN_SHARE_PERCENT:
        raise MixError(
            f"'{name}' has a share of {percent:g}%, too small to show on a tile: "
            f"leave it out or give it at least {format_percent(MIN_SHARE_PERCENT)}%"
        )
    if percent > 100:
        raise MixError(f"'{name}' has a share of {format_percent(percent)}%: no share can exceed 100%")


def _not_canonical(name: object, seen: Mapping[str, float]) -> str:
    """Why `name` cannot key a ColorMix, and the name to use (spellings are read by parse_mix, not here)."""
    text = str(name)
    color = find_color(text)
    if color is not None and color.name in seen:
        return f"{text!r} is '{color.name}', which is listed twice: give each colour once"
    if color is not None:
        return f"{text!r} is not one of the canonical names: write '{color.name}' (parse_mix reads other spellings)"
    choices = ambiguous_choices(text)
    if choices:
        return f"{text!r} could be several tile colours: use one of {', '.join(choices)}"
    hint = f" ({suggestion})" if (suggestion := suggestion_hint(text)) else ""
    return f"unknown colour {text!r}{hint}; known colours: {', '.join(COLOR_NAMES)}"
