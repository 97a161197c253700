"""The courtyards' materials: albedo (linear RGB) of grounds, walls and furniture, the sky, leaves.

Every pattern is hashed value noise in world metres, its fine octaves faded out where a pixel covers
more than half their wavelength (so far ground does not shimmer).
"""

from __future__ import annotations

import numpy as np

from rubber_tile.visualise.geometry import hash01


def value_noise(x: np.ndarray, y: np.ndarray, scale: float, salt: int) -> np.ndarray:
    """Smooth noise in [-1, 1] with features `scale` metres wide."""
    gx, gy = x / scale, y / scale
    i, j = np.floor(gx), np.floor(gy)
    fx, fy = gx - i, gy - j
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    i, j = i.astype(np.int64), j.astype(np.int64)

    def v(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return 2 * hash01(a, b, salt, 77) - 1

    return (v(i, j) * (1 - fx) + v(i + 1, j) * fx) * (1 - fy) + (v(i, j + 1) * (1 - fx) + v(i + 1, j + 1) * fx) * fy


def fractal(x: np.ndarray, y: np.ndarray, footprint: np.ndarray, largest: float, octaves: int, salt: int) -> np.ndarray:
    """Octaves of value noise from `largest` metres down, each half as strong, faded where too fine to see."""
    total = np.zeros(np.shape(x))
    for octave in range(octaves):
        scale = largest / 2**octave
        fade = np.clip(scale / (2 * footprint) - 0.5, 0.0, 1.0)
        total += 0.5**octave * fade * value_noise(x, y, scale, salt + octave)
    return total


def joints(coordinate: np.ndarray, spacing: float, width: float, footprint: np.ndarray) -> np.ndarray:
    """How much of each pixel a joint covers: lines `width` m wide every `spacing` m, spread over the pixel."""
    distance = np.abs((coordinate + spacing / 2) % spacing - spacing / 2)
    pixel = np.maximum(footprint, 1e-4)
    overlap = np.minimum(distance + pixel / 2, width / 2) - np.maximum(distance - pixel / 2, -width / 2)
    return np.clip(overlap / pixel, 0.0, 1.0)


def _tinted(base: tuple[float, float, float], variation: np.ndarray) -> np.ndarray:
    return np.array(base)[None, :] * np.clip(1 + variation, 0.05, 3.0)[:, None]


def paving(x: np.ndarray, y: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Concrete pavers 0.4 x 0.2 m in running bond, each its own tone, with sand joints."""
    row = np.floor(y / 0.2)
    shifted = x + 0.2 * (row % 2)
    slab = hash01(np.floor(shifted / 0.4).astype(np.int64), row.astype(np.int64), 3, 1) - 0.5
    variation = 0.16 * slab + 0.12 * fractal(x, y, footprint, 0.05, 4, 10) + 0.08 * fractal(x, y, footprint, 1.5, 2, 20)
    color = _tinted((0.30, 0.27, 0.23), variation)
    joint = 1 - (1 - joints(shifted, 0.4, 0.006, footprint)) * (1 - joints(y, 0.2, 0.006, footprint))
    return color * (1 - 0.55 * joint)[:, None]


def asphalt(x: np.ndarray, y: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    variation = 0.35 * fractal(x, y, footprint, 0.012, 3, 30) + 0.15 * fractal(x, y, footprint, 1.2, 3, 40)
    return _tinted((0.075, 0.073, 0.072), variation)


def concrete(x: np.ndarray, y: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    variation = 0.07 * fractal(x, y, footprint, 0.02, 3, 50) + 0.14 * fractal(x, y, footprint, 2.0, 3, 60)
    joint = 1 - (1 - joints(x, 3.0, 0.01, footprint)) * (1 - joints(y, 3.0, 0.01, footprint))
    return _tinted((0.36, 0.35, 0.33), variation) * (1 - 0.5 * joint)[:, None]


def earth(x: np.ndarray, y: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    variation = 0.3 * fractal(x, y, footprint, 0.03, 4, 70) + 0.2 * fractal(x, y, footprint, 1.0, 3, 80)
    return _tinted((0.21, 0.16, 0.11), variation)


def grass(x: np.ndarray, y: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    blades = 0.45 * fractal(x, y, footprint, 0.01, 3, 90)
    patches = 0.25 * fractal(x, y, footprint, 0.8, 3, 100)
    color = _tinted((0.055, 0.11, 0.028), blades + patches)
    dry = np.clip(fractal(x, y, footprint, 1.5, 2, 110), 0, 1)[:, None]
    return color * (1 - dry) + _tinted((0.16, 0.14, 0.07), blades) * dry


GROUNDS = {"paving": paving, "asphalt": asphalt, "concrete": concrete, "earth": earth, "grass": grass}


def box_albedo(material: str, p: np.ndarray, face: np.ndarray) -> np.ndarray:
    """Albedo of a box's face at points p (n x 3), face = the axis of its normal."""
    u = np.where(face == 0, p[:, 1], p[:, 0])
    v = np.where(face == 2, p[:, 1], p[:, 2])
    fine = np.full(len(p), 0.003)
    if material == "plaster":
        color = _tinted((0.52, 0.47, 0.40), 0.06 * fractal(u, v, fine, 0.05, 3, 120) + 0.1 * fractal(u, v, fine, 1.5, 2, 130))
        plinth = (v < 0.35)[:, None]
        return np.where(plinth, color * np.array([0.55, 0.55, 0.6]), color)
    if material == "brick":
        course = np.floor(v / 0.075)
        shifted = u + 0.125 * (course % 2)
        brick = hash01(np.floor(shifted / 0.25).astype(np.int64), course.astype(np.int64), 5, 2) - 0.5
        color = _tinted((0.32, 0.12, 0.07), 0.3 * brick + 0.1 * fractal(u, v, fine, 0.02, 2, 140))
        mortar = np.maximum(joints(v, 0.075, 0.01, fine), joints(shifted, 0.25, 0.01, fine))[:, None]
        return color * (1 - mortar) + np.array([0.4, 0.38, 0.34]) * mortar
    if material == "wood":
        grain = 0.25 * value_noise(u * 0.05, v, 0.01, 150) + 0.1 * fractal(u, v, fine, 0.3, 2, 160)
        return _tinted((0.26, 0.14, 0.07), grain)
    if material == "metal":
        return _tinted((0.06, 0.065, 0.07), 0.05 * fractal(u, v, fine, 0.2, 2, 170))
    if material == "hedge":
        return _tinted((0.035, 0.075, 0.025), 0.6 * fractal(u, v, fine, 0.04, 3, 180))
    raise ValueError(f"unknown box material {material!r}")


def sky_color(directions: np.ndarray) -> np.ndarray:
    """Linear RGB of the sky in each direction: pale at the horizon, bluer up."""
    up = np.clip(directions[..., 2] / np.linalg.norm(directions, axis=-1), 0.0, 1.0) ** 0.5
    horizon, zenith = np.array([2.4, 2.5, 2.6]), np.array([0.9, 1.3, 2.3])
    return horizon * (1 - up[..., None]) + zenith * up[..., None]


def canopy_open(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Where light passes a crown of leaves (the rest is leaves): holes between clumps."""
    fine = np.full(np.shape(x), 0.005)
    leaves = fractal(x, y, fine, 0.35, 5, 200 + seed) + 0.5 * value_noise(x, y, 3.0, 210 + seed)
    return leaves < -0.1
