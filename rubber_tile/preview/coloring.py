"""What colour each granule pixel takes: its colour's real photo, matched shade for shade.

Each colour's appearance model (rubber_tile/data/palette.json: a Gaussian mixture in CIELAB of all
granule pixels of its real photo, lit and shaded) gives a lightness distribution; a pixel's shade
level (granule_levels.py) is its shadow depth or its place in that distribution, and level k of a
colour takes the matching lightness, with the chroma the photo has at that lightness. So every
colour spreads over light and shade as its photo does, whatever the mix. Granules of one colour
differ a little in chroma (GRANULE_VARIANTS variants, a share of the colour's measured spread).
One table lookup per pixel then gives its sRGB.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..colors.palette import PaletteColor

SHADE_LEVELS = 64
GRANULE_VARIANTS = 8
# Share of a colour's measured a/b spread (lit pixels of its photo) that goes into differences
# between its granules: the photos' granules differ by 0.35-0.6 of it in their mean a/b, much of that
# with their lightness, which the levels already give (0.6 made dark blue granules purple and cyan).
GRANULE_SPREAD_SHARE = 0.25
# Binder: the mix in deep shadow (linear-light factor) ...
BINDER_FACTOR = 0.08
# ... but no lighter than this share of the palette's gap lightness, so it reads as gap, not colour.
BINDER_GAP_SHARE = 0.6
LUMINANCE_WEIGHTS = np.array([0.2126729, 0.7151522, 0.0721750])  # linear sRGB -> Y
# Product photo background: plain white (the drop shadow is the camera's, camera.py).
BACKGROUND_SRGB = 255.0


def binder_linear(mix_linear: np.ndarray, gap_lightness: float) -> np.ndarray:
    """Binder colour: the mix in deep shadow, kept darker than the palette's gap lightness."""
    binder = BINDER_FACTOR * mix_linear
    luminance = float(binder @ LUMINANCE_WEIGHTS)
    # CIELAB L below 8 is Y = L / 903.3 (the linear part of the L* curve).
    darkest_allowed = BINDER_GAP_SHARE * gap_lightness / 903.3
    if luminance > darkest_allowed:
        binder *= darkest_allowed / luminance
    return binder


def appearance_lab_at_quantiles(color: PaletteColor, probabilities: np.ndarray, gap_lightness: float) -> np.ndarray:
    """(n, 3) CIELAB a colour shows at these lightness quantiles of its real photo.

    L: the quantile of the lightness distribution of the colour's appearance model (all granule
    pixels of its photo, lit and shaded, not darker than gap_lightness, as the model was fitted);
    a, b: their expected value at that lightness, so shade keeps the chroma it has in the photo.
    """
    weights = np.array([g.weight for g in color.appearance])
    means = np.array([g.mean for g in color.appearance])
    covariances = np.array([g.covariance for g in color.appearance])
    sigmas = np.sqrt(covariances[:, 0, 0])
    grid = np.linspace(gap_lightness, 100.0, 2001)
    cdf = (weights[:, None] * special.ndtr((grid[None, :] - means[:, 0:1]) / sigmas[:, None])).sum(axis=0)
    lightness = np.interp(probabilities, (cdf - cdf[0]) / (cdf[-1] - cdf[0]), grid)
    z = (lightness[:, None] - means[None, :, 0]) / sigmas[None, :]
    density = weights[None, :] * np.exp(-0.5 * z**2) / sigmas[None, :]
    responsibility = density / np.maximum(density.sum(axis=1, keepdims=True), 1e-300)
    slope = covariances[:, 1:, 0] / covariances[:, 0:1, 0]  # (k, 2): d(a, b) / dL per component
    conditional = means[None, :, 1:] + slope[None] * (lightness[:, None, None] - means[None, :, 0:1])
    chroma = (responsibility[..., None] * conditional).sum(axis=1)
    return np.column_stack([lightness, chroma])
