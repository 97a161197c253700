"""A surface laid in a courtyard, ray cast as the truth the visualiser's picture is measured against.

The slab is the marked area raised `thickness_m`: its top is where the rays through the marked
corners meet z = thickness (so the photo's corners are the top's, as the visualiser draws them),
its sides stand straight down to the ground. It blocks the sun (the step's thin cast shadow) and
part of the sky of the ground beside it: the sky a point at distance d from a long straight edge of
height h no longer sees is the wall's view factor, (1 - d / sqrt(d^2 + h^2)) / 2 (half at the foot,
15% at d = h, 5% at d = 2h), the nearest edge taken for the whole outline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Albedo = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (x, y) world metres -> n x 3 linear albedo


def ray_box(origin: np.ndarray, direction: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance along each ray to the axis-aligned box lo..hi (inf where missed) and the axis of the face it
    enters (the slab test; the courtyard's boxes use it too)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - origin) / direction, (hi - origin) / direction
    near, far = np.fmin(t1, t2), np.fmax(t1, t2)
    t_near, t_far = np.nanmax(near, axis=-1), np.nanmin(far, axis=-1)
    hit = (t_far >= np.maximum(t_near, 1e-6)) & (t_near > 1e-6)
    return np.where(hit, t_near, np.inf), np.argmax(near, axis=-1)


@dataclass(frozen=True)
class Slab:
    """A box turned on the ground: corner `origin` (x, y), `along` and `across` unit vectors, its size."""

    origin: tuple[float, float]
    along: tuple[float, float]
    across: tuple[float, float]
    width_m: float
    depth_m: float
    thickness_m: float
    albedo: Albedo

    def local(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) in the slab's frame: u along, v across (from the origin), z."""
        along, across = np.array([*self.along, 0.0]), np.array([*self.across, 0.0])
        shifted = points - np.array([*self.origin, 0.0])
        return np.stack([shifted @ along, shifted @ across, points[..., 2]], axis=-1)

    def turn(self, directions: np.ndarray) -> np.ndarray:
        along, across = np.array([*self.along, 0.0]), np.array([*self.across, 0.0])
        return np.stack([directions @ along, directions @ across, directions[..., 2]], axis=-1)

    def hit(self, origin: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance along each ray to the slab (inf where missed) and the axis of the face it enters
        (0: a side across `along`, 1: a side across `across`, 2: the top)."""
        hi = np.array([self.width_m, self.depth_m, self.thickness_m])
        return ray_box(self.local(origin), self.turn(directions), np.zeros(3), hi)

    def normals(self, face: np.ndarray, directions: np.ndarray) -> np.ndarray:
        """World normals of the faces the rays enter."""
        axes = np.array([[*self.along, 0.0], [*self.across, 0.0], [0.0, 0.0, 1.0]])
        normal = axes[face]
        return normal * -np.sign(np.sum(normal * directions, axis=-1))[..., None]

    def sky_left(self, points: np.ndarray) -> np.ndarray:
        """Share of the sky a ground point beside the slab still sees (1 on the slab and far from it)."""
        p = self.local(points)
        du = np.maximum(np.maximum(-p[..., 0], p[..., 0] - self.width_m), 0.0)
        dv = np.maximum(np.maximum(-p[..., 1], p[..., 1] - self.depth_m), 0.0)
        d = np.hypot(du, dv)
        h = self.thickness_m
        blocked = 0.5 * (1 - d / np.sqrt(d * d + h * h))
        return np.where(d > 0, 1 - blocked, 1.0)


def laid_slab(scene, thickness_m: float, albedo: Albedo) -> Slab:
    """The slab whose top the scene's marked corners show."""
    camera = scene.camera
    forward, right, up = camera.basis()
    tops = []
    for x, y in scene.corners_px():
        ray = forward + (x - camera.width / 2) / camera.focal_px * right - (y - camera.height / 2) / camera.focal_px * up
        tops.append(camera.origin + ray * (thickness_m - camera.origin[2]) / ray[2])
    c0, c1, _, c3 = (np.array(t[:2]) for t in tops)
    width, depth = float(np.linalg.norm(c1 - c0)), float(np.linalg.norm(c3 - c0))
    along, across = (c1 - c0) / width, (c3 - c0) / depth
    return Slab((float(c0[0]), float(c0[1])), (float(along[0]), float(along[1])), (float(across[0]), float(across[1])), width, depth, thickness_m, albedo)


def plain(rgb: tuple[float, float, float]) -> Albedo:
    """One albedo everywhere."""
    color = np.array(rgb, float)
    return lambda x, y: np.broadcast_to(color, (np.size(x), 3)).copy()
