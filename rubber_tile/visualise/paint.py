"""The visualiser's second stage: a texture read per area pixel, lit and laid over the photo (the
browser's `textureAtlas`, `sampling` and `paint` in visualiser_surface.js, mirrored)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .geometry import hash01
from .light import ENCODE_STEPS, LINEAR_TO_SRGB, SRGB_TO_LINEAR
from .surface import Layout

FLATTEN_SHARE = 1 / 8  # of the texture's side: the reach of the slow light taken out
FLATTEN_LIMITS = (0.5, 2.0)
# A bilinear read of the level whose texel is as large as the pixel averages about twice the pixel's
# side of ground, washing the crumb's speckle out; half a level finer averages about the pixel's own.
LEVEL_BIAS = -0.5


@dataclass(frozen=True)
class Level:
    width: int
    height: int
    start: int


@dataclass(frozen=True)
class Atlas:
    """The texture's pyramid in linear light: its levels, and their texels in three flat channels."""

    levels: tuple[Level, ...]
    channels: np.ndarray  # 3 x texels, float32


def flatten_factors(luminance: np.ndarray) -> np.ndarray:
    """The texture's slow light (the preview's lamp, clumps of one colour) taken out: per texel the mean
    luminance over the mean around it (FLATTEN_SHARE of the side, mirrored at the edges like the texture)."""
    height, width = luminance.shape
    rx, ry = math.floor(width * FLATTEN_SHARE), math.floor(height * FLATTEN_SHARE)
    around = ndimage.uniform_filter1d(luminance, 2 * rx + 1, axis=1, mode="reflect")
    around = ndimage.uniform_filter1d(around, 2 * ry + 1, axis=0, mode="reflect")
    low, high = FLATTEN_LIMITS
    with np.errstate(divide="ignore"):
        return np.clip(np.where(around > 0, luminance.mean() / around, high), low, high)


def texture_atlas(texture: np.ndarray) -> Atlas:
    """Level 0 is the texture flattened (flatten_factors); each next level is the last one halved (2x2
    means, the last row or column repeated where odd) down to 1x1."""
    height, width = texture.shape[:2]
    raw = SRGB_TO_LINEAR[texture[..., :3]].astype(np.float64)
    luminance = raw[..., 0] * 0.2126 + raw[..., 1] * 0.7152 + raw[..., 2] * 0.0722
    level0 = (raw * flatten_factors(luminance)[..., None]).astype(np.float32)
    planes = [level0]
    levels = [Level(width, height, 0)]
    while levels[-1].width > 1 or levels[-1].height > 1:
        last, plane = levels[-1], planes[-1]
        w, h = max(1, last.width >> 1), max(1, last.height >> 1)
        x0, x1 = np.minimum(2 * np.arange(w), last.width - 1), np.minimum(2 * np.arange(w) + 1, last.width - 1)
        y0, y1 = np.minimum(2 * np.arange(h), last.height - 1), np.minimum(2 * np.arange(h) + 1, last.height - 1)
        wide = plane.astype(np.float64)
        total = wide[y0][:, x0] + wide[y0][:, x1] + wide[y1][:, x0] + wide[y1][:, x1]
        planes.append((total / 4).astype(np.float32))
        levels.append(Level(w, h, last.start + last.width * last.height))
    channels = np.concatenate([p.reshape(-1, 3) for p in planes]).T.copy()
    return Atlas(tuple(levels), channels)


def _fold(q: np.ndarray, n: np.ndarray) -> np.ndarray:
    p = np.mod(q, 2 * n)
    return np.where(p < n, p, 2 * n - p)


@dataclass(frozen=True)
class Sampling:
    base: np.ndarray
    step_x: np.ndarray
    step_y: np.ndarray
    fx: np.ndarray
    fy: np.ndarray


def sampling(layout: Layout, levels: tuple[Level, ...]) -> Sampling:
    """Per pixel: the first of its four texels, the steps to the others and the bilinear weights, at the
    level its footprint needs (dithered between the two nearest)."""
    field_x = layout.field_mm
    field_y = layout.field_mm * levels[0].height / levels[0].width
    first = levels[0].width / field_x
    dither = hash01(layout.pixels % layout.width, layout.pixels // layout.width, layout.seed, 11)
    lam = np.log2(np.maximum(layout.footprint * first, 1e-9)) + LEVEL_BIAS
    index = np.clip(np.floor(lam + dither), 0, len(levels) - 1).astype(np.int64)
    widths = np.array([lv.width for lv in levels])[index]
    heights = np.array([lv.height for lv in levels])[index]
    starts = np.array([lv.start for lv in levels])[index]
    x = _fold(layout.s * widths / field_x, widths) - 0.5
    y = _fold(layout.t * heights / field_y, heights) - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    xa, xb = np.clip(x0, 0, widths - 1), np.clip(x0 + 1, 0, widths - 1)
    ya, yb = np.clip(y0, 0, heights - 1), np.clip(y0 + 1, 0, heights - 1)
    return Sampling(
        base=(starts + ya * widths + xa).astype(np.int64),
        step_x=(xb - xa).astype(np.int64),
        step_y=((yb - ya) * widths).astype(np.int64),
        fx=(x - x0).astype(np.float32),
        fy=(y - y0).astype(np.float32),
    )


def paint(layout: Layout, texture: np.ndarray) -> np.ndarray:
    """HxWx3 uint8: the photo with the texture (HxWx3 sRGB bytes showing layout.field_mm) laid on the area."""
    atlas = texture_atlas(texture)
    place = sampling(layout, atlas.levels)
    fx, fy = place.fx.astype(np.float64), place.fy.astype(np.float64)
    w00, w10, w01, w11 = (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy
    right, down = place.base + place.step_x, place.base + place.step_y
    corner = down + place.step_x
    out = layout.background.reshape(-1, 3).copy()
    under = out[layout.pixels].astype(np.float64)
    alpha = layout.alpha.astype(np.float64)
    for k in range(3):
        c = atlas.channels[k].astype(np.float64)
        value = (c[place.base] * w00 + c[right] * w10 + c[down] * w01 + c[corner] * w11) * layout.mul[k].astype(np.float64)
        encoded = LINEAR_TO_SRGB[np.floor(np.minimum(1.0, value) * ENCODE_STEPS + 0.5).astype(np.int64)].astype(np.float64)
        encoded = encoded + layout.grain.astype(np.float64)
        out[layout.pixels, k] = np.clip(np.rint(alpha * encoded + (1 - alpha) * under[:, k]), 0, 255).astype(np.uint8)
    return out.reshape(layout.height, layout.width, 3)
