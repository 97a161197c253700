"""The visualiser's light: how the photo lights the area (the browser's visualiser_light.js, mirrored).

1. Log luminance of the photo (linear light), thin dark and bright lines (joints, cracks, paint)
   taken out by a closing and an opening of the thin radius: they belong to the old ground, not to
   its light.
2. An edge-keeping smoothing of it over the area (a guided filter, weighted to the area's pixels and
   away from masked objects): a shadow keeps its edge, the old ground's grain goes. Steps 1-3 work at
   half the resolution (the light is smooth) and come back bilinearly.
3. The shading: that smoothed luminance over the lit level (LIT_PERCENTILE of the area), so a cast
   shadow darkens the surface by the photo's own ratio; the light's colour (a shadow's blue sky
   light) carried by the smoothed chromaticity against the lit ground's.
4. The light's level: what a white surface would show where the area is lit. The lit ground's
   luminance over GROUND_ALBEDO (the mean reflectance photographers meter for: the ground is taken to
   be a middle grey), at most WHITE_LIMIT (a photo exposed so that white does not clip). So a surface
   is as much brighter than the ground as its albedo is above a middle grey, and a dim photo lights it
   dimly. The photo's white balance (shades of grey over the photo) tints it a little.
5. The photo's noise (from the flattest parts of the area), added to the surface as grain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

LOG_FLOOR = math.log(1 / 4096)
THIN_RADIUS_SHARE = 1 / 640  # of the photo's long side
GUIDE_RADIUS_SHARE = 1 / 40  # measured best of 1/160, 1/80, 1/40 (scripts/eval/visualiser_light_error.py)
GUIDE_EPS = 0.01  # log-luminance variance below which the filter smooths
WEIGHT_FLOOR = 1e-3  # weight of pixels outside the area (masked ones fill from the rest)
LIT_PERCENTILE = 0.9
LIT_BAND = 0.15  # log units below the lit level still counted as lit
CHROMA_KEEP = 0.7
TINT_MIN_VARIANCE = 0.01  # of smoothed log luminance over the area: below it no tint is fitted
TINT_LIMIT = 0.3
WB_KEEP = 0.5
WB_LIMITS = (0.85, 1.15)
SHADE_LIMITS = (0.005, 1.6)
GROUND_ALBEDO = 0.18
WHITE_LIMIT = 1.0
SHADOW_PERCENTILE = 0.1
SHADOW_DEEP = 0.6  # of the lit level: a shadow this deep in the area is the sky's light alone
SKY_SHARE = 0.3  # the sky's share of the lit level's light where the area shows no such shadow: a clear day's, sun 30-60 deg up
NOISE_LIMIT = 6.0
HIST_BINS = 2048
SCENE_STEP = 2
LUMINANCE = np.array([0.2126, 0.7152, 0.0722])


def _srgb_to_linear_table() -> np.ndarray:
    c = np.arange(256) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


ENCODE_STEPS = 4095
SRGB_TO_LINEAR = _srgb_to_linear_table()
_v = np.arange(ENCODE_STEPS + 1) / ENCODE_STEPS
LINEAR_TO_SRGB = (255 * np.where(_v <= 0.0031308, 12.92 * _v, 1.055 * _v ** (1 / 2.4) - 0.055)).astype(np.float32)


@dataclass(frozen=True)
class Crop:
    """The rectangle of the photo a layout works on."""

    x0: int
    y0: int
    width: int
    height: int


@dataclass(frozen=True)
class Light:
    """The area's light: its smoothed log luminance per crop pixel, and the figures the surface's light
    factors come from (shade_at)."""

    smooth: np.ndarray
    lit: float
    white: float
    sky: float
    gain: tuple[float, float, float]
    bright: float
    tint: tuple[float, float, float]
    noise: float


def radii(width: int, height: int) -> tuple[int, int]:
    """(thin, guide) radii in px for a photo of this size (JS rounds halves up, as here)."""
    long = max(width, height)
    return max(1, math.floor(long * THIN_RADIUS_SHARE + 0.5)), max(2, math.floor(long * GUIDE_RADIUS_SHARE + 0.5))


def box_sum(values: np.ndarray, r: int) -> np.ndarray:
    """Sums over the (2r+1)^2 window around every pixel, cut at the image's edges (an integral image)."""
    height, width = values.shape
    integral = np.zeros((height + 1, width + 1))
    integral[1:, 1:] = np.cumsum(np.cumsum(values, axis=1), axis=0)
    y0 = np.clip(np.arange(height) - r, 0, height)[:, None]
    y1 = np.clip(np.arange(height) + r + 1, 0, height)[:, None]
    x0 = np.clip(np.arange(width) - r, 0, width)[None, :]
    x1 = np.clip(np.arange(width) + r + 1, 0, width)[None, :]
    return integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]


def without_thin_lines(values: np.ndarray, r: int) -> np.ndarray:
    """A closing (thin dark lines out) and then an opening (thin bright lines out), windows cut at the edges."""
    size = 2 * r + 1
    closed = ndimage.minimum_filter(ndimage.maximum_filter(values, size, mode="nearest"), size, mode="nearest")
    return ndimage.maximum_filter(ndimage.minimum_filter(closed, size, mode="nearest"), size, mode="nearest")


def guided_filter(guide: np.ndarray, source: np.ndarray, weights: np.ndarray, r: int, eps: float) -> np.ndarray:
    """The guided filter (He, Sun and Tang) of `source` with `guide`, its means weighted by `weights`."""
    weight_sums = box_sum(weights, r)

    def mean(values: np.ndarray) -> np.ndarray:
        return box_sum(weights * values, r) / weight_sums

    mean_guide = mean(guide)
    mean_source = mean_guide if source is guide else mean(source)
    mean_cross = mean(guide * source)
    mean_square = mean_cross if source is guide else mean(guide * guide)
    variance = mean_square - mean_guide * mean_guide
    a = (mean_cross - mean_guide * mean_source) / (variance + eps)
    b = mean_source - a * mean_guide
    return mean(a) * guide + mean(b)


def percentile(values: np.ndarray, chosen: np.ndarray, share: float, low: float, high: float) -> float:
    """The value under which `share` of the chosen values lie, to a bin of a HIST_BINS histogram over [low, high]."""
    scale = HIST_BINS / (high - low)
    picked = values[chosen]
    if picked.size == 0:
        return low
    bins = np.clip(np.floor((picked - low) * scale), 0, HIST_BINS - 1).astype(np.int64)
    running = np.cumsum(np.bincount(bins, minlength=HIST_BINS))
    found = np.nonzero(running >= share * picked.size)[0]
    return low + (int(found[0]) + 0.5) / scale if found.size else high


def linear(photo: np.ndarray) -> np.ndarray:
    """HxWx3 float linear light of HxWx3 sRGB bytes."""
    return SRGB_TO_LINEAR[photo[..., :3]].astype(np.float64)


def scene_light(photo: np.ndarray) -> tuple[np.ndarray, float]:
    """The whole photo's light (every SCENE_STEP-th pixel of every SCENE_STEP-th row): its white balance
    gains (shades of grey, p = 4, a share WB_KEEP of it, luminance kept) and its bright level
    (LIT_PERCENTILE of log luminance)."""
    rgb = linear(photo[::SCENE_STEP, ::SCENE_STEP]).reshape(-1, 3)
    luminance = rgb @ LUMINANCE
    logs = np.log(np.maximum(luminance, 1 / 4096))
    used = (rgb.max(axis=1) < 0.95) & (luminance > 0.002)
    estimate = np.mean(rgb[used] ** 4, axis=0) ** 0.25 if used.any() else np.ones(3)
    average = estimate.mean()
    low, high = WB_LIMITS
    raw = np.clip((estimate / average if average > 0 else np.ones(3)) ** WB_KEEP, low, high)
    gain = raw / float(raw @ LUMINANCE)
    return gain, percentile(logs, np.ones(logs.shape, bool), LIT_PERCENTILE, LOG_FLOOR, 0.0)


def noise_level(luma: np.ndarray, weights: np.ndarray) -> float:
    """The photo's noise in sRGB levels, from the quarter of the area's pixels that differ least from
    their four neighbours (the flattest: the old ground's texture does not count as noise)."""
    residual = np.zeros(luma.shape)
    inner = luma[1:-1, 1:-1]
    residual[1:-1, 1:-1] = np.abs(inner - (luma[1:-1, :-2] + luma[1:-1, 2:] + luma[:-2, 1:-1] + luma[2:, 1:-1]) / 4)
    chosen = np.zeros(luma.shape, bool)
    chosen[1:-1, 1:-1] = weights[1:-1, 1:-1] >= 0.5
    quarter = percentile(residual, chosen, 0.25, 0.0, 64.0)
    # |N(0, s)| has its lower quartile at 0.3186 s; the residual's s is sqrt(1.25) of the noise's.
    return min(NOISE_LIMIT, quarter / 0.3186 / math.sqrt(1.25))


def shadow_tint(smooth: np.ndarray, chroma: list[np.ndarray], in_area: np.ndarray) -> tuple[float, float, float]:
    """How each channel's log chromaticity follows the smoothed log luminance over the area: the
    least-squares slopes (0 where the light hardly varies), within TINT_LIMIT."""
    x = smooth[in_area]
    n = x.size
    variance = float(np.mean(x * x) - np.mean(x) ** 2) if n > 1 else 0.0
    if not variance >= TINT_MIN_VARIANCE:
        return (0.0, 0.0, 0.0)
    slopes = [(float(np.mean(x * c[in_area])) - float(np.mean(x)) * float(np.mean(c[in_area]))) / variance for c in chroma]
    return tuple(min(TINT_LIMIT, max(-TINT_LIMIT, slope)) for slope in slopes)


def half_crop(photo: np.ndarray, crop: Crop, weights: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """The crop at half its resolution (2 x 2 means of linear light; the last row or column repeated where
    odd): log luminance, log chromaticity per channel, and the weights' means."""
    part = photo[crop.y0 : crop.y0 + crop.height, crop.x0 : crop.x0 + crop.width, :3]
    rgb = SRGB_TO_LINEAR[part].astype(np.float64)
    rows0, cols0 = np.arange(0, crop.height, 2), np.arange(0, crop.width, 2)
    rows1, cols1 = np.minimum(rows0 + 1, crop.height - 1), np.minimum(cols0 + 1, crop.width - 1)

    def mean(values: np.ndarray) -> np.ndarray:
        return (values[rows0][:, cols0] + values[rows0][:, cols1] + values[rows1][:, cols0] + values[rows1][:, cols1]) / 4

    channels = [mean(rgb[..., k]) for k in range(3)]
    floor = 1 / 4096
    total = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    luminance = np.log(np.maximum(total, floor))
    chroma = [np.log(np.maximum(c, floor)) - luminance for c in channels]
    return luminance, chroma, mean(weights)


def upsample(half: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A half-resolution field back at `shape`: bilinear, pixel centres aligned, edges held."""
    height, width = half.shape

    def axis(size: int, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u = (np.arange(size) + 0.5) / 2 - 0.5
        i = np.floor(u)
        return np.clip(i, 0, limit - 1).astype(np.int64), np.clip(i + 1, 0, limit - 1).astype(np.int64), u - i

    i0, i1, fy = axis(shape[0], height)
    j0, j1, fx = axis(shape[1], width)
    fx, fy = fx[None, :], fy[:, None]
    top = half[i0][:, j0] * (1 - fx) + half[i0][:, j1] * fx
    bottom = half[i1][:, j0] * (1 - fx) + half[i1][:, j1] * fx
    return top * (1 - fy) + bottom * fy


def estimate_light(photo: np.ndarray, crop: Crop, weights: np.ndarray) -> Light:
    """The area's light. photo: HxWx3 (or 4) sRGB bytes; weights: crop-sized, 1 on the area's unmasked pixels."""
    thin, guide = radii(photo.shape[1], photo.shape[0])
    luminance, chroma, half_weights = half_crop(photo, crop, weights)
    cleaned = without_thin_lines(luminance, max(1, math.floor(thin / 2 + 0.5)))
    smooth_half = guided_filter(cleaned, cleaned, half_weights + WEIGHT_FLOOR, max(1, math.floor(guide / 2 + 0.5)), GUIDE_EPS)
    in_area = half_weights >= 0.5
    lit = percentile(smooth_half, in_area, LIT_PERCENTILE, LOG_FLOOR, 0.0)
    tint = shadow_tint(smooth_half, chroma, in_area)
    smooth = upsample(smooth_half, (crop.height, crop.width))
    gain, bright = scene_light(photo)
    part = photo[crop.y0 : crop.y0 + crop.height, crop.x0 : crop.x0 + crop.width, :3].astype(np.float64)
    luma = 0.299 * part[..., 0] + 0.587 * part[..., 1] + 0.114 * part[..., 2]
    white = min(WHITE_LIMIT, math.exp(lit) / GROUND_ALBEDO)
    shadow = math.exp(percentile(smooth_half, in_area, SHADOW_PERCENTILE, LOG_FLOOR, 0.0) - lit)
    sky = shadow if shadow < SHADOW_DEEP else SKY_SHARE
    return Light(smooth, lit, white, sky, tuple(float(g) for g in gain), bright, tint, noise_level(luma, weights))


def shade_at(light: Light, chosen: np.ndarray) -> np.ndarray:
    """3 x n linear factors at the chosen crop pixels: white balance x the light's level x the light there
    against the lit level, its colour shifted by the fitted tint."""
    low, high = SHADE_LIMITS
    relative = light.smooth[chosen] - light.lit
    factors = [light.gain[k] * light.white * np.exp(relative * (1 + CHROMA_KEEP * light.tint[k])) for k in range(3)]
    return np.clip(np.stack(factors), low, high)
