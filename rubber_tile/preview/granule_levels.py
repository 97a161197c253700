"""Shade levels relative to a granule's own colour, and each colour's table row for them.

A pixel of a granule of colour c lies either in shadow (darker than c's lit range: below the
FLOOR_QUANTILE lightness quantile of c's appearance model) or in c's lit range. Shadow levels
0..SHADOW_LEVELS-1 keep how deep the shadow is (L / floor); lit levels SHADOW_LEVELS..LEVELS-1 keep
the pixel's rank in its colour's spread. A table row maps every level back to CIELAB for any
colour: shadow levels to that colour's floor colour scaled down, lit levels to its appearance
quantiles. So a granule cut from a photo of one colour can be drawn in another with its shading,
grain and deep gaps, and each colour keeps the spread of light its real photo shows.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy.ndimage import gaussian_filter1d

from ..colors.palette import PaletteColor
from .coloring import GRANULE_SPREAD_SHARE, GRANULE_VARIANTS, SHADE_LEVELS, appearance_lab_at_quantiles

LEVELS = SHADE_LEVELS
SHADOW_LEVELS = LEVELS // 4
FLOOR_QUANTILE = 0.02
# Colours whose floor is darker than this (black, dark grey, dark blue, brown, terracotta) keep no
# shadow levels: their own body is as dark as a gap, and drawn in a light colour it would read as holes.
MIN_SHADOW_FLOOR = 15.0
# The a/b of neighbouring lit levels are smoothed over this many levels: the appearance model's
# conditional chroma can jump between its components, which would speckle a granule.
CHROMA_SMOOTHING_LEVELS = 3.0 * LEVELS / 64
_GRID = np.linspace(0.0, 100.0, 2001)


def lightness_cdf(color: PaletteColor, gap_lightness: float) -> np.ndarray:
    """The colour's lightness distribution (appearance model, not darker than gap_lightness) on _GRID."""
    weights = np.array([g.weight for g in color.appearance])
    means = np.array([g.mean[0] for g in color.appearance])
    sigmas = np.sqrt(np.array([g.covariance[0][0] for g in color.appearance]))
    cdf = (weights[:, None] * special.ndtr((_GRID[None] - means[:, None]) / sigmas[:, None])).sum(axis=0)
    low = np.interp(gap_lightness, _GRID, cdf)
    return np.clip((cdf - low) / (cdf[-1] - low), 0.0, 1.0)


def floor_lightness(color: PaletteColor, gap_lightness: float) -> float:
    """CIELAB L below which a pixel of this colour counts as in shadow."""
    return float(np.interp(FLOOR_QUANTILE, lightness_cdf(color, gap_lightness), _GRID))


def pixel_levels(
    lightness: np.ndarray, color: PaletteColor, gap_lightness: float, reference: np.ndarray | None = None
) -> np.ndarray:
    """uint8 level of each pixel against one colour in one photo: shadow depth, or rank among the lit ones.

    Lit levels rank the pixels among the lit pixels of the colour in that photo (`reference`, the
    lightness of all its pixels; by default the pixels given), so no level saturates where a photo's
    batch is lighter or darker than the palette's photo. Equal lightness, equal level (mid-rank)."""
    floor = floor_lightness(color, gap_lightness)
    levels = (np.clip(lightness / floor, 0.0, 0.9999) * SHADOW_LEVELS).astype(np.uint8)
    threshold = floor if floor >= MIN_SHADOW_FLOOR else -1.0
    lit = lightness >= threshold
    reference = lightness if reference is None else reference
    ranked = np.sort(reference[reference >= threshold])
    if lit.any() and ranked.size:
        values = lightness[lit]
        rank = 0.5 * (np.searchsorted(ranked, values, "left") + np.searchsorted(ranked, values, "right"))
        share = np.clip(rank / ranked.size, 0.0, 0.9999)
        levels[lit] = SHADOW_LEVELS + (share * (LEVELS - SHADOW_LEVELS)).astype(np.uint8)
    return levels


def level_lab(color: PaletteColor, gap_lightness: float) -> np.ndarray:
    """(LEVELS, 3) CIELAB of each level for this colour."""
    floor = floor_lightness(color, gap_lightness)
    centres = np.arange(LEVELS) + 0.5
    lit_share = (centres[SHADOW_LEVELS:] - SHADOW_LEVELS) / (LEVELS - SHADOW_LEVELS)
    lit = appearance_lab_at_quantiles(color, FLOOR_QUANTILE + lit_share * (1.0 - FLOOR_QUANTILE), gap_lightness)
    lit[:, 1:] = gaussian_filter1d(lit[:, 1:], CHROMA_SMOOTHING_LEVELS, axis=0, mode="nearest")
    base = appearance_lab_at_quantiles(color, np.array([FLOOR_QUANTILE]), gap_lightness)[0]
    depth = centres[:SHADOW_LEVELS] / SHADOW_LEVELS
    shadow = np.column_stack([depth * floor, np.outer(depth, base[1:])])
    return np.concatenate([shadow, lit])


def variant_rows(color: PaletteColor, gap_lightness: float, rng: np.random.Generator) -> np.ndarray:
    """(GRANULE_VARIANTS, LEVELS, 3) CIELAB: the colour's rows, each variant's chroma offset by a share of
    the colour's measured spread between granules (less of it the deeper the shadow)."""
    lab = level_lab(color, gap_lightness)
    spread = GRANULE_SPREAD_SHARE * np.array([0.0, *color.lab_spread[1:]])
    offsets = rng.standard_normal((GRANULE_VARIANTS, 3)) * spread
    lit = np.minimum(1.0, lab[:, 0:1] / max(lab[SHADOW_LEVELS, 0], 1.0))
    rows = lab[None] + offsets[:, None, :] * lit[None]
    np.clip(rows[..., 0], 0.0, 100.0, out=rows[..., 0])
    return rows
