"""Measure the share of each tile colour in an image of a rubber-crumb tile.

    measure_shares(image, colors=None) -> ColorShares      shares in percent of the granule area
    classify_pixels(image, colors=None) -> (PixelLabels, ColorShares)   per-pixel segmentation

Pipeline: find the tile face (a photo has a plain background and a bevelled edge; an SDXL
output is all face); mark the gaps between granules (thin dark lines); bin the remaining face
pixels by colour and explain them, by EM, as a mixture of the palette colours' appearance models
(data/palette.json: each colour's spread of lit, shaded and highlighted pixels). Each colour may
shift as a whole by a few CIELAB units, for another camera or light. The shares are the
mixture weights. Without a colour list (open mode) the colours present are first found on
granule interiors (edges blend two colours into a third) with a sparsity prior, then measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

from palette import Palette, load_palette, srgb_to_lab
from tile_colors import COLOR_NAMES, find_color, suggestion_hint

# Work resolution for finding the face: the face outline needs no more detail than this.
_FACE_WORK_SIDE = 256
# A border pixel counts as plain background when it is this close (max channel difference) to
# the border's median colour.
_BACKGROUND_TOLERANCE = 24
# Share of border pixels that must be plain background for the image to count as a photo with
# a background rather than a full-frame texture.
_BACKGROUND_BORDER_SHARE = 0.97
# The bevelled edge and the ragged outline of the tile: trimmed off the face, as a share of the
# face's shorter side.
_EDGE_TRIM_SHARE = 0.025


def as_rgb_array(image: object) -> np.ndarray:
    """An HxWx3 uint8 array from a PIL image or an array (grey and RGBA are converted)."""
    if hasattr(image, "convert") and hasattr(image, "size"):
        array = np.asarray(image.convert("RGB"))
    else:
        array = np.asarray(image)
        if array.ndim == 2:
            array = np.repeat(array[:, :, None], 3, axis=2)
        elif array.ndim == 3 and array.shape[2] == 4:
            array = array[:, :, :3]
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected an RGB image (height x width x 3), got an array of shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError("the image is empty (0 pixels)")
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
            array = array * 255.0
        array = np.clip(np.rint(array), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


def _border_ring(array: np.ndarray, width: int) -> np.ndarray:
    return np.concatenate(
        [
            array[:width].reshape(-1, 3),
            array[-width:].reshape(-1, 3),
            array[width:-width, :width].reshape(-1, 3),
            array[width:-width, -width:].reshape(-1, 3),
        ]
    )


def _largest_component(mask: np.ndarray) -> np.ndarray:
    labels, count = ndimage.label(mask)
    if count <= 1:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def find_tile_face(rgb: np.ndarray) -> np.ndarray:
    """Boolean HxW mask of the tile's top face.

    Where the image border is a plain background (a product photo), the face is the largest
    non-background region, holes filled, with the bevelled edge trimmed off. Otherwise the
    image is taken to be all face (a full-frame texture such as an SDXL output).
    """
    height, width = rgb.shape[:2]
    step = max(1, max(height, width) // _FACE_WORK_SIDE)
    small = rgb[::step, ::step].astype(np.int16)
    ring_width = max(1, min(small.shape[:2]) // 50)
    if min(small.shape[:2]) <= 4 * ring_width:
        return np.ones((height, width), dtype=bool)
    ring = _border_ring(small, ring_width)
    background = np.median(ring, axis=0)
    ring_is_background = np.abs(ring - background).max(axis=1) <= _BACKGROUND_TOLERANCE
    if ring_is_background.mean() < _BACKGROUND_BORDER_SHARE:
        return np.ones((height, width), dtype=bool)

    foreground = np.abs(small - background).max(axis=2) > _BACKGROUND_TOLERANCE
    foreground = ndimage.binary_closing(foreground, structure=np.ones((3, 3), bool), iterations=2)
    foreground = ndimage.binary_fill_holes(foreground)
    foreground = ndimage.binary_opening(foreground, structure=np.ones((3, 3), bool), iterations=2)
    if not foreground.any():
        return np.zeros((height, width), dtype=bool)
    face = _largest_component(foreground)
    rows, cols = np.nonzero(face)
    short_side = min(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)
    trim = int(round(_EDGE_TRIM_SHARE * short_side))
    if trim > 0:
        face = ndimage.binary_erosion(face, structure=np.ones((3, 3), bool), iterations=trim, border_value=0)

    # rgb[::step] kept ceil(size / step) samples, so repeating each step times covers the image.
    return np.repeat(np.repeat(face, step, axis=0), step, axis=1)[:height, :width]


# ---------------------------------------------------------------------------------------------
# Colour shares
# ---------------------------------------------------------------------------------------------
LABEL_BACKGROUND = -1  # outside the tile face
LABEL_GAP = -2  # on the face, but a gap or deep shadow between granules

# In open mode a colour counts as present from this share of the granule area (percent).
PRESENCE_THRESHOLD_PERCENT = 2.0
# Pixels are binned at this many bits per sRGB channel and the shares fitted on bin counts:
# 5 bits keeps the fit fast and moves colours by less than their own spread.
_BIN_BITS = 5
_BIN_SHIFT = 8 - _BIN_BITS
_BIN_COUNT = 1 << (3 * _BIN_BITS)
# Extra variance (CIELAB L, a, b units squared) on every appearance component: JPEG noise,
# binning, and colour casts. The reference photos of the greys are almost exactly neutral, so
# without a chroma floor a slight cast would decide between black and dark gray.
_VARIANCE_FLOOR = np.array([2.0, 6.0, 6.0])
# How far (CIELAB distance) a colour may look from its reference photo in another image:
# exposure, white balance, another camera or a generated image. Each colour in a fit moves as a
# whole (its shading and highlights with it) by at most this much.
_SHIFT_LIMIT = 15.0
# Every pixel a shifted colour explains pays |shift|^2 / (2 * scale^2) in log likelihood, so
# a colour that fits unshifted wins over a neighbour that has to move to fit.
_SHIFT_PENALTY_SCALE = 10.0
# Nor may a colour move more than this fraction of the way to another colour in the fit, so
# that two neighbours (black and dark gray) cannot trade places or split one colour between them.
_SHIFT_NEIGHBOUR_FRACTION = 0.25
# Gaps are at most about 4 px wide in a 640 px photo of a tile (granules 10-15 px); scale with the image.
_GAP_WIDTH_SCALE_PX = 640
_EM_MAX_ITERATIONS = 300
_EM_WEIGHT_TOLERANCE = 1e-4  # 0.01 pp
# Open mode only ranks colours with its sparse fit: a coarser stop is enough.
_PRESENCE_WEIGHT_TOLERANCE = 3e-4
_FIRST_LOOK_ITERATIONS = 200
# Open mode: colours under this share of the all-colour first fit are not candidates at all.
_CANDIDATE_SHARE = 0.005
# Open mode: each colour must explain at least this share of the pixels on its own to stay in
# the fit (a sparsity prior), so that one real colour is not split over its palette neighbours.
_OPEN_MODE_SPARSITY = 0.005
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


def resolve_color_names(colors: Sequence[str]) -> tuple[str, ...]:
    """Canonical names for the colours asked for (aliases and codes accepted), duplicates dropped."""
    if isinstance(colors, str):
        raise ValueError(f"colors must be a list of colour names, not the string {colors!r}")
    names: list[str] = []
    for text in colors:
        color = find_color(text)
        if color is None:
            hint = f" ({suggestion})" if (suggestion := suggestion_hint(text)) else ""
            raise ValueError(f"unknown colour {text!r}{hint}; known colours: {', '.join(COLOR_NAMES)}")
        if color.name not in names:
            names.append(color.name)
    if not names:
        raise ValueError("the colour list is empty: give at least one colour, or none for open mode")
    return tuple(names)


def _bin_index(rgb: np.ndarray) -> np.ndarray:
    """HxW bin number of each pixel: the top _BIN_BITS of R, G and B."""
    q = rgb >> _BIN_SHIFT
    return (q[..., 0].astype(np.int32) << (2 * _BIN_BITS)) | (q[..., 1].astype(np.int32) << _BIN_BITS) | q[..., 2]


@lru_cache(maxsize=1)
def _bin_centre_lab() -> np.ndarray:
    levels = (np.arange(1 << _BIN_BITS) << _BIN_SHIFT) + ((1 << _BIN_SHIFT) - 1) / 2.0
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    return srgb_to_lab(np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1))


@dataclass(frozen=True)
class _AppearanceModels:
    """The appearance Gaussians of some colours, flattened: component m belongs to colour owner[m]."""

    names: tuple[str, ...]
    owner: np.ndarray  # (M,) int
    log_prior: np.ndarray  # (M,) log of the component's weight within its colour + normalising terms
    mean: np.ndarray  # (M, 3)
    precision: np.ndarray  # (M, 3, 3)
    shift_limit: np.ndarray  # (colours,) largest CIELAB shift each colour may take


@lru_cache(maxsize=64)
def _appearance_models(palette: Palette, names: tuple[str, ...]) -> _AppearanceModels:
    owner, log_prior, mean, precision = [], [], [], []
    for index, name in enumerate(names):
        for gaussian in palette[name].appearance:
            covariance = np.array(gaussian.covariance) + np.diag(_VARIANCE_FLOOR)
            owner.append(index)
            log_prior.append(
                np.log(gaussian.weight) - 0.5 * (np.linalg.slogdet(covariance)[1] + 3.0 * np.log(2.0 * np.pi))
            )
            mean.append(gaussian.mean)
            precision.append(np.linalg.inv(covariance))
    typical = palette.lab_array(list(names))
    distance = np.linalg.norm(typical[:, None, :] - typical[None, :, :], axis=2)
    np.fill_diagonal(distance, np.inf)
    shift_limit = np.minimum(_SHIFT_LIMIT, _SHIFT_NEIGHBOUR_FRACTION * distance.min(axis=1))
    return _AppearanceModels(
        names, np.array(owner), np.array(log_prior), np.array(mean), np.array(precision), shift_limit
    )


@dataclass(frozen=True)
class _MixtureFit:
    weights: np.ndarray  # (colours,) fractions summing to 1
    shifts: np.ndarray  # (colours, 3) CIELAB offset of each colour in this image


def _quadratic_features(lab: np.ndarray) -> np.ndarray:
    """(N, 10) features in which every Gaussian's Mahalanobis distance is linear."""
    l, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    return np.stack([l * l, a * a, b * b, 2 * l * a, 2 * l * b, 2 * a * b, l, a, b, np.ones_like(l)], axis=1)


def _component_log_density(features: np.ndarray, models: _AppearanceModels, shifts: np.ndarray) -> np.ndarray:
    """(N, M) log density of each bin colour (as _quadratic_features) under each component.

    Includes the shift penalty; excludes the colour weights.
    """
    precision = models.precision
    centre = models.mean + shifts[models.owner]
    linear = -2.0 * np.einsum("mij,mj->mi", precision, centre)
    constant = np.einsum("mi,mij,mj->m", centre, precision, centre)
    coefficients = np.concatenate(
        [
            precision[:, [0, 1, 2, 0, 0, 1], [0, 1, 2, 1, 2, 2]],
            linear,
            constant[:, None],
        ],
        axis=1,
    )
    # einsum, not @: BLAS threads on a matrix this thin cost ten times more on a busy machine.
    mahalanobis = np.einsum("nk,mk->nm", features, coefficients)
    shift_penalty = (shifts**2).sum(axis=1)[models.owner] / _SHIFT_PENALTY_SCALE**2
    return (models.log_prior - 0.5 * shift_penalty)[None, :] - 0.5 * mahalanobis


def _fit_mixture(
    lab: np.ndarray,
    counts: np.ndarray,
    models: _AppearanceModels,
    *,
    adapt_shifts: bool = True,
    sparsity: float = 0.0,
    tolerance: float = _EM_WEIGHT_TOLERANCE,
) -> _MixtureFit:
    """Colour weights (and per-colour shifts) that best explain binned pixels, by EM.

    lab: (N, 3) colours of the bins; counts: (N,) pixels per bin. Each colour's appearance model
    keeps its shape; with adapt_shifts it may move as a whole by up to _SHIFT_LIMIT. With
    sparsity > 0, a colour must explain more than that share of the pixels to keep any weight.
    """
    colours = len(models.names)
    weights = np.full(colours, 1.0 / colours)
    shifts = np.zeros((colours, 3))
    total = float(counts.sum())
    features = _quadratic_features(lab)
    for _ in range(_EM_MAX_ITERATIONS):
        with np.errstate(divide="ignore"):
            log_joint = _component_log_density(features, models, shifts) + np.log(weights)[models.owner][None, :]
        top = log_joint.max(axis=1, keepdims=True)
        relative = np.exp(log_joint - top)
        bin_total = relative.sum(axis=1)
        responsibility = relative * (counts / bin_total)[:, None]
        component_mass = responsibility.sum(axis=0)
        colour_mass = np.bincount(models.owner, weights=component_mass, minlength=colours) / total
        updated = np.maximum(colour_mass - sparsity, 0.0)
        if updated.sum() <= 0.0:
            updated = colour_mass
        updated /= updated.sum()
        if adapt_shifts:
            shifts = _updated_shifts(lab, responsibility, component_mass, models, shifts)
        converged = np.abs(updated - weights).max() < tolerance
        weights = updated
        if converged:
            break
    return _MixtureFit(weights=weights, shifts=shifts)


def _updated_shifts(
    lab: np.ndarray,
    responsibility: np.ndarray,
    component_mass: np.ndarray,
    models: _AppearanceModels,
    shifts: np.ndarray,
) -> np.ndarray:
    """Per-colour offset maximising the penalised likelihood, its length clipped to the colour's limit."""
    colours = len(models.names)
    residual_sum = responsibility.T @ lab - component_mass[:, None] * models.mean  # (M, 3)
    normal_matrix = np.zeros((colours, 3, 3))
    normal_rhs = np.zeros((colours, 3))
    penalised_precision = models.precision + np.eye(3) / _SHIFT_PENALTY_SCALE**2
    np.add.at(normal_matrix, models.owner, component_mass[:, None, None] * penalised_precision)
    np.add.at(normal_rhs, models.owner, np.einsum("mij,mj->mi", models.precision, residual_sum))
    updated = shifts.copy()
    alive = np.bincount(models.owner, weights=component_mass, minlength=colours) > 1e-6
    if alive.any():
        solved = np.linalg.solve(normal_matrix[alive], normal_rhs[alive][..., None])[..., 0]
        length = np.linalg.norm(solved, axis=1, keepdims=True)
        limit = models.shift_limit[alive][:, None]
        updated[alive] = solved * np.minimum(1.0, limit / np.maximum(length, 1e-9))
    return updated


@lru_cache(maxsize=4)
def _palette_bin_log_likelihood(palette: Palette) -> np.ndarray:
    """(_BIN_COUNT, 29) log density of every bin colour under every palette colour, unshifted."""
    models = _appearance_models(palette, palette.names)
    no_shift = np.zeros((len(palette.names), 3))
    component = _component_log_density(_quadratic_features(_bin_centre_lab()), models, no_shift)
    table = np.empty((_BIN_COUNT, len(palette.names)))
    for index in range(len(palette.names)):
        table[:, index] = np.logaddexp.reduce(component[:, models.owner == index], axis=1)
    return table


def _fit_fixed_weights(log_likelihood: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mixture weights (summing to 1) of fixed colour densities that best explain binned pixels, by EM.

    log_likelihood: (bins, colours); counts: (bins,) pixels per bin. A quick first look: it stops
    at _FIRST_LOOK_ITERATIONS, enough to rank the colours.
    """
    density = np.exp(log_likelihood - log_likelihood.max(axis=1, keepdims=True))
    share_of_pixels = counts / counts.sum()
    weights = np.full(log_likelihood.shape[1], 1.0 / log_likelihood.shape[1])
    for _ in range(_FIRST_LOOK_ITERATIONS):
        mixed = np.einsum("nc,c->n", density, weights)
        updated = weights * np.einsum("nc,n->c", density, share_of_pixels / mixed)
        updated /= updated.sum()
        if np.abs(updated - weights).max() < _EM_WEIGHT_TOLERANCE:
            return updated
        weights = updated
    return weights


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
    counts: np.ndarray  # (_BIN_COUNT,) granule pixels per bin


def _gap_pixels(bins: np.ndarray, palette: Palette) -> np.ndarray:
    """HxW bool: dark pixels in thin lines (gaps and crevices between granules).

    Dark pixels in blobs wider than a gap are kept: generated images draw black granules as
    solid black, which no lightness threshold can tell from a gap.
    """
    dark = (_bin_centre_lab()[:, 0] < palette.gap_lightness)[bins]
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
    bins = _bin_index(rgb)
    granule = face & ~_gap_pixels(bins, palette)
    if not granule.any():
        raise ValueError("the tile face is all gap or shadow: no granule colour to measure")
    counts = np.bincount(bins[granule], minlength=_BIN_COUNT)
    return _Segmentation(face=face, bins=bins, granule=granule, counts=counts)


def _fit_colors(
    counts: np.ndarray,
    palette: Palette,
    names: tuple[str, ...],
    sparsity: float = 0.0,
    tolerance: float = _EM_WEIGHT_TOLERANCE,
) -> _MixtureFit:
    occupied = np.flatnonzero(counts)
    return _fit_mixture(
        _bin_centre_lab()[occupied],
        counts[occupied].astype(np.float64),
        _appearance_models(palette, names),
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
    counts = np.bincount(bins[pixels], minlength=_BIN_COUNT)
    occupied = np.flatnonzero(counts)
    first = _fit_fixed_weights(_palette_bin_log_likelihood(palette)[occupied], counts[occupied].astype(np.float64))
    candidates = tuple(name for name, w in zip(palette.names, first) if w >= _CANDIDATE_SHARE)
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


def _bin_mixture_log_density(features: np.ndarray, models: _AppearanceModels, fit: _MixtureFit) -> np.ndarray:
    """(bins,) log density of each bin under a fitted mixture."""
    with np.errstate(divide="ignore"):
        log_joint = _component_log_density(features, models, fit.shifts) + np.log(fit.weights)[models.owner][None, :]
    return np.logaddexp.reduce(log_joint, axis=1)


def _drop_unneeded_colors(
    counts: np.ndarray, palette: Palette, present: list[str], presence_threshold: float
) -> tuple[str, ...]:
    """Drop, weakest first, each colour the others (free to shift) can stand in for.

    A colour is needed where, without it, pixels become _NEEDED_LOG_RATIO less likely; it stays
    when that holds for at least presence_threshold percent of the pixels. This merges one real
    colour that the sparse fit split over two palette neighbours (a blue between blue and sky blue).
    """
    occupied = np.flatnonzero(counts)
    features = _quadratic_features(_bin_centre_lab()[occupied])
    share_of_pixels = counts[occupied] / counts[occupied].sum()

    def log_density(names: tuple[str, ...]) -> np.ndarray:
        fit = _fit_colors(counts, palette, names, tolerance=_PRESENCE_WEIGHT_TOLERANCE)
        return _bin_mixture_log_density(features, _appearance_models(palette, names), fit)

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


def _analyse(
    image: object, colors: Sequence[str] | None, palette: Palette | None, presence_threshold: float
) -> tuple[_Segmentation, tuple[str, ...], _MixtureFit, Palette]:
    palette = load_palette() if palette is None else palette
    wanted = None if colors is None else resolve_color_names(colors)
    rgb = as_rgb_array(image)
    segmentation = _segment(rgb, palette)
    if wanted is None:
        names = _find_present_colors(rgb, segmentation, palette, presence_threshold)
        fit = _fit_colors(segmentation.counts, palette, names)
        order = np.argsort(-fit.weights, kind="stable")
        names = tuple(names[i] for i in order)
        fit = _MixtureFit(fit.weights[order], fit.shifts[order])
    else:
        names = wanted
        fit = _fit_colors(segmentation.counts, palette, names)
    return segmentation, names, fit, palette


def _shares(segmentation: _Segmentation, names: tuple[str, ...], fit: _MixtureFit) -> ColorShares:
    face_pixels = int(segmentation.face.sum())
    return ColorShares(
        shares={name: float(100.0 * w) for name, w in zip(names, fit.weights)},
        face_fraction=face_pixels / segmentation.face.size,
        gap_fraction=1.0 - int(segmentation.counts.sum()) / face_pixels,
        shifts={name: (float(s[0]), float(s[1]), float(s[2])) for name, s in zip(names, fit.shifts)},
    )


def measure_shares(
    image: object,
    colors: Sequence[str] | None = None,
    *,
    palette: Palette | None = None,
    presence_threshold: float = PRESENCE_THRESHOLD_PERCENT,
) -> ColorShares:
    """Share of each colour in percent of the tile's granule area.

    image: a PIL image or an HxWx3 uint8 array. colors: the colours that should be in it (names,
    codes or aliases); without it, the palette colours present at `presence_threshold` percent or
    more are found and measured.
    """
    segmentation, names, fit, _ = _analyse(image, colors, palette, presence_threshold)
    return _shares(segmentation, names, fit)


def classify_pixels(
    image: object,
    colors: Sequence[str] | None = None,
    *,
    palette: Palette | None = None,
    presence_threshold: float = PRESENCE_THRESHOLD_PERCENT,
) -> tuple[PixelLabels, ColorShares]:
    """Per-pixel labels (each granule pixel's most probable colour given the fitted mix) and the shares."""
    segmentation, names, fit, palette = _analyse(image, colors, palette, presence_threshold)
    face_bins = np.flatnonzero(np.bincount(segmentation.bins[segmentation.face], minlength=_BIN_COUNT))
    models = _appearance_models(palette, names)
    features = _quadratic_features(_bin_centre_lab()[face_bins])
    with np.errstate(divide="ignore"):
        log_joint = _component_log_density(features, models, fit.shifts) + np.log(fit.weights)[models.owner][None, :]
    per_colour = np.stack(
        [np.logaddexp.reduce(log_joint[:, models.owner == index], axis=1) for index in range(len(names))], axis=1
    )
    label_of_bin = np.full(_BIN_COUNT, LABEL_GAP, dtype=np.int16)
    label_of_bin[face_bins] = np.argmax(per_colour, axis=1)
    labels = label_of_bin[segmentation.bins]
    labels[segmentation.face & ~segmentation.granule] = LABEL_GAP
    labels[~segmentation.face] = LABEL_BACKGROUND
    return PixelLabels(labels=labels, colors=names), _shares(segmentation, names, fit)
