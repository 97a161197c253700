"""The colour model behind the analyzer: binned pixels explained as a mixture of palette colours, by EM.

Each palette colour has an appearance model (a few Gaussians in CIELAB over its lit, shaded and
highlighted granule pixels, rubber_tile/data/palette.json). Pixels are binned in sRGB; EM finds the
colour weights (the shares) and, for each colour, a small shift as a whole (another camera or light).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..colors.colorspace import srgb_to_lab
from ..colors.distance import pairwise_delta_e
from ..colors.palette import Palette

# Pixels are binned at this many bits per sRGB channel and the shares fitted on bin counts:
# 5 bits keeps the fit fast and moves colours by less than their own spread.
BIN_BITS = 5
_BIN_SHIFT = 8 - BIN_BITS
BIN_COUNT = 1 << (3 * BIN_BITS)
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
_EM_MAX_ITERATIONS = 300
EM_WEIGHT_TOLERANCE = 1e-4  # 0.01 pp
_FIRST_LOOK_ITERATIONS = 200


def bin_index(rgb: np.ndarray) -> np.ndarray:
    """HxW bin number of each pixel: the top BIN_BITS of R, G and B."""
    q = rgb >> _BIN_SHIFT
    return (q[..., 0].astype(np.int32) << (2 * BIN_BITS)) | (q[..., 1].astype(np.int32) << BIN_BITS) | q[..., 2]


@lru_cache(maxsize=1)
def bin_centre_lab() -> np.ndarray:
    levels = (np.arange(1 << BIN_BITS) << _BIN_SHIFT) + ((1 << _BIN_SHIFT) - 1) / 2.0
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    return srgb_to_lab(np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1))


@dataclass(frozen=True)
class AppearanceModels:
    """The appearance Gaussians of some colours, flattened: component m belongs to colour owner[m]."""

    names: tuple[str, ...]
    owner: np.ndarray  # (M,) int
    log_prior: np.ndarray  # (M,) log of the component's weight within its colour + normalising terms
    mean: np.ndarray  # (M, 3)
    precision: np.ndarray  # (M, 3, 3)
    shift_limit: np.ndarray  # (colours,) largest CIELAB shift each colour may take


@lru_cache(maxsize=64)
def appearance_models(palette: Palette, names: tuple[str, ...]) -> AppearanceModels:
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
    distance = pairwise_delta_e(typical)
    np.fill_diagonal(distance, np.inf)
    shift_limit = np.minimum(_SHIFT_LIMIT, _SHIFT_NEIGHBOUR_FRACTION * distance.min(axis=1))
    return AppearanceModels(
        names, np.array(owner), np.array(log_prior), np.array(mean), np.array(precision), shift_limit
    )


@dataclass(frozen=True)
class MixtureFit:
    weights: np.ndarray  # (colours,) fractions summing to 1
    shifts: np.ndarray  # (colours, 3) CIELAB offset of each colour in this image


def quadratic_features(lab: np.ndarray) -> np.ndarray:
    """(N, 10) features in which every Gaussian's Mahalanobis distance is linear."""
    lum, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    return np.stack([lum * lum, a * a, b * b, 2 * lum * a, 2 * lum * b, 2 * a * b, lum, a, b, np.ones_like(lum)], axis=1)


def component_log_density(features: np.ndarray, models: AppearanceModels, shifts: np.ndarray) -> np.ndarray:
    """(N, M) log density of each bin colour (as quadratic_features) under each component.

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


def fit_mixture(
    lab: np.ndarray,
    counts: np.ndarray,
    models: AppearanceModels,
    *,
    adapt_shifts: bool = True,
    sparsity: float = 0.0,
    tolerance: float = EM_WEIGHT_TOLERANCE,
) -> MixtureFit:
    """Colour weights (and per-colour shifts) that best explain binned pixels, by EM.

    lab: (N, 3) colours of the bins; counts: (N,) pixels per bin. Each colour's appearance model
    keeps its shape; with adapt_shifts it may move as a whole by up to _SHIFT_LIMIT. With
    sparsity > 0, a colour must explain more than that share of the pixels to keep any weight.
    """
    colors = len(models.names)
    weights = np.full(colors, 1.0 / colors)
    shifts = np.zeros((colors, 3))
    total = float(counts.sum())
    features = quadratic_features(lab)
    for _ in range(_EM_MAX_ITERATIONS):
        with np.errstate(divide="ignore"):
            log_joint = component_log_density(features, models, shifts) + np.log(weights)[models.owner][None, :]
        top = log_joint.max(axis=1, keepdims=True)
        relative = np.exp(log_joint - top)
        bin_total = relative.sum(axis=1)
        responsibility = relative * (counts / bin_total)[:, None]
        component_mass = responsibility.sum(axis=0)
        color_mass = np.bincount(models.owner, weights=component_mass, minlength=colors) / total
        updated = np.maximum(color_mass - sparsity, 0.0)
        if updated.sum() <= 0.0:
            updated = color_mass
        updated /= updated.sum()
        if adapt_shifts:
            shifts = _updated_shifts(lab, responsibility, component_mass, models, shifts)
        converged = np.abs(updated - weights).max() < tolerance
        weights = updated
        if converged:
            break
    return MixtureFit(weights=weights, shifts=shifts)


def _updated_shifts(
    lab: np.ndarray,
    responsibility: np.ndarray,
    component_mass: np.ndarray,
    models: AppearanceModels,
    shifts: np.ndarray,
) -> np.ndarray:
    """Per-colour offset maximising the penalised likelihood, its length clipped to the colour's limit."""
    colors = len(models.names)
    residual_sum = responsibility.T @ lab - component_mass[:, None] * models.mean  # (M, 3)
    normal_matrix = np.zeros((colors, 3, 3))
    normal_rhs = np.zeros((colors, 3))
    penalised_precision = models.precision + np.eye(3) / _SHIFT_PENALTY_SCALE**2
    np.add.at(normal_matrix, models.owner, component_mass[:, None, None] * penalised_precision)
    np.add.at(normal_rhs, models.owner, np.einsum("mij,mj->mi", models.precision, residual_sum))
    updated = shifts.copy()
    alive = np.bincount(models.owner, weights=component_mass, minlength=colors) > 1e-6
    if alive.any():
        solved = np.linalg.solve(normal_matrix[alive], normal_rhs[alive][..., None])[..., 0]
        length = np.linalg.norm(solved, axis=1, keepdims=True)
        limit = models.shift_limit[alive][:, None]
        updated[alive] = solved * np.minimum(1.0, limit / np.maximum(length, 1e-9))
    return updated


@lru_cache(maxsize=4)
def palette_bin_log_likelihood(palette: Palette) -> np.ndarray:
    """(BIN_COUNT, 29) log density of every bin colour under every palette colour, unshifted."""
    models = appearance_models(palette, palette.names)
    no_shift = np.zeros((len(palette.names), 3))
    component = component_log_density(quadratic_features(bin_centre_lab()), models, no_shift)
    table = np.empty((BIN_COUNT, len(palette.names)))
    for index in range(len(palette.names)):
        table[:, index] = np.logaddexp.reduce(component[:, models.owner == index], axis=1)
    return table


def fit_fixed_weights(log_likelihood: np.ndarray, counts: np.ndarray) -> np.ndarray:
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
        if np.abs(updated - weights).max() < EM_WEIGHT_TOLERANCE:
            return updated
        weights = updated
    return weights


def bin_mixture_log_density(features: np.ndarray, models: AppearanceModels, fit: MixtureFit) -> np.ndarray:
    """(bins,) log density of each bin under a fitted mixture."""
    with np.errstate(divide="ignore"):
        log_joint = component_log_density(features, models, fit.shifts) + np.log(fit.weights)[models.owner][None, :]
    return np.logaddexp.reduce(log_joint, axis=1)


