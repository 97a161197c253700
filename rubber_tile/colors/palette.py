"""The measured colour of each of the 29 tile colours, as it photographs.

The numbers live in rubber_tile/data/palette.json, written by scripts/eval/build_palette.py from
the owner's single-colour photos. Names, codes and aliases live in colors/vocabulary.py only; this
module joins the two and refuses a data file whose colours do not match that vocabulary.
Colour conventions are colorspace.py's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .vocabulary import TILE_COLORS, TileColor

PALETTE_PATH = Path(__file__).resolve().parents[1] / "data" / "palette.json"

@dataclass(frozen=True)
class LabGaussian:
    """One component of a colour's appearance model: a Gaussian in CIELAB."""

    weight: float
    mean: tuple[float, float, float]
    covariance: tuple[tuple[float, float, float], ...]  # 3x3, symmetric


@dataclass(frozen=True)
class PaletteColor:
    """A tile colour as it photographs under top light.

    srgb / lab: the typical lit granule colour (per-channel median of the granule pixels).
    lab_spread: standard deviation of L, a, b over lit granule pixels: how much granules of
    this colour vary in lightness and hue from facet to facet and granule to granule.
    appearance: a small Gaussian mixture in CIELAB of all granule pixels (lit, shaded, highlights),
    the likelihood model the analyzer uses.
    """

    color: TileColor
    srgb: tuple[int, int, int]
    lab: tuple[float, float, float]
    lab_spread: tuple[float, float, float]
    appearance: tuple[LabGaussian, ...]

    @property
    def name(self) -> str:
        return self.color.name

    @property
    def code(self) -> str:
        return self.color.code


@dataclass(frozen=True)
class Palette:
    colors: tuple[PaletteColor, ...]
    gap_lightness: float  # pixels darker than this (CIELAB L) are gaps between granules, no colour
    source: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(color.name for color in self.colors)

    def __getitem__(self, name: str) -> PaletteColor:
        for color in self.colors:
            if color.name == name:
                return color
        raise KeyError(f"{name!r} is not a palette colour; known: {', '.join(self.names)}")

    def lab_array(self, names: tuple[str, ...] | list[str] | None = None) -> np.ndarray:
        """Typical CIELAB colours as an (n, 3) array, in palette order or in the order given."""
        chosen = self.names if names is None else names
        return np.array([self[name].lab for name in chosen], dtype=np.float64)

    def srgb_array(self, names: tuple[str, ...] | list[str] | None = None) -> np.ndarray:
        """Typical sRGB colours as an (n, 3) uint8 array, in palette order or in the order given."""
        chosen = self.names if names is None else names
        return np.array([self[name].srgb for name in chosen], dtype=np.uint8)


class PaletteError(ValueError):
    """The palette data file is missing or does not match the colour vocabulary."""


def _triple(values: object, what: str) -> tuple[float, float, float]:
    if not isinstance(values, list) or len(values) != 3:
        raise PaletteError(f"{what} must be a list of 3 numbers, got {values!r}")
    return (float(values[0]), float(values[1]), float(values[2]))


def _parse_gaussian(raw: dict, what: str) -> LabGaussian:
    covariance = raw["covariance"]
    if not isinstance(covariance, list) or len(covariance) != 3:
        raise PaletteError(f"{what}: covariance must be 3x3")
    return LabGaussian(
        weight=float(raw["weight"]),
        mean=_triple(raw["mean"], f"{what} mean"),
        covariance=tuple(_triple(row, f"{what} covariance row") for row in covariance),
    )


def parse_palette(document: dict) -> Palette:
    """A Palette from the parsed JSON document; PaletteError on anything inconsistent."""
    raw_colors = {entry["name"]: entry for entry in document["colors"]}
    known = {color.name for color in TILE_COLORS}
    unknown = sorted(set(raw_colors) - known)
    missing = sorted(known - set(raw_colors))
    if unknown or missing:
        raise PaletteError(f"palette colours do not match the vocabulary (colors/vocabulary.py): unknown {unknown}, missing {missing}")
    colors = []
    for tile_color in TILE_COLORS:
        raw = raw_colors[tile_color.name]
        srgb = tuple(int(v) for v in raw["srgb"])
        if len(srgb) != 3 or not all(0 <= v <= 255 for v in srgb):
            raise PaletteError(f"{tile_color.name}: srgb must be 3 integers 0-255, got {raw['srgb']!r}")
        appearance = tuple(
            _parse_gaussian(g, f"{tile_color.name} appearance[{i}]") for i, g in enumerate(raw["appearance"])
        )
        if not appearance:
            raise PaletteError(f"{tile_color.name}: appearance model is empty")
        colors.append(
            PaletteColor(
                color=tile_color,
                srgb=(srgb[0], srgb[1], srgb[2]),
                lab=_triple(raw["lab"], f"{tile_color.name} lab"),
                lab_spread=_triple(raw["lab_spread"], f"{tile_color.name} lab_spread"),
                appearance=appearance,
            )
        )
    return Palette(
        colors=tuple(colors),
        gap_lightness=float(document["gap_lightness"]),
        source=str(document.get("source", "")),
    )


def load_palette_file(path: Path) -> Palette:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PaletteError(f"palette data not found at {path}; rebuild it with scripts/eval/build_palette.py") from None
    return parse_palette(json.loads(text))


@lru_cache(maxsize=1)
def load_palette() -> Palette:
    """The project's palette (rubber_tile/data/palette.json), loaded once."""
    return load_palette_file(PALETTE_PATH)
