"""Synthetic tiles whose pixels are drawn from the palette's own appearance models, with known shares.

The analyzer's tests and benchmarks measure these: every pixel's colour distribution is exactly
what the palette measured, so the true share of each colour is known to the pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from rubber_tile.colors.colorspace import lab_to_srgb_uint8
from rubber_tile.colors.palette import PaletteColor, load_palette


@dataclass(frozen=True)
class SyntheticTile:
    rgb: np.ndarray  # HxWx3 uint8
    granule_color: np.ndarray  # HxW index into colors; -1 for gaps, -2 for background
    colors: tuple[str, ...]

    def true_shares(self) -> dict[str, float]:
        counts = np.bincount(self.granule_color[self.granule_color >= 0], minlength=len(self.colors))
        return {name: 100.0 * c / counts.sum() for name, c in zip(self.colors, counts, strict=True)}


def sample_appearance(color: PaletteColor, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 3) CIELAB colours drawn from the colour's appearance mixture, kept out of the gap range."""
    weights = np.array([g.weight for g in color.appearance])
    component = rng.choice(len(weights), size=count, p=weights / weights.sum())
    lab = np.empty((count, 3))
    for index, gaussian in enumerate(color.appearance):
        chosen = component == index
        lab[chosen] = rng.multivariate_normal(gaussian.mean, gaussian.covariance, size=int(chosen.sum()))
    lab[:, 0] = np.clip(lab[:, 0], 12.0, 100.0)
    return lab


def make_tile(
    mix: dict[str, float],
    *,
    face_side: int = 320,
    border: int = 0,
    granule_px: float = 9.0,
    gap_px: float = 1.0,
    noise_sd: float = 3.0,
    bevel_px: int = 0,
    seed: int = 0,
) -> SyntheticTile:
    """A speckled tile: Voronoi granules of palette colours in the given proportions, dark gaps along
    cell borders, pixel noise, optionally a shaded bevel and a white border."""
    rng = np.random.default_rng(seed)
    palette = load_palette()
    colors = tuple(mix)
    cells = int(face_side**2 / granule_px**2)
    centres = rng.uniform(0, face_side, size=(cells, 2))
    weights = np.array([mix[c] for c in colors], dtype=float)
    cell_color = rng.choice(len(colors), size=cells, p=weights / weights.sum())
    yy, xx = np.mgrid[0:face_side, 0:face_side]
    distances, nearest = cKDTree(centres).query(np.stack([yy.ravel(), xx.ravel()], axis=1), k=2)
    # Distance to the border between the two nearest cells: gaps are lines gap_px wide.
    centre_distance = np.linalg.norm(centres[nearest[:, 0]] - centres[nearest[:, 1]], axis=1)
    to_border = (distances[:, 1] ** 2 - distances[:, 0] ** 2) / (2.0 * centre_distance)
    is_gap = (to_border < gap_px / 2.0).reshape(face_side, face_side)
    nearest_cell = nearest[:, 0].reshape(face_side, face_side)

    pixel_color = cell_color[nearest_cell]
    # Facets of one granule catch the light differently: each pixel is drawn from its colour's
    # appearance model, so the image holds exactly the colour distributions the palette measured.
    lab = np.empty((face_side, face_side, 3))
    for index, name in enumerate(colors):
        chosen = pixel_color == index
        lab[chosen] = sample_appearance(palette[name], int(chosen.sum()), rng)
    lab[is_gap] = (4.0, 0.0, 0.0)
    face_rgb = lab_to_srgb_uint8(lab).astype(float)
    if bevel_px:
        edge = np.minimum.reduce([yy, xx, face_side - 1 - yy, face_side - 1 - xx])
        face_rgb *= np.clip(0.55 + 0.45 * edge / bevel_px, 0.55, 1.0)[..., None]
    face_rgb += rng.normal(0, noise_sd, size=face_rgb.shape)
    face_rgb = np.clip(np.rint(face_rgb), 0, 255).astype(np.uint8)

    granule_color = np.where(is_gap, -1, pixel_color)
    if bevel_px:
        # The bevel is not part of the face: the truth counts the flat top only.
        granule_color[edge < bevel_px] = -2
    side = face_side + 2 * border
    rgb = np.full((side, side, 3), 255, dtype=np.uint8)
    rgb[border : border + face_side, border : border + face_side] = face_rgb
    labels = np.full((side, side), -2, dtype=int)
    labels[border : border + face_side, border : border + face_side] = granule_color
    return SyntheticTile(rgb=rgb, granule_color=labels, colors=colors)
