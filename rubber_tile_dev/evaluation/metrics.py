"""Evaluation-only measures: how much of an image's structure a change kept (SSIM of lightness)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from rubber_tile.colors.colorspace import lightness_fast
from rubber_tile.images import as_rgb_array


def lightness_ssim_terms(before: object, after: object, *, sigma: float = 1.5) -> tuple[float, float]:
    """Mean SSIM of the CIELAB lightness of two images and the mean of its structure term alone.

    Gaussian window (sigma 1.5 px, as Wang et al. 2004), data range 100 (L). The structure term
    is the windowed correlation of the two lightness patterns, brightness and contrast removed.
    """
    first = lightness_fast(as_rgb_array(before)).astype(np.float64)
    second = lightness_fast(as_rgb_array(after)).astype(np.float64)
    if first.shape != second.shape:
        raise ValueError(f"images differ in size: {first.shape} and {second.shape}")
    c1, c2 = (0.01 * 100.0) ** 2, (0.03 * 100.0) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter(x, sigma=sigma, truncate=3.5)

    mean_first, mean_second = blur(first), blur(second)
    var_first = np.maximum(blur(first * first) - mean_first**2, 0.0)
    var_second = np.maximum(blur(second * second) - mean_second**2, 0.0)
    covariance = blur(first * second) - mean_first * mean_second
    ssim = ((2 * mean_first * mean_second + c1) * (2 * covariance + c2)) / (
        (mean_first**2 + mean_second**2 + c1) * (var_first + var_second + c2)
    )
    structure = (covariance + c2 / 2) / (np.sqrt(var_first * var_second) + c2 / 2)
    return float(ssim.mean()), float(structure.mean())


def lightness_ssim(before: object, after: object, *, sigma: float = 1.5) -> float:
    """Mean SSIM of the CIELAB lightness of two images (Gaussian window, data range 100)."""
    return lightness_ssim_terms(before, after, sigma=sigma)[0]
