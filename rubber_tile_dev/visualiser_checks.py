"""Measurements of a visualiser picture against the scene's known geometry and light: where the laid
area's corners are, where its seams run and meet, how much darker it is in a cast shadow. The tests of
the Python and the browser visualiser both use them."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from rubber_tile.colors.colorspace import srgb_to_linear

LUMINANCE = np.array([0.2126, 0.7152, 0.0722])


def linear_luminance(image: np.ndarray) -> np.ndarray:
    return srgb_to_linear(image[..., :3]) @ LUMINANCE


def _sample(values: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear samples at continuous image coordinates (pixel i spans [i, i + 1])."""
    return ndimage.map_coordinates(values, [y - 0.5, x - 0.5], order=1, mode="nearest")


def fit_line(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a point on it, its unit direction) by total least squares."""
    centre = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - centre)
    return centre, vt[0]


def intersect(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    (p, d), (q, e) = a, b
    t = np.linalg.solve(np.array([d, -e]).T, q - p)[0]
    return p + t * d


def laid_corners(photo: np.ndarray, result: np.ndarray, corners: list[tuple[float, float]]) -> list[np.ndarray]:
    """The corners of the laid area as the picture shows them: along each marked edge, where the
    surface's colour (green against a grey ground) falls to half, fitted as lines and intersected."""
    green = lambda image: image[..., 1].astype(float) - (image[..., 0].astype(float) + image[..., 2].astype(float)) / 2  # noqa: E731
    change = green(result) - green(photo)
    quad = np.array(corners, float)
    clockwise = np.sign(np.sum((quad[1:, 0] - quad[:-1, 0]) * (quad[1:, 1] + quad[:-1, 1])) + (quad[0, 0] - quad[-1, 0]) * (quad[0, 1] + quad[-1, 1]))
    lines = []
    offsets = np.arange(-6.0, 6.01, 0.25)
    for k in range(4):
        a, b = quad[k], quad[(k + 1) % 4]
        along = (b - a) / np.linalg.norm(b - a)
        outward = np.array([along[1], -along[0]]) * -clockwise  # image y points down
        found = []
        for t in np.linspace(0.15, 0.85, 15):
            p = a + t * (b - a)
            profile = _sample(change, p[0] + offsets * outward[0], p[1] + offsets * outward[1])
            inner, outer = np.median(profile[offsets <= -4]), np.median(profile[offsets >= 4])
            level = (profile - outer) / (inner - outer)
            below = np.nonzero((level[:-1] >= 0.5) & (level[1:] < 0.5))[0]
            if below.size:
                i = below[0]
                s = offsets[i] + (level[i] - 0.5) / (level[i] - level[i + 1]) * 0.25
                found.append(p + s * outward)
        lines.append(fit_line(np.array(found)))
    return [intersect(lines[(k - 1) % 4], lines[k]) for k in range(4)]


def seam_lines(tiles: np.ndarray, seamless: np.ndarray, plane_to_image: np.ndarray, width_mm: float, depth_mm: float, tile_mm: float = 500.0) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:  # long: one search per seam
    """The seams a picture of tiles shows, as fitted lines. `seamless`: the same lay-out of the same
    plain texture without seams; their ratio keeps the seams and the tiles' tones, not the photo's
    light. For each tile edge inside the area (X or Y a multiple of tile_mm), the darkest point across
    it at points along it, searched within 4 px of where the plane says, fitted by least squares
    (points over 1 px off the first fit left out)."""
    luminance = linear_luminance(tiles) / np.maximum(linear_luminance(seamless), 1e-4)

    def to_image(X: float, Y: float) -> np.ndarray:
        v = plane_to_image @ np.array([X, Y, 1.0])
        return v[:2] / v[2]

    lines: dict[str, list] = {"width": [], "depth": []}
    offsets = np.arange(-4.0, 4.01, 0.25)
    for axis, length, across in (("width", width_mm, depth_mm), ("depth", depth_mm, width_mm)):
        for k in range(1, math.ceil(length / tile_mm)):
            found = []
            for u in np.linspace(0.08, 0.92, 25) * across:
                X, Y = (k * tile_mm, u) if axis == "width" else (u, k * tile_mm)
                p = to_image(X, Y)
                q = to_image(X, Y + 50) if axis == "width" else to_image(X + 50, Y)
                direction = (q - p) / np.linalg.norm(q - p)
                normal = np.array([-direction[1], direction[0]])
                profile = _sample(luminance, p[0] + offsets * normal[0], p[1] + offsets * normal[1])
                trend = np.polyval(np.polyfit(offsets, profile, 1), offsets)
                i = int(np.argmin(profile - trend))
                if 0 < i < len(offsets) - 1:
                    d = profile - trend
                    shift = 0.5 * (d[i - 1] - d[i + 1]) / (d[i - 1] - 2 * d[i] + d[i + 1]) if (d[i - 1] - 2 * d[i] + d[i + 1]) > 0 else 0.0
                    found.append(p + (offsets[i] + shift * 0.25) * normal)
            if len(found) >= 10:
                points = np.array(found)
                centre, direction = fit_line(points)
                off = np.abs((points - centre) @ np.array([-direction[1], direction[0]]))
                lines[axis].append(fit_line(points[off <= 1.0]) if (off <= 1.0).sum() >= 10 else (centre, direction))
    return lines


def direction_errors_deg(lines: list[tuple[np.ndarray, np.ndarray]], vanishing: np.ndarray) -> list[float]:
    """Per line, the angle between it and the line from its centre to the vanishing point
    (homogeneous: w = 0 for a point at infinity)."""
    errors = []
    for centre, direction in lines:
        towards = vanishing[:2] - centre * vanishing[2]
        towards = towards / np.linalg.norm(towards)
        cosine = abs(float(direction @ towards))
        errors.append(float(np.degrees(np.arccos(min(1.0, cosine)))))
    return errors


def shadow_ratio(image: np.ndarray, shadow: np.ndarray, sun: np.ndarray) -> float:
    """Mean linear luminance in `shadow` over that in `sun` (boolean masks)."""
    luminance = linear_luminance(image)
    return float(luminance[shadow].mean() / luminance[sun].mean())


def inside(corners: list[tuple[float, float]], shape: tuple[int, int], margin: float) -> np.ndarray:
    """HxW bool: pixel centres inside the quad, at least `margin` px from its edges."""
    from rubber_tile.visualise.geometry import signed_distance

    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    return signed_distance(corners, xs + 0.5, ys + 0.5) >= margin


def light_regions(visibility: np.ndarray, area: np.ndarray, margin: int) -> tuple[np.ndarray, np.ndarray]:
    """(full shadow, full sun) inside the area, each `margin` px clear of the other and of the edges."""
    shadow = ndimage.binary_erosion(np.nan_to_num(visibility, nan=1.0) == 0, iterations=margin) & area
    sun = ndimage.binary_erosion(np.nan_to_num(visibility, nan=0.0) == 1, iterations=margin) & area
    return shadow, sun
