"""How much light each pixel of the granule surface gets: matte rubber lit from the upper left.

From the height field (geometry.py): a slightly rounded copy of it gives the surface normal,
lit diffusely (Lambert, no mirror highlights) from the upper left at LIGHT_ELEVATION_DEG; narrow
valleys between granules darken (cavity), the foot of a higher neighbour's edge darkens (contact
shadow, fading over a few pixels: the deep gaps where granules meet), and so do points that lie
low against their surroundings (ambient occlusion) or behind a higher granule towards the light
(soft cast shadow), both worked out on a coarser grid and smoothed back up. Slopes are one-sided
at granule edges (surface_gradient), so no line of false slope outlines a granule. A faint, smooth
roughness gives the fracture faces their matte grain, each granule is a little lighter or darker than the next,
and the picture darkens slightly towards its corners, as a lens and a lamp make it.

The result is a shade per pixel whose order alone matters: coloring.py maps each colour's
shades onto the lightness distribution of that colour's real photo.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image
from scipy import ndimage

from .geometry import NO_GRANULE, GranuleSurface
from .settings import RenderSettings

LIGHT_ELEVATION_DEG = 42.0
# Shares of the light from all around (ambient, shut out by occlusion) and from a broad source
# straight above (a softbox: faces lose light with their slope, whichever way they turn); the
# rest comes from a lamp at the upper left. The owner's photos show gradients in every
# direction about equally: the lamp is the smaller part.
AMBIENT_SHARE = 0.3
OVERHEAD_SHARE = 0.5
# Roughness of the fracture faces: height noise (in cell widths) and its grain (cells). A grain of
# a pixel or less reads as stippled speckle; 0.3 cell (2 px in a 640 px photo) as a matte surface.
ROUGHNESS = 0.04
ROUGHNESS_GRAIN = 0.3
# Rounding of the granule edges before the normal is taken: passes of a 1-2-1 blur.
ROUNDING_PASSES = 0
# Narrow valleys: depth below the locally blurred surface (in cells) that makes a pixel black.
CAVITY_DEPTH = 0.25
# Contact shadow at the foot of a higher neighbour: reach (px), the depth below it (cells) that
# takes CONTACT_DARKENING of the light.
CONTACT_REACH_PX = 2
CONTACT_DEPTH = 0.5
CONTACT_DARKENING = 0.8
# Ambient occlusion: height below the surroundings (cells) that shuts out all of the sky; the
# surroundings' size (cells).
OCCLUSION_DEPTH = 0.9
OCCLUSION_REACH = 0.6
# Cast shadow: how far towards the light a higher granule is looked for (cells), and its softness.
SHADOW_REACH = 0.6
SHADOW_SOFTNESS = 0.25
# Each granule lies at its own angle to the light: shade offset between granules (sigma, in
# units of the lamp's full light).
GRANULE_SHADE_SIGMA = 0.12
# Exposure falloff towards the image corners (share of the shade lost at a corner).
CORNER_FALLOFF = 0.08
# Product photo: granules this close to the tile's edge lie on the bevel (mm), and the shade
# change there at the left, top, right and bottom edge.
BEVEL_MM = 2.5
BEVEL_SHADE = (0.06, 0.06, -0.15, -0.15)


def blur_3(field: np.ndarray, side_weight: float) -> np.ndarray:
    """Separable 3-tap blur (side_weight, 1 - 2 side_weight, side_weight), edges repeated; float32."""
    side, middle = np.float32(side_weight), np.float32(1.0 - 2.0 * side_weight)
    padded = np.pad(field, 1, mode="edge")
    rows = padded[:-2] + padded[2:]
    rows *= side
    rows += padded[1:-1] * middle
    out = rows[:, :-2] + rows[:, 2:]
    out *= side
    out += rows[:, 1:-1] * middle
    return out


def blur_121(field: np.ndarray, passes: int = 1) -> np.ndarray:
    """Separable 1-2-1 blur (sigma 0.7 px per pass), edges repeated; float32 in and out."""
    for _ in range(passes):
        field = blur_3(field, 0.25)
    return field


def coarse(field: np.ndarray, factor: int) -> np.ndarray:
    """Block means over factor x factor pixels (the last blocks repeat the edge)."""
    height, width = field.shape
    padded_h, padded_w = -(-height // factor) * factor, -(-width // factor) * factor
    if (padded_h, padded_w) != field.shape:
        field = np.pad(field, ((0, padded_h - height), (0, padded_w - width)), mode="edge")
    return field.reshape(padded_h // factor, factor, padded_w // factor, factor).mean(axis=(1, 3), dtype=np.float32)


def fine(field: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """A coarse field smoothly enlarged (bilinear) by factor and cut to shape."""
    big = Image.fromarray(np.ascontiguousarray(field, dtype=np.float32), mode="F")
    big = big.resize((field.shape[1] * factor, field.shape[0] * factor), Image.Resampling.BILINEAR)
    return np.asarray(big)[: shape[0], : shape[1]]


def roughness(shape: tuple[int, int], cell_px: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth random height noise (pixels) with a grain of ROUGHNESS_GRAIN cells."""
    factor = max(1, int(round(ROUGHNESS_GRAIN * cell_px)))
    small = rng.standard_normal((-(-shape[0] // factor) + 1, -(-shape[1] // factor) + 1), dtype=np.float32)
    return fine(small, factor, shape) * np.float32(ROUGHNESS * cell_px)


def surface_gradient(height_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d/dx, d/dy) of the height (pixels per pixel), one-sided where the two sides disagree: of the
    forward and backward difference the one of smaller size, zero where they differ in sign
    (minmod), so a step between two granules leaves each granule's own facet slope on its edge
    pixels instead of a line of steep false slope. Zero on the image's border."""
    zero = np.float32(0.0)
    gradients = []
    for step in (np.diff(height_px, axis=1), np.diff(height_px, axis=0)):
        backward, forward = (step[:, :-1], step[:, 1:]) if step.shape[1] < height_px.shape[1] else (step[:-1], step[1:])
        low = np.minimum(backward, forward)
        np.maximum(low, zero, out=low)
        high = np.maximum(backward, forward)
        np.minimum(high, zero, out=high)
        low += high
        gradients.append(np.pad(low, ((0, 0), (1, 1)) if step.shape[1] < height_px.shape[1] else ((1, 1), (0, 0))))
    return gradients[0], gradients[1]


def lambert(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Direct light on a matte surface of this slope (pixels per pixel), lamp at the upper left: 0-1."""
    elevation = math.radians(LIGHT_ELEVATION_DEG)
    towards = np.float32(math.cos(elevation) / math.sqrt(2.0))  # light from -x and -y
    facing = (gx + gy) * towards + np.float32(math.sin(elevation))
    facing /= np.sqrt(gx * gx + gy * gy + np.float32(1.0))
    return np.maximum(facing, np.float32(0.0))


def overhead(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Light from a broad source straight above (a softbox): the cosine of each face's slope, 0-1."""
    return np.float32(1.0) / np.sqrt(gx * gx + gy * gy + np.float32(1.0))


def occlusion_and_shadow(height_px: np.ndarray, cell_px: int) -> tuple[np.ndarray, np.ndarray]:
    """(sky shut out, lamp shut out), each 0-1, worked out on a grid of about 4 points a cell."""
    factor = max(1, cell_px // 4)
    low = coarse(height_px, factor)
    step_px = float(factor)
    around = ndimage.gaussian_filter(low, OCCLUSION_REACH * cell_px / step_px, mode="nearest")
    occluded = np.clip((around - low) / np.float32(OCCLUSION_DEPTH * cell_px), 0.0, 1.0)
    rise = math.tan(math.radians(LIGHT_ELEVATION_DEG)) * math.sqrt(2.0) * step_px  # the ray's climb per step
    shadow = np.zeros_like(low)
    steps = max(1, int(round(SHADOW_REACH * cell_px / step_px)))
    for step in range(1, steps + 1):
        blocker = np.empty_like(low)
        blocker[step:, step:] = low[:-step, :-step]
        blocker[:step] = low[:step]
        blocker[:, :step] = low[:, :step]
        np.maximum(shadow, blocker - low - np.float32(rise * step), out=shadow)
    shadow = np.clip(shadow / np.float32(SHADOW_SOFTNESS * cell_px), 0.0, 1.0)
    shape = height_px.shape
    return fine(occluded, factor, shape), fine(ndimage.uniform_filter(shadow, 2, mode="nearest"), factor, shape)


def corner_falloff(settings: RenderSettings) -> np.ndarray:
    """HxW exposure factor: 1 in the centre, 1 - CORNER_FALLOFF in the corners."""
    size = settings.size
    offsets = (np.arange(size, dtype=np.float32) - (size - 1) / 2.0) / np.float32(size / 2.0)
    squared = offsets * offsets * np.float32(0.5)
    return np.float32(1.0) - np.float32(CORNER_FALLOFF) * (squared[:, None] + squared[None, :])


def max_3(field: np.ndarray) -> np.ndarray:
    """Separable 3x3 maximum, edges repeated."""
    padded = np.pad(field, 1, mode="edge")
    rows = np.maximum(np.maximum(padded[:-2], padded[2:]), padded[1:-1])
    return np.maximum(np.maximum(rows[:, :-2], rows[:, 2:]), rows[:, 1:-1])


def contact_shadow(height_px: np.ndarray, cell_px: int) -> np.ndarray:
    """HxW float32 0-1: how far a pixel lies below the highest point near it, relative to
    CONTACT_DEPTH cells, counting a point k px away 1/k as much (the shadow fades away from the
    edge, a valley rather than a flat-bottomed groove): the foot of a higher neighbour's edge,
    where two granules meet, goes dark; the higher granule's own edge does not."""
    around = height_px
    below = np.zeros_like(height_px)
    for reach in range(1, CONTACT_REACH_PX + 1):
        around = max_3(around)
        np.maximum(below, (around - height_px) * np.float32(1.0 / reach), out=below)
    return np.float32(1.0) - np.exp(below * np.float32(-1.0 / (CONTACT_DEPTH * cell_px)))


def shade(surface: GranuleSurface, settings: RenderSettings, rng: np.random.Generator) -> np.ndarray:
    """HxW float32: how lit each pixel is (larger is lighter; only the order is used)."""
    cell = surface.cell_px
    height = surface.height_px + roughness(surface.height_px.shape, cell, rng)
    rounded = blur_121(height, ROUNDING_PASSES)
    cavity = np.clip((blur_121(rounded) - rounded) / np.float32(CAVITY_DEPTH * cell), 0.0, 1.0)
    occluded, shadowed = occlusion_and_shadow(rounded, cell)
    light = np.float32(AMBIENT_SHARE) * (np.float32(1.0) - occluded)
    gx, gy = surface_gradient(rounded)
    light += np.float32(OVERHEAD_SHARE) * overhead(gx, gy)
    light += np.float32(1.0 - AMBIENT_SHARE - OVERHEAD_SHARE) * lambert(gx, gy) * (np.float32(1.0) - shadowed)
    light *= np.float32(1.0) - cavity
    light *= np.float32(1.0) - np.float32(CONTACT_DARKENING) * contact_shadow(rounded, cell)
    offsets = rng.normal(0.0, GRANULE_SHADE_SIGMA, surface.labels.max() + 2).astype(np.float32)
    offsets[-1] = 0.0  # index -1: binder and background
    light += offsets[surface.labels]
    light *= corner_falloff(settings)
    return light


def away_from_light(surface: GranuleSurface) -> np.ndarray:
    """HxW bool: granule faces turned from the lamp (less direct light than a level face)."""
    flat = math.sin(math.radians(LIGHT_ELEVATION_DEG))
    return (lambert(*surface_gradient(surface.height_px)) < flat) & (surface.labels != NO_GRANULE)


def bevel_shade(settings: RenderSettings) -> np.ndarray:
    """HxW float32 shade change on a product photo's bevelled edge: the upper-left sides face the
    lamp, the lower-right sides turn from it (BEVEL_SHADE at the very edge, none BEVEL_MM in)."""
    size, near = settings.size, settings.face_origin_px
    positions = (np.arange(size, dtype=np.float32) - near) / np.float32(settings.px_per_mm)
    to_start = np.clip(1.0 - positions / BEVEL_MM, 0.0, 1.0)
    to_end = np.clip(1.0 - (settings.tile_mm - positions) / BEVEL_MM, 0.0, 1.0)
    left, top, right, bottom = BEVEL_SHADE
    across = (left * to_start + right * to_end).astype(np.float32)
    down = (top * to_start + bottom * to_end).astype(np.float32)
    return down[:, None] + across[None, :]
