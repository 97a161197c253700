"""A product photo's tile edge: the moulded outline, slightly wobbly, with granules sticking out past
it, and the bevel, lit on the upper-left sides and turned from the lamp on the lower-right ones."""

from __future__ import annotations

import numpy as np

from .settings import RenderSettings

# The mould cuts this far outside the face square (mm), give or take a wobble, sampled at this
# many points along each edge.
EDGE_OVERHANG_MM = 0.4
EDGE_WOBBLE_MM = 0.5
EDGE_SAMPLES = 48
# Granules mostly on the face (this share of their pixels) may stick out past the cut by up to EDGE_FRINGE_MM.
EDGE_FRINGE_MM = 1.2
ON_FACE_SHARE = 0.6
# Granules this close to the edge lie on the bevel (mm); light factor there at the left, top, right, bottom edge.
BEVEL_MM = 2.5
BEVEL_LIGHT = (0.04, 0.04, -0.09, -0.09)


def edge_profile(rng: np.random.Generator) -> np.ndarray:
    """(4, EDGE_SAMPLES) mm outside the face square where the mould cuts: left, top, right, bottom."""
    edge = rng.uniform(-EDGE_WOBBLE_MM, EDGE_WOBBLE_MM, size=(4, EDGE_SAMPLES))
    return EDGE_OVERHANG_MM + 0.5 * (edge + np.roll(edge, 1, axis=1))


def outside_cut_edge(edge_mm: np.ndarray, settings: RenderSettings) -> np.ndarray:
    """HxW bool: beyond the tile's moulded edge (the face square plus a slight wobble)."""
    size, scale = settings.size, settings.px_per_mm
    near = settings.face_origin_px
    far = near + settings.face_px
    along = (np.arange(size) - near) / max(1, settings.face_px) * (edge_mm.shape[1] - 1)
    samples = np.arange(edge_mm.shape[1])
    left, top, right, bottom = (np.interp(along, samples, profile) * scale for profile in edge_mm)
    columns = np.arange(size)[None, :]
    rows = np.arange(size)[:, None]
    return (
        (columns < near - left[:, None])
        | (columns >= far + right[:, None])
        | (rows < near - top[None, :])
        | (rows >= far + bottom[None, :])
    )


def off_the_tile(labels: np.ndarray, count: int, settings: RenderSettings, rng: np.random.Generator) -> np.ndarray:
    """HxW bool: background. The cut edge, but a granule mostly on the face keeps its pixels up to the fringe."""
    edge = edge_profile(rng)
    cut = outside_cut_edge(edge, settings)
    flat = labels.ravel()
    on_face = np.bincount(flat, weights=(~cut).ravel(), minlength=count)
    whole = np.bincount(flat, minlength=count)
    mostly_on = on_face > ON_FACE_SHARE * np.maximum(whole, 1)
    return cut & ~(mostly_on[labels] & ~outside_cut_edge(edge + EDGE_FRINGE_MM, settings))


def bevel_light(settings: RenderSettings) -> np.ndarray:
    """HxW float32 light factor change on the bevelled edge (BEVEL_LIGHT at the very edge, none BEVEL_MM in)."""
    size, near = settings.size, settings.face_origin_px
    positions = (np.arange(size, dtype=np.float32) - near) / np.float32(settings.px_per_mm)
    to_start = np.clip(1.0 - positions / BEVEL_MM, 0.0, 1.0)
    to_end = np.clip(1.0 - (settings.tile_mm - positions) / BEVEL_MM, 0.0, 1.0)
    left, top, right, bottom = BEVEL_LIGHT
    across = (left * to_start + right * to_end).astype(np.float32)
    down = (top * to_start + bottom * to_end).astype(np.float32)
    return down[:, None] + across[None, :]
