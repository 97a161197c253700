"""Colour distances in CIELAB.

`delta_e` is the CIE 1976 distance (Euclidean in L, a, b). `shading_distance` measures how far a
colour is from another lit or in shade: on a matte granule, shade scales L + 16, a and b together.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SHADE_RANGE", "delta_e", "pairwise_delta_e", "shading_distance"]

# A granule's mean colour is its lit colour times a shade factor in this range (on L + 16, a, b).
SHADE_RANGE = (0.6, 1.2)


def delta_e(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """CIE 1976 colour difference of two CIELAB arrays (..., 3), broadcast against each other."""
    difference = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    return np.sqrt((difference**2).sum(axis=-1))


def pairwise_delta_e(lab: np.ndarray) -> np.ndarray:
    """(n, n) CIE 1976 differences between every pair of the colours in `lab` (n, 3)."""
    lab = np.asarray(lab, dtype=np.float64)
    return delta_e(lab[:, None, :], lab[None, :, :])


def shading_distance(lab: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """(N, M) CIELAB distance from each colour in `lab` to each of `colors` lit or shaded.

    Shade scales L + 16, a and b together, so a colour in shade lies on the segment from the
    origin (L = -16) through the lit colour; the distance is to that segment between
    SHADE_RANGE[0] and SHADE_RANGE[1] times the lit colour. A red granule in shadow is then
    red, not terracotta.
    """
    points = np.asarray(lab, dtype=np.float64) + np.array([16.0, 0.0, 0.0])
    lit = np.asarray(colors, dtype=np.float64) + np.array([16.0, 0.0, 0.0])
    along = (points @ lit.T) / (lit * lit).sum(axis=1)[None, :]
    along = np.clip(along, *SHADE_RANGE)
    nearest = along[:, :, None] * lit[None, :, :]
    return delta_e(points[:, None, :], nearest)
