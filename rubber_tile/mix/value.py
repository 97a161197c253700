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

from ..colors.vocabulary import COLOR_NAMES, ambiguous_choices, closest_color_names, find_color
from . import messages
from .errors import MixError, MixProblem

MAX_COLORS = 4  # the training captions never held more; the parser refuses more
# 33.3 x 3 = 99.9 and 33 x 3 = 99 are a rounded 100, scaled to 100 (and said so); 98 is a mistake.
SUM_TOLERANCE_PP = 1.0
MIN_SHARE_PERCENT = 0.5  # a smaller share is not visible on a tile

_KNOWN = frozenset(COLOR_NAMES)


def format_percent(percent: float) -> str:
    """`50`, `33.3`, `12.35`: integers without a decimal point, others to at most 2 decimals."""
    return messages.number(percent)


class ColorMix(Mapping[str, float]):
    """Canonical colour name -> percent as asked (insertion order is the customer's order).

    Invariants: at least one colour, each a canonical name (colors/vocabulary.py) given once,
    each share finite, at least MIN_SHARE_PERCENT and at most 100, the shares summing to 100
    within SUM_TOLERANCE_PP. Build one with `parse_mix(text)` (customer text, at most MAX_COLORS
    colours: the model knows no more) or `ColorMix({"red": 60, "white": 40})` (code; the preview
    renders any number); both raise MixError on anything else.
    """

    __slots__ = ("_percent", "_normalized", "_total")

    def __init__(self, percents: Mapping[str, float] | Iterable[tuple[str, float]]) -> None:
        pairs = list(percents.items() if isinstance(percents, Mapping) else percents)
        checked: dict[str, float] = {}
        for name, percent in pairs:
            if (problem := _share_problem(name, percent, checked)) is not None:
                raise MixError([problem])
            checked[name] = float(percent)
        if not checked:
            raise MixError([messages.no_colors()])
        total = sum(checked.values())
        if abs(total - 100.0) > SUM_TOLERANCE_PP:
            raise MixError([messages.bad_sum(total, SUM_TOLERANCE_PP)])
        self._percent = MappingProxyType(checked)
        self._total = total
        self._normalized = MappingProxyType({name: percent * 100.0 / total for name, percent in checked.items()})

    def __getitem__(self, name: str) -> float:
        return self._percent[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._percent)

    def __len__(self) -> int:
        return len(self._percent)

    def __repr__(self) -> str:
        return f"ColorMix({dict(self._percent)!r})"

    def __eq__(self, other: object) -> bool:
        # Order is part of a mix (the prompt lists the colours in it, the preview draws in it).
        if isinstance(other, ColorMix):
            return tuple(self._percent.items()) == tuple(other._percent.items())
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(tuple(self._percent.items()))

    def __reduce__(self) -> tuple[type[ColorMix], tuple[tuple[tuple[str, float], ...]]]:
        # Pickled as its shares (the web app sends requests to its preview workers), checked again on the way in.
        return (ColorMix, (tuple(self._percent.items()),))

    @property
    def colors(self) -> tuple[str, ...]:
        return tuple(self._percent)

    @property
    def total(self) -> float:
        """The shares as asked, added up: 100 unless they were rounded (then normalized scales them)."""
        return self._total

    def scaling_note(self) -> str:
        """`the shares added up to 99%; scaled to 100%`, or '' when they added up to 100."""
        if abs(self._total - 100.0) < 1e-9:
            return ""
        return f"the shares added up to {format_percent(round(self._total, 2))}%; scaled to 100%"

    @property
    def normalized(self) -> Mapping[str, float]:
        """The shares scaled to sum to exactly 100 (33.3 x 3 becomes 33.33 x 3), read-only."""
        return self._normalized

    def describe(self) -> str:
        """`50% red, 30% black, 20% pearl`: canonical names, shares as asked, integers where integral."""
        return ", ".join(f"{format_percent(percent)}% {name}" for name, percent in self._percent.items())


def _share_problem(name: object, percent: object, seen: Mapping[str, float]) -> MixProblem | None:
    if name not in _KNOWN:
        return _not_canonical(name, seen)
    if name in seen:
        return messages.duplicate_color(str(name))
    if isinstance(percent, bool) or not isinstance(percent, numbers.Real) or not math.isfinite(percent):
        return messages.share_not_a_number(str(name), percent)
    if percent < MIN_SHARE_PERCENT:
        return messages.share_too_small(str(name), float(percent), MIN_SHARE_PERCENT)
    if percent > 100:
        return messages.share_too_large(str(name), float(percent))
    return None


def _not_canonical(name: object, seen: Mapping[str, float]) -> MixProblem:
    """Why `name` cannot key a ColorMix, and the name to use (spellings are read by parse_mix, not here)."""
    text = str(name)
    color = find_color(text)
    if color is not None and color.name in seen:
        return messages.duplicate_color(color.name, text)
    if color is not None:
        return messages.not_canonical(text, color.name)
    choices = ambiguous_choices(text)
    if choices:
        return messages.ambiguous_color(text, choices)
    return messages.unknown_color(text, closest_color_names(text))
