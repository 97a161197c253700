"""Measure the 29 tile colours from the owner's single-colour photos and write data/palette.json.

    python scripts/build_palette.py [--photos ../shared/data/photos] [--out data/palette.json]

Each colour's photo is <CODE>_top.jpg (e.g. PEARL_top.jpg). Only numbers are written, never pixels.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from color_analyzer import as_rgb_array, find_tile_face  # noqa: E402
from palette import PALETTE_PATH, lab_to_srgb_uint8, parse_palette, srgb_to_lab  # noqa: E402
from tile_colors import TILE_COLORS  # noqa: E402

DEFAULT_PHOTOS_DIR = PROJECT_DIR.parent / "shared" / "data" / "photos"
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


def fit_gaussian_mixture(samples: np.ndarray, components: int, iterations: int) -> list[dict]:
    """Full-covariance Gaussian mixture by EM, started from lightness quantile groups (deterministic)."""
    order = np.argsort(samples[:, 0])
    groups = np.array_split(order, components)
    means = np.array([samples[g].mean(axis=0) for g in groups])
    covariances = np.array([np.cov(samples[g].T) + COVARIANCE_FLOOR * np.eye(3) for g in groups])
    weights = np.full(components, 1.0 / components)
    previous = -np.inf
    for _ in range(iterations):
        log_density = np.empty((len(samples), components))
        for k in range(components):
            diff = samples - means[k]
            inverse = np.linalg.inv(covariances[k])
            mahalanobis = np.einsum("ni,ij,nj->n", diff, inverse, diff)
            log_density[:, k] = (
                np.log(weights[k]) - 0.5 * (mahalanobis + np.log(np.linalg.det(covariances[k])) + 3 * np.log(2 * np.pi))
            )
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
    order_by_lightness = np.argsort(means[:, 0])
    return [
        {
            "weight": round(float(weights[k]), 4),
            "mean": [round(float(v), 2) for v in means[k]],
            "covariance": [[round(float(v), 3) for v in row] for row in covariances[k]],
        }
        for k in order_by_lightness
    ]


def face_lab(photo_path: Path) -> np.ndarray:
    """(N, 3) CIELAB of every pixel on the photo's tile face."""
    rgb = as_rgb_array(Image.open(photo_path))
    face = find_tile_face(rgb)
    if face.mean() < 0.2:
        raise ValueError(f"{photo_path}: could not find the tile face (found {face.mean():.0%} of the image)")
    return srgb_to_lab(rgb[face])


def typical_color(lab: np.ndarray) -> dict:
    """Typical lit colour and its spread, from the face pixels of a single-colour photo."""
    granules = lab[lab[:, 0] >= GAP_LIGHTNESS]
    low, high = np.percentile(granules[:, 0], LIT_PERCENTILES)
    lit = granules[(granules[:, 0] >= low) & (granules[:, 0] <= high)]
    typical_lab = np.median(lit, axis=0)
    return {
        "srgb": [int(v) for v in lab_to_srgb_uint8(typical_lab)],
        "lab": [round(float(v), 2) for v in typical_lab],
        "lab_spread": [round(float(v), 2) for v in lit.std(axis=0)],
        "gap_share": round(float(1.0 - len(granules) / len(lab)), 4),
    }


def measure_pixels(lab: np.ndarray) -> dict:
    """Typical colour, spread and appearance mixture from the face pixels (CIELAB) of one colour."""
    granules = lab[lab[:, 0] >= GAP_LIGHTNESS]
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
        "source": "scripts/build_palette.py over the owner's single-colour top-view photos (<CODE>_top.jpg)",
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


def build_palette(photos_dir: Path) -> dict:
    colors = []
    for tile_color in TILE_COLORS:
        photo_path = photos_dir / f"{tile_color.code}_top.jpg"
        if not photo_path.is_file():
            raise FileNotFoundError(f"single-colour photo for {tile_color.name!r} not found: {photo_path}")
        colors.append({"name": tile_color.name, "code": tile_color.code, **measure_color(photo_path)})
        print(f"{tile_color.name:12s} lab={colors[-1]['lab']} spread={colors[-1]['lab_spread']}", file=sys.stderr)
    return palette_document(colors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS_DIR, help="folder of <CODE>_top.jpg photos")
    parser.add_argument("--out", type=Path, default=PALETTE_PATH, help="where to write the palette JSON")
    args = parser.parse_args(argv)
    if not args.photos.is_dir():
        print(f"error: photo folder not found: {args.photos}", file=sys.stderr)
        return 2
    try:
        document = build_palette(args.photos)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    parse_palette(document)  # refuse to write a file the loader would reject
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
