"""What the palette build measures on a single-colour photo: the typical lit colour, its spread and
an appearance mixture of the granule pixels (scripts/eval/build_palette.py writes them to
rubber_tile/data/palette.json). The reports measure renders and photo halves the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from rubber_tile.analyzer import find_tile_face
from rubber_tile.colors.colorspace import lab_to_srgb_uint8, srgb_to_lab
from rubber_tile.images import as_rgb_array

# Darker than this (CIELAB L) is a gap or deep shadow between granules: no granule colour.
GAP_LIGHTNESS = 8.0
# Lit granule pixels, for the typical colour and its spread: this band of lightness percentiles
# leaves out shaded facets and specular highlights.
LIT_PERCENTILES = (25.0, 95.0)
MIXTURE_COMPONENTS = 4
MIXTURE_SAMPLE = 40_000
MIXTURE_ITERATIONS = 200
# Floor added to every covariance diagonal (Lab units squared): JPEG quantisation noise.
COVARIANCE_FLOOR = 1.0
# The photos' face must cover at least this share of the image, or the face was not found.
MIN_FACE_FRACTION = 0.2
PALETTE_SOURCE = "scripts/eval/build_palette.py over the owner's single-colour top-view photos (<CODE>_top.jpg)"


def _log_densities(samples: np.ndarray, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> np.ndarray:
    """(N, K) log of weight times Gaussian density of each sample under each component."""
    log_density = np.empty((len(samples), len(weights)))
    for k in range(len(weights)):
        diff = samples - means[k]
        inverse = np.linalg.inv(covariances[k])
        mahalanobis = np.einsum("ni,ij,nj->n", diff, inverse, diff)
        log_determinant = np.log(np.linalg.det(covariances[k]))
        log_density[:, k] = np.log(weights[k]) - 0.5 * (mahalanobis + log_determinant + 3 * np.log(2 * np.pi))
    return log_density


def fit_gaussian_mixture(samples: np.ndarray, components: int, iterations: int) -> list[dict]:
    """Full-covariance Gaussian mixture by EM, started from lightness quantile groups (deterministic)."""
    order = np.argsort(samples[:, 0])
    groups = np.array_split(order, components)
    means = np.array([samples[g].mean(axis=0) for g in groups])
    covariances = np.array([np.cov(samples[g].T) + COVARIANCE_FLOOR * np.eye(3) for g in groups])
    weights = np.full(components, 1.0 / components)
    previous = -np.inf
    for _ in range(iterations):
        log_density = _log_densities(samples, weights, means, covariances)
        top = log_density.max(axis=1, keepdims=True)
        log_total = top[:, 0] + np.log(np.exp(log_density - top).sum(axis=1))
        responsibility = np.exp(log_density - log_total[:, None])
        mass = responsibility.sum(axis=0) + 1e-9
        weights = mass / mass.sum()
        means = (responsibility.T @ samples) / mass[:, None]
        for k in range(components):
            diff = samples - means[k]
            covariances[k] = (responsibility[:, k, None] * diff).T @ diff / mass[k] + COVARIANCE_FLOOR * np.eye(3)
        mean_log_likelihood = float(log_total.mean())
        if mean_log_likelihood - previous < 1e-6:
            break
        previous = mean_log_likelihood
    return [
        {
            "weight": round(float(weights[k]), 4),
            "mean": [round(float(v), 2) for v in means[k]],
            "covariance": [[round(float(v), 3) for v in row] for row in covariances[k]],
        }
        for k in np.argsort(means[:, 0])
    ]


def face_lab(photo_path: Path) -> np.ndarray:
    """(N, 3) CIELAB of every pixel on the photo's tile face."""
    rgb = as_rgb_array(Image.open(photo_path))
    face = find_tile_face(rgb)
    if face.mean() < MIN_FACE_FRACTION:
        raise ValueError(f"{photo_path}: could not find the tile face (found {face.mean():.0%} of the image)")
    return srgb_to_lab(rgb[face])


def granule_pixels(lab: np.ndarray, gap_lightness: float = GAP_LIGHTNESS) -> np.ndarray:
    """The CIELAB pixels (N, 3) not darker than a gap."""
    return lab[lab[:, 0] >= gap_lightness]


def lit_pixels(granules: np.ndarray) -> np.ndarray:
    """The granule pixels within the LIT_PERCENTILES band of their lightness."""
    low, high = np.percentile(granules[:, 0], LIT_PERCENTILES)
    return granules[(granules[:, 0] >= low) & (granules[:, 0] <= high)]


def lit_lab(lab: np.ndarray, gap_lightness: float = GAP_LIGHTNESS) -> np.ndarray:
    """Median CIELAB of the lit granule pixels: a colour's typical colour as the palette measures it."""
    return np.median(lit_pixels(granule_pixels(lab, gap_lightness)), axis=0)


def typical_color(lab: np.ndarray) -> dict:
    """Typical lit colour and its spread, from the face pixels of a single-colour photo."""
    granules = granule_pixels(lab)
    lit = lit_pixels(granules)
    typical_lab = np.median(lit, axis=0)
    return {
        "srgb": [int(v) for v in lab_to_srgb_uint8(typical_lab)],
        "lab": [round(float(v), 2) for v in typical_lab],
        "lab_spread": [round(float(v), 2) for v in lit.std(axis=0)],
        "gap_share": round(float(1.0 - len(granules) / len(lab)), 4),
    }


def measure_pixels(lab: np.ndarray) -> dict:
    """Typical colour, spread and appearance mixture from the face pixels (CIELAB) of one colour."""
    granules = granule_pixels(lab)
    rng = np.random.default_rng(0)
    sample = granules[rng.choice(len(granules), size=min(MIXTURE_SAMPLE, len(granules)), replace=False)]
    return {
        **typical_color(lab),
        "appearance": fit_gaussian_mixture(sample, MIXTURE_COMPONENTS, MIXTURE_ITERATIONS),
    }


def measure_color(photo_path: Path) -> dict:
    """Typical colour, spread and appearance mixture of the granules on one single-colour photo."""
    return measure_pixels(face_lab(photo_path))


def palette_document(colors: list[dict]) -> dict:
    """The palette JSON document around the per-colour entries (name, code and measure_pixels' numbers)."""
    return {
        "version": 1,
        "source": PALETTE_SOURCE,
        "color_space": "sRGB 0-255 (D65); CIELAB D65 2-degree",
        "definitions": {
            "srgb, lab": "per-channel median (in CIELAB) of lit granule pixels of the tile face",
            "lab_spread": "standard deviation of L, a, b over lit granule pixels "
            f"(lightness percentiles {LIT_PERCENTILES[0]:g}-{LIT_PERCENTILES[1]:g} of the face)",
            "gap_share": "share of face pixels darker than gap_lightness",
            "appearance": "Gaussian mixture in CIELAB of all face pixels not darker than gap_lightness",
        },
        "gap_lightness": GAP_LIGHTNESS,
        "colors": colors,
    }
