"""Synthetic granule images with exactly known colours, for the colour lock's tests and benchmarks."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from rubber_tile.colors.colorspace import lab_to_srgb_uint8
from rubber_tile.colors.palette import load_palette


def granule_image(fractions: dict[str, float], side: int = 256, spacing: float = 10.0, seed: int = 0):
    """Voronoi granules of palette colours in the given shares of granules, shaded, with dark gaps.

    Returns the sRGB image and the HxW granule number of every pixel (0 on gaps).
    """
    rng = np.random.default_rng(seed)
    palette = load_palette()
    steps = np.arange(spacing / 2, side, spacing)
    centres = np.array([(r, c) for r in steps for c in steps]) + rng.uniform(-0.35, 0.35, (len(steps) ** 2, 2)) * spacing
    seeds = np.zeros((side, side), dtype=np.int32)
    rows = np.clip(np.round(centres[:, 0]).astype(int), 0, side - 1)
    cols = np.clip(np.round(centres[:, 1]).astype(int), 0, side - 1)
    seeds[rows, cols] = np.arange(1, len(centres) + 1)
    nearest = ndimage.distance_transform_edt(seeds == 0, return_distances=False, return_indices=True)
    cells = seeds[nearest[0], nearest[1]]
    names = list(fractions)
    counts = np.round(np.array([fractions[name] for name in names]) * len(centres)).astype(int)
    counts[-1] = len(centres) - counts[:-1].sum()
    color_of_cell = np.concatenate([[0], rng.permutation(np.repeat(np.arange(len(names)), counts))])
    lab = palette.lab_array(names)[color_of_cell[cells]]
    # Lit from the top left, darker towards each granule's rim (the same at any spacing), a little noise.
    yy, xx = np.indices((side, side))
    dy, dx = (yy - centres[cells - 1, 0]) * 10.0 / spacing, (xx - centres[cells - 1, 1]) * 10.0 / spacing
    tilt = rng.uniform(0.6, 1.4, len(centres) + 1)[cells]
    shade = np.clip(1.0 - 0.025 * tilt * (dy + dx) - 0.004 * (dy * dy + dx * dx), 0.5, 1.15)
    shade = shade + rng.normal(0.0, 0.015, (side, side))
    lab[..., 0] = (lab[..., 0] + 16.0) * shade - 16.0
    lab[..., 1:] *= np.clip(shade, 0.0, 1.0)[..., None]
    gap = np.zeros((side, side), dtype=bool)
    gap[1:] |= cells[1:] != cells[:-1]
    gap[:, 1:] |= cells[:, 1:] != cells[:, :-1]
    lab[gap] = (4.0, 0.0, 0.0)
    return lab_to_srgb_uint8(lab), np.where(gap, 0, cells)
