"""Measure the share of each tile colour in an image of a rubber-crumb tile.

    measure_shares(image, colors=None) -> ColorShares      shares in percent of the granule area
    classify_pixels(image, colors=None) -> (PixelLabels, ColorShares)   per-pixel segmentation

`colors` are canonical names (a ColorMix iterates over its own); without them, open mode.

Pipeline: find the tile face (a photo has a plain background and a bevelled edge; an SDXL
output is all face); mark the gaps between granules (thin dark lines); bin the remaining face
pixels by colour and explain them, by EM, as a mixture of the palette colours' appearance models
(mixture.py: each colour's spread of lit, shaded and highlighted pixels). Each colour may
shift as a whole by a few CIELAB units, for another camera or light. The shares are the
mixture weights. Without a colour list (open mode) the colours present are first found on
granule interiors (edges blend two colours into a third) with a sparsity prior, then measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..colors.palette import Palette, load_palette
from ..images import as_rgb_array
from .face import find_tile_face
from .mixture import (
    BIN_COUNT,
    EM_WEIGHT_TOLERANCE,
    MixtureFit,
    appearance_models,
    bin_centre_lab,
    bin_index,
    bin_mixture_log_density,
    component_log_density,
    fit_fixed_weights,
    fit_mixture,
    palette_bin_log_likelihood,
    quadratic_features,
)

LABEL_BACKGROUND = -1  # outside the tile face
LABEL_GAP = -2  # on the face, but a gap or deep shadow between granules

# In open mode a colour counts as present from this share of the granule area (percent).
PRESENCE_THRESHOLD_PERCENT = 2.0
# Gaps are at most about 4 px wide in a 640 px photo of a tile (granules 10-15 px); scale with the image.
_GAP_WIDTH_SCALE_PX = 640
# Open mode: colours under this share of the all-colour first fit are not candidates at all.
_CANDIDATE_SHARE = 0.005
# Open mode: each colour must explain at least this share of the pixels on its own to stay in
# the fit (a sparsity prior), so that one real colour is not split over its palette neighbours.
_OPEN_MODE_SPARSITY = 0.005
# Open mode only ranks colours with its sparse fit: a coarser stop is enough.
_PRESENCE_WEIGHT_TOLERANCE = 3e-4
# A pixel is inside a granule (not on an edge between two) when no neighbour differs from it
# by more than this in any sRGB channel; open mode finds colours on those pixels only, since
# edges blend two colours (and JPEG blurs colour over two pixels) into a third.
_EDGE_CONTRAST = 24
_PRESENCE_SIDE_PX = 640
# Open mode: a colour is needed for a pixel when leaving it out makes the pixel this much less
# likely (log of a factor of 20).
_NEEDED_LOG_RATIO = 3.0


@dataclass(frozen=True)
class ColorShares:
    """Colour shares of a tile's granule area.

    shares: colour -> percent of the granule area (face minus gaps), summing to 100. With a colour
    list: those colours in that order; in open mode: the colours found present, largest first.
    face_fraction: share of the image that is tile face (1.0 for a full-frame texture).
    gap_fraction: share of the face that is gaps and deep shadow, counted for no colour.
    shifts: colour -> how far (CIELAB dL, da, db) the colour looks from its palette reference here.
    """

    shares: dict[str, float]
    face_fraction: float
    gap_fraction: float
    shifts: dict[str, tuple[float, float, float]]


@dataclass(frozen=True)
class PixelLabels:
    """Per-pixel segmentation: labels[y, x] indexes `colors`, or is LABEL_GAP / LABEL_BACKGROUND."""

    labels: np.ndarray  # HxW int16
    colors: tuple[str, ...]

    @property
    def face(self) -> np.ndarray:
        return self.labels != LABEL_BACKGROUND

    def mask(self, color: str) -> np.ndarray:
        return self.labels == self.colors.index(color)


def _channel_contrast(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Largest per-channel absolute difference of two uint8 RGB arrays (no overflow, no casts)."""
    difference = np.maximum(first, second) - np.minimum(first, second)
    return np.maximum(np.maximum(difference[..., 0], difference[..., 1]), difference[..., 2])


def _interior_pixels(rgb: np.ndarray) -> np.ndarray:
    """HxW bool: no 4-neighbour differs by more than _EDGE_CONTRAST in any channel."""
    vertical = _channel_contrast(rgb[1:], rgb[:-1]) > _EDGE_CONTRAST
    horizontal = _channel_contrast(rgb[:, 1:], rgb[:, :-1]) > _EDGE_CONTRAST
    edge = np.zeros(rgb.shape[:2], dtype=bool)
    edge[:-1] |= vertical
    edge[1:] |= vertical
    edge[:, :-1] |= horizontal
    edge[:, 1:] |= horizontal
    return ~edge


@dataclass(frozen=True)
class _Segmentation:
    face: np.ndarray  # HxW bool
    bins: np.ndarray  # HxW bin number
    granule: np.ndarray  # HxW bool: face and not gap
    counts: np.ndarray  # (BIN_COUNT,) granule pixels per bin


def _gap_pixels(bins: np.ndarray, palette: Palette) -> np.ndarray:
    """HxW bool: dark pixels in thin lines (gaps and crevices between granules).

    Dark pixels in blobs wider than a gap are kept: generated images draw black granules as
    solid black, which no lightness threshold can tell from a gap.
    """
    dark = (bin_centre_lab()[:, 0] < palette.gap_lightness)[bins]
    if not dark.any():
        return dark
    width = 1 + 2 * max(1, round(2 * min(bins.shape) / _GAP_WIDTH_SCALE_PX))
    # Opening with a width x width square, done separably (much faster than binary_opening).
    # Outside the image counts as dark, so blobs touching the border are not eroded by it.
    marks = dark.view(np.uint8)
    eroded = ndimage.minimum_filter1d(marks, width, axis=0, mode="nearest")
    eroded = ndimage.minimum_filter1d(eroded, width, axis=1, mode="nearest")
    solid = ndimage.maximum_filter1d(ndimage.maximum_filter1d(eroded, width, axis=0), width, axis=1)
    return dark & (solid == 0)


def _segment(rgb: np.ndarray, palette: Palette) -> _Segmentation:
    face = find_tile_face(rgb)
    if not face.any():
        raise ValueError("no tile face found in the image (it looks like plain background)")
    bins = bin_index(rgb)
    granule = face & ~_gap_pixels(bins, palette)
    if not granule.any():
        raise ValueError("the tile face is all gap or shadow: no granule colour to measure")
    counts = np.bincount(bins[granule], minlength=BIN_COUNT)
    return _Segmentation(face=face, bins=bins, granule=granule, counts=counts)


def _fit_colors(
    counts: np.ndarray,
    palette: Palette,
    names: tuple[str, ...],
    sparsity: float = 0.0,
    tolerance: float = EM_WEIGHT_TOLERANCE,
) -> MixtureFit:
    occupied = np.flatnonzero(counts)
    return fit_mixture(
        bin_centre_lab()[occupied],
        counts[occupied].astype(np.float64),
        appearance_models(palette, names),
        sparsity=sparsity,
        tolerance=tolerance,
    )


def _find_present_colors(
    rgb: np.ndarray, segmentation: _Segmentation, palette: Palette, presence_threshold: float
) -> tuple[str, ...]:
    """Open mode: the palette colours present on the granule interiors, largest share first."""
    # Which colours are present needs no more than about 640 px a side.
    step = max(1, -(-min(rgb.shape[:2]) // _PRESENCE_SIDE_PX))
    granule = segmentation.granule[::step, ::step]
    bins = segmentation.bins[::step, ::step]
    interior = granule & _interior_pixels(rgb[::step, ::step])
    pixels = interior if interior.sum() >= 0.05 * granule.sum() else granule
    counts = np.bincount(bins[pixels], minlength=BIN_COUNT)
    occupied = np.flatnonzero(counts)
    first = fit_fixed_weights(palette_bin_log_likelihood(palette)[occupied], counts[occupied].astype(np.float64))
    candidates = tuple(name for name, w in zip(palette.names, first, strict=True) if w >= _CANDIDATE_SHARE)
    if not candidates:
        candidates = (palette.names[int(np.argmax(first))],)
    sparse = _fit_colors(
        counts, palette, candidates, sparsity=_OPEN_MODE_SPARSITY, tolerance=_PRESENCE_WEIGHT_TOLERANCE
    )
    order = np.argsort(-sparse.weights, kind="stable")
    present = [candidates[i] for i in order if sparse.weights[i] * 100.0 >= presence_threshold]
    if not present:
        return (candidates[int(order[0])],)
    return _drop_unneeded_colors(counts, palette, present, presence_threshold)


def _drop_unneeded_colors(
    counts: np.ndarray, palette: Palette, present: list[str], presence_threshold: float
) -> tuple[str, ...]:
    """Drop, weakest first, each colour the others (free to shift) can stand in for.

    A colour is needed where, without it, pixels become _NEEDED_LOG_RATIO less likely; it stays
    when that holds for at least presence_threshold percent of the pixels. This merges one real
    colour that the sparse fit split over two palette neighbours (a blue between blue and sky blue).
    """
    occupied = np.flatnonzero(counts)
    features = quadratic_features(bin_centre_lab()[occupied])
    share_of_pixels = counts[occupied] / counts[occupied].sum()

    def log_density(names: tuple[str, ...]) -> np.ndarray:
        fit = _fit_colors(counts, palette, names, tolerance=_PRESENCE_WEIGHT_TOLERANCE)
        return bin_mixture_log_density(features, appearance_models(palette, names), fit)

    kept = tuple(present)
    kept_density = log_density(kept)
    for name in reversed(present):
        if len(kept) == 1:
            break
        without = tuple(other for other in kept if other != name)
        without_density = log_density(without)
        needed_share = float(share_of_pixels[kept_density - without_density > _NEEDED_LOG_RATIO].sum())
        if needed_share * 100.0 < presence_threshold:
            kept, kept_density = without, without_density
    return tuple(kept)


def _color_list(colors: Iterable[str], palette: Palette) -> tuple[str, ...]:
    """The colours to measure, each once, in the order given; they must be canonical names."""
    if isinstance(colors, str):
        raise TypeError(f"colors must be a list of colour names, not the string {colors!r}")
    names = tuple(dict.fromkeys(colors))
    if not names:
        raise ValueError("the colour list is empty: give at least one colour, or None for open mode")
    unknown = [name for name in names if name not in palette.names]
    if unknown:
        raise ValueError(f"{unknown} are not canonical colour names: read customer text with parse_color_list first")
    return names


def _analyse(
    image: object, colors: Iterable[str] | None, palette: Palette | None, presence_threshold: float
) -> tuple[_Segmentation, tuple[str, ...], MixtureFit, Palette]:
    palette = load_palette() if palette is None else palette
    wanted = None if colors is None else _color_list(colors, palette)
    rgb = as_rgb_array(image)
    segmentation = _segment(rgb, palette)
    if wanted is None:
        names = _find_present_colors(rgb, segmentation, palette, presence_threshold)
        fit = _fit_colors(segmentation.counts, palette, names)
        order = np.argsort(-fit.weights, kind="stable")
        names = tuple(names[i] for i in order)
        fit = MixtureFit(fit.weights[order], fit.shifts[order])
    else:
        names = wanted
        fit = _fit_colors(segmentation.counts, palette, names)
    return segmentation, names, fit, palette


def _shares(segmentation: _Segmentation, names: tuple[str, ...], fit: MixtureFit) -> ColorShares:
    face_pixels = int(segmentation.face.sum())
    return ColorShares(
        shares={name: float(100.0 * w) for name, w in zip(names, fit.weights, strict=True)},
        face_fraction=face_pixels / segmentation.face.size,
        gap_fraction=1.0 - int(segmentation.counts.sum()) / face_pixels,
        shifts={name: (float(s[0]), float(s[1]), float(s[2])) for name, s in zip(names, fit.shifts, strict=True)},
    )


def measure_shares(
    image: object,
    colors: Iterable[str] | None = None,
    *,
    palette: Palette | None = None,
    presence_threshold: float = PRESENCE_THRESHOLD_PERCENT,
) -> ColorShares:
    """Share of each colour in percent of the tile's granule area.

    image: a PIL image or an HxWx3 uint8 array. colors: the canonical names of the colours that
    should be in it (a ColorMix will do); without it, the palette colours present at `presence_threshold` percent or
    more are found and measured.
    """
    segmentation, names, fit, _ = _analyse(image, colors, palette, presence_threshold)
    return _shares(segmentation, names, fit)


def classify_pixels(
    image: object,
    colors: Iterable[str] | None = None,
    *,
    palette: Palette | None = None,
    presence_threshold: float = PRESENCE_THRESHOLD_PERCENT,
) -> tuple[PixelLabels, ColorShares]:
    """Per-pixel labels (each granule pixel's most probable colour given the fitted mix) and the shares."""
    segmentation, names, fit, palette = _analyse(image, colors, palette, presence_threshold)
    face_bins = np.flatnonzero(np.bincount(segmentation.bins[segmentation.face], minlength=BIN_COUNT))
    models = appearance_models(palette, names)
    features = quadratic_features(bin_centre_lab()[face_bins])
    with np.errstate(divide="ignore"):
        log_joint = component_log_density(features, models, fit.shifts) + np.log(fit.weights)[models.owner][None, :]
    per_color = np.stack(
        [np.logaddexp.reduce(log_joint[:, models.owner == index], axis=1) for index in range(len(names))], axis=1
    )
    label_of_bin = np.full(BIN_COUNT, LABEL_GAP, dtype=np.int16)
    label_of_bin[face_bins] = np.argmax(per_color, axis=1)
    labels = label_of_bin[segmentation.bins]
    labels[segmentation.face & ~segmentation.granule] = LABEL_GAP
    labels[~segmentation.face] = LABEL_BACKGROUND
    return PixelLabels(labels=labels, colors=names), _shares(segmentation, names, fit)
