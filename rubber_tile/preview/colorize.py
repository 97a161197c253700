"""Stage 2 of the preview: one layout coloured for one mix.

A layout (render.py's `TileGeometry`) never depends on the mix: which granule each pixel shows,
each pixel's shade level, and per granule its visible area, its place in the layout's colour
`order` and its `variant`. Everything that depends on the mix is here, free of random draws and
small enough to be mirrored line for line in the browser, which redraws a slider move without the
server (rubber_tile/web/static/):

1. Colours by visible area (`assign_colors`). Granules are taken in the layout's `order` (a random
   permutation), so colours are spread as randomly as random packing spreads them. Colour k (in
   the mix's order) should end at B(k) = floor(total * (f0 + ... + fk) + 1/2) of the running total
   of granule areas, f the shares as fractions of 1. It takes the granules that fit wholly before
   B(k); the area still missing is filled by the one granule among the next FILL_WINDOW whose area
   comes closest to it (the first such, swapped to the front), if that is closer than leaving the
   gap. So each colour's area is its share to about a pixel. All integer arithmetic but for B.
2. One table row per colour and granule variant (`color_table`): SHADE_LEVELS sRGB values, fixed
   for the colour (its variants' offsets come from a stream of their own, not from the render).
3. The binder row (`binder_row`): the mix's average colour in deep shadow, no lighter than the
   gap (coloring.binder_linear), half as lit at the darkest shade level; the background row white.
4. One lookup per pixel, `row * SHADE_LEVELS + level`; on a granule's edge a second one for the
   granule across it (its partner, same level), the two blended by the pixel's alpha
   (`blend`: own + (partner - own) * BLEND_WEIGHTS[alpha], in float32), then the camera
   (camera.expose: softening, sensor noise and light).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..colors.colorspace import lab_to_srgb, linear_to_srgb, srgb_to_linear
from ..colors.palette import Palette
from ..mix import ColorMix
from .coloring import BACKGROUND_SRGB, GRANULE_VARIANTS, SHADE_LEVELS, binder_linear
from .granule_levels import variant_rows
from .granule_library import ALPHA_FULL

# How many granules past a colour's end are tried for the one that best fills its last gap.
FILL_WINDOW = 256
# The random stream each colour's variant offsets come from: [VARIANT_STREAM, the colour's palette index].
VARIANT_STREAM = 7
# The partner's share of a pixel for each alpha (0: all the partner's, ALPHA_FULL: none of it).
BLEND_WEIGHTS = ((ALPHA_FULL - np.arange(ALPHA_FULL + 1)) / ALPHA_FULL).astype(np.float32)
BLEND_WEIGHTS.setflags(write=False)


def mix_fractions(mix: ColorMix) -> np.ndarray:
    """The shares as fractions of 1, in the mix's order (added left to right, as the browser adds them)."""
    shares = mix.normalized
    total = 0.0
    for name in mix.colors:
        total += shares[name]
    return np.array([shares[name] / total for name in mix.colors], dtype=np.float64)


def assign_colors(areas: np.ndarray, order: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """A colour index per granule: each colour's summed area is its share of the total to about a
    pixel (the rule in the module docstring)."""
    areas = np.asarray(areas, dtype=np.int64)
    order = np.array(order, dtype=np.int64)
    ordered = areas[order]
    total = int(ordered.sum())
    bounds = np.floor(total * np.cumsum(fractions)[:-1] + 0.5).astype(np.int64)
    colors = np.empty(len(areas), dtype=np.int64)
    start, filled = 0, 0
    for color, bound in enumerate(bounds):
        running = filled + np.cumsum(ordered[start:])
        end = start + int(np.searchsorted(running, bound, side="right"))
        rest = int(bound - (running[end - start - 1] if end > start else filled))
        window = ordered[end : end + FILL_WINDOW]
        if rest > 0 and window.size:
            best = end + int(np.argmin(np.abs(window - rest)))
            if abs(int(ordered[best]) - rest) < rest:
                order[[end, best]] = order[[best, end]]
                ordered[[end, best]] = ordered[[best, end]]
                end += 1
        colors[order[start:end]] = color
        filled += int(ordered[start:end].sum())
        start = end
    colors[order[start:]] = len(fractions) - 1
    return colors


@lru_cache(maxsize=64)
def color_table(palette: Palette, name: str) -> np.ndarray:
    """(GRANULE_VARIANTS, SHADE_LEVELS, 3) float32 sRGB 0-255 of one colour: the same for every render."""
    rng = np.random.default_rng([VARIANT_STREAM, palette.names.index(name)])
    lab = variant_rows(palette[name], palette.gap_lightness, rng)
    table = lab_to_srgb(lab).astype(np.float32)
    table.setflags(write=False)
    return table


def binder_row(mix: ColorMix, palette: Palette) -> np.ndarray:
    """(SHADE_LEVELS, 3) float32 sRGB 0-255 of the binder between granules, darker at lower levels."""
    fractions = mix_fractions(mix)
    binder = binder_linear(fractions @ srgb_to_linear(palette.srgb_array(list(mix.colors))), palette.gap_lightness)
    levels = np.linspace(0.5, 1.0, SHADE_LEVELS)[:, None] * binder[None, :]
    return linear_to_srgb(np.clip(levels, 0.0, 1.0)).astype(np.float32)


def mix_table(mix: ColorMix, palette: Palette) -> np.ndarray:
    """(3, rows * SHADE_LEVELS) float32: the mix's colours' rows (colour-major, then variant), binder, background."""
    rows = [color_table(palette, name).reshape(-1, 3) for name in mix.colors]
    background = np.full((SHADE_LEVELS, 3), BACKGROUND_SRGB, dtype=np.float32)
    table = np.concatenate([*rows, binder_row(mix, palette), background])
    return np.ascontiguousarray(table.T)


def table_index(
    labels: np.ndarray,
    background: np.ndarray,
    levels: np.ndarray,
    variants: np.ndarray,
    color_of_granule: np.ndarray,
    color_count: int,
) -> np.ndarray:
    """HxW int32 column of `mix_table` for each pixel: row * SHADE_LEVELS + level, the row being
    colour * GRANULE_VARIANTS + variant on a granule, the binder row on a gap (label -1) and the
    background row off the tile."""
    binder = color_count * GRANULE_VARIANTS
    first = np.append(color_of_granule * GRANULE_VARIANTS + variants, binder).astype(np.int32) * SHADE_LEVELS
    index = first[labels]
    index[background] = (binder + 1) * SHADE_LEVELS
    index += levels
    return index


def lookup(table: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three HxW float32 sRGB channels, one table column per pixel."""
    return np.take(table[0], index), np.take(table[1], index), np.take(table[2], index)


def blend(
    own: tuple[np.ndarray, np.ndarray, np.ndarray], partner: tuple[np.ndarray, np.ndarray, np.ndarray], alpha: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pixel's own colour moved BLEND_WEIGHTS[alpha] of the way to its partner's (float32, as the browser does)."""
    weight = np.take(BLEND_WEIGHTS, alpha)
    blended = []
    for mine, theirs in zip(own, partner, strict=True):
        theirs -= mine
        theirs *= weight
        theirs += mine
        blended.append(theirs)
    return blended[0], blended[1], blended[2]
