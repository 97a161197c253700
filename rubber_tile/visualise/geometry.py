"""The visualiser's geometry: the area's plane in the photo (the browser's visualiser_geometry.js, mirrored).

The area's four corners c0..c3 go round it; c0 -> c1 is its width, c1 -> c2 its depth. A homography
maps the plane (mm, X along the width, Y along the depth, c0 at the origin) to the photo (px); its
inverse gives each pixel's point on the ground. An outline (three or more points, the four corners by
default) says where the surface is laid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# A phone's main camera (35 mm equivalent focal length) held this high: the default area size.
ASSUMED_FOCAL_35MM = 26.0
ASSUMED_CAMERA_HEIGHT_M = 1.6
SIZE_LIMITS_M = (0.2, 200.0)
FULL_FRAME_DIAGONAL_MM = 43.27
MIN_AREA_SHARE = 0.0005  # of the photo: a smaller area is a slip of the finger

Point = tuple[float, float]


class AreaError(ValueError):
    """Corners, an outline or a size that cannot make an area; the message says what to fix."""


def square_to_quad(corners: Sequence[Point]) -> np.ndarray | None:
    """3x3: the homography taking the unit square's corners (0,0), (1,0), (1,1), (0,1) to `corners`."""
    rows, values = [], []
    for (u, v), (x, y) in zip(((0, 0), (1, 0), (1, 1), (0, 1)), corners, strict=True):
        rows += [[u, v, 1, 0, 0, 0, -u * x, -v * x], [0, 0, 0, u, v, 1, -u * y, -v * y]]
        values += [x, y]
    try:
        h = np.linalg.solve(np.array(rows, float), np.array(values, float))
    except np.linalg.LinAlgError:
        return None
    return np.append(h, 1.0).reshape(3, 3)


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p: Point, q: Point, r: Point, s: Point) -> bool:
    return _cross(r, s, p) * _cross(r, s, q) < 0 and _cross(p, q, r) * _cross(p, q, s) < 0


def polygon_area(points: Sequence[Point]) -> float:
    return sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(points, [*points[1:], points[0]], strict=True)) / 2


def check_corners(corners: Sequence[Point], width: int, height: int) -> None:
    """AreaError unless the corners are 4 points in the photo making a convex, not self-crossing area."""
    if len(corners) != 4:
        raise AreaError(f"the area needs exactly 4 corners (8 numbers x1,y1,...,x4,y4), got {len(corners)}")
    for k, (x, y) in enumerate(corners, start=1):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise AreaError(f"corner {k} is not a number: ({x}, {y})")
        if not (0 <= x <= width and 0 <= y <= height):
            raise AreaError(f"corner {k} ({x:g}, {y:g}) is outside the photo, which is {width} x {height} px")
    c = list(corners)
    if _segments_cross(c[0], c[1], c[2], c[3]) or _segments_cross(c[1], c[2], c[3], c[0]):
        raise AreaError("the corners' edges cross each other: give the corners in order around the area")
    turns = [_cross(c[k], c[(k + 1) % 4], c[(k + 2) % 4]) for k in range(4)]
    sign = np.sign(sum(turns))
    for k, turn in enumerate(turns):
        if np.sign(turn) != sign:
            raise AreaError(f"corner {(k + 1) % 4 + 1} points inwards: the four corners must make a convex shape")
    if abs(polygon_area(c)) < MIN_AREA_SHARE * width * height:
        raise AreaError("the area is too small: spread the corners over the ground to cover")


def check_outline(outline: Sequence[Point], width: int, height: int, to_plane: PlaneMap) -> None:
    """AreaError unless the outline has 3+ points in the photo, does not cross itself and stays on the ground."""
    if len(outline) < 3:
        raise AreaError(f"an outline needs at least 3 points, got {len(outline)}")
    for k, (x, y) in enumerate(outline, start=1):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise AreaError(f"outline point {k} is not a number: ({x}, {y})")
        if not (0 <= x <= width and 0 <= y <= height):
            raise AreaError(f"outline point {k} ({x:g}, {y:g}) is outside the photo, which is {width} x {height} px")
    n = len(outline)
    for i in range(n):
        for j in range(i + 2, n):
            if not (i == 0 and j == n - 1) and _segments_cross(outline[i], outline[(i + 1) % n], outline[j], outline[(j + 1) % n]):
                raise AreaError("the outline crosses itself: give its points in order around the area")
    for k, (x, y) in enumerate(outline, start=1):
        if np.sign(to_plane.apply(x, y)[2]) != np.sign(to_plane.w0):
            raise AreaError(f"outline point {k} is above the horizon of the ground the corners mark")
    if abs(polygon_area(outline)) < MIN_AREA_SHARE * width * height:
        raise AreaError("the outline is too small: spread its points over the ground to cover")


def assumed_focal_px(width: int, height: int) -> float:
    """The focal length in px of a phone's main camera (ASSUMED_FOCAL_35MM) for a photo this size."""
    return ASSUMED_FOCAL_35MM * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM


def estimate_area_size(corners: Sequence[Point], width: int, height: int) -> tuple[float, float] | None:
    """(width, depth) in metres from the corners alone, for a phone camera held ASSUMED_CAMERA_HEIGHT_M
    high, rounded to 0.1 m; None where the corners say nothing sensible."""
    square = square_to_quad(corners)
    if square is None:
        return None
    focal = assumed_focal_px(width, height)
    inverse_k = np.array([[1 / focal, 0, -width / 2 / focal], [0, 1 / focal, -height / 2 / focal], [0, 0, 1]])
    m = inverse_k @ square
    h1, h2, h3 = m[:, 0], m[:, 1], m[:, 2]
    normal = np.cross(h1, h2)
    reach = abs(float(normal @ h3)) / float(np.linalg.norm(normal))
    if not reach > 0:
        return None
    size = (float(np.linalg.norm(h1)) * ASSUMED_CAMERA_HEIGHT_M / reach, float(np.linalg.norm(h2)) * ASSUMED_CAMERA_HEIGHT_M / reach)
    low, high = SIZE_LIMITS_M
    if not all(low <= s <= high for s in size):
        return None
    return round(size[0] * 10) / 10, round(size[1] * 10) / 10


@dataclass(frozen=True)
class PlaneMap:
    """Photo px -> plane mm: the 3x3 matrix, and the homogeneous w at the corners' centre (its sign is the ground's)."""

    matrix: np.ndarray
    w0: float

    def apply(self, x: float, y: float) -> tuple[float, float, float]:
        m = self.matrix
        w = m[2, 0] * x + m[2, 1] * y + m[2, 2]
        return (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / w, (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / w, w


def photo_to_plane(corners: Sequence[Point], width_mm: float, depth_mm: float) -> PlaneMap:
    square = square_to_quad(corners)
    if square is None:
        raise AreaError("three of the corners lie on one line: mark the area's four corners")
    matrix = np.diag([width_mm, depth_mm, 1.0]) @ np.linalg.inv(square)
    cx = sum(p[0] for p in corners) / 4
    cy = sum(p[1] for p in corners) / 4
    w0 = float(matrix[2, 0] * cx + matrix[2, 1] * cy + matrix[2, 2])
    return PlaneMap(matrix, w0)


def _lowbias32(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def _uint32(value: np.ndarray | int) -> np.ndarray:
    return (np.asarray(value, dtype=np.int64) & 0xFFFFFFFF).astype(np.uint32)


def hash01(a: np.ndarray | int, b: np.ndarray | int, c: np.ndarray | int, d: np.ndarray | int) -> np.ndarray:
    """Numbers in [0, 1) from four whole numbers (negative ones taken modulo 2^32), as the browser hashes."""
    with np.errstate(over="ignore"):
        h = _lowbias32(_uint32(d))
        h = _lowbias32(h ^ _uint32(c))
        h = _lowbias32(h ^ _uint32(b))
        h = _lowbias32(h ^ _uint32(a))
    return h.astype(np.float64) / 4294967296.0


def edge_normals_y(points: Sequence[Point]) -> np.ndarray:
    """The outward normals' y parts of a polygon's edges (edge k runs from point k-1 to point k):
    positive where an edge faces down the photo, towards the camera."""
    n = len(points)
    cx, cy = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    normals = []
    for i in range(n):
        (ax, ay), (bx, by) = points[i - 1], points[i]
        ex, ey = bx - ax, by - ay
        length = math.sqrt(ex * ex + ey * ey)
        outward = 1 if ey * ((ax + bx) / 2 - cx) - ex * ((ay + by) / 2 - cy) >= 0 else -1
        normals.append(-ex / length * outward)
    return np.array(normals)


def signed_distance(points: Sequence[Point], x: np.ndarray, y: np.ndarray, *, nearest: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Signed distance (px) from each (x, y) to a closed polygon, positive inside; with `nearest`, also
    the index of the nearest edge (edge k runs from point k-1 to point k)."""
    best = np.full(np.broadcast(x, y).shape, np.inf)
    edge = np.zeros(best.shape, np.int64)
    inside = np.zeros(best.shape, bool)
    n = len(points)
    for i in range(n):
        ax, ay = points[i - 1]
        bx, by = points[i]
        ex, ey = bx - ax, by - ay
        t = np.clip(((x - ax) * ex + (y - ay) * ey) / (ex * ex + ey * ey), 0.0, 1.0)
        dx, dy = x - (ax + t * ex), y - (ay + t * ey)
        squared = dx * dx + dy * dy
        closer = squared < best
        best, edge = np.where(closer, squared, best), np.where(closer, i, edge)
        if ay != by:
            crossing = ((ay > y) != (by > y)) & (x < (bx - ax) * (y - ay) / (by - ay) + ax)
            inside ^= crossing
    distance = np.sqrt(best)
    signed = np.where(inside, distance, -distance)
    return (signed, edge) if nearest else signed
