"""Synthetic courtyards with known geometry and light, for the visualiser's tests and its blind look.

A pinhole camera at standing height looks at a ground plane (z = 0, metres; x right, y ahead) with
boxes on it (walls, a bench, a post), lit by a sun (soft shadows from a few rays over its disc) and a
sky, and optionally a canopy of leaves whose shadow dapples the ground. Everything is ray cast in
numpy, so the test knows what the photo should say: where the area's corners fall (`corners_px`),
where its edges' vanishing points are, and how much darker the ground is in full shadow than in full
sun (`shadow_ratio`). Materials are in courtyard_materials.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .courtyard_materials import GROUNDS, box_albedo, canopy_open, sky_color
from .courtyard_slab import Slab, ray_box

LUMINANCE = np.array([0.2126, 0.7152, 0.0722])
SUN_DISC_SAMPLES = 8
SUN_DISC_RADIUS_DEG = 0.8  # a little over the real sun's, as a slightly hazy sky softens shadows


@dataclass(frozen=True)
class Camera:
    width: int
    height: int
    focal_35mm: float = 26.0
    height_m: float = 1.6
    pitch_deg: float = 35.0  # below the horizon
    yaw_deg: float = 0.0

    @property
    def focal_px(self) -> float:
        return self.focal_35mm * math.hypot(self.width, self.height) / 43.27

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(forward, right, up) unit vectors in the world."""
        pitch, yaw = math.radians(self.pitch_deg), math.radians(self.yaw_deg)
        forward = np.array([math.sin(yaw) * math.cos(pitch), math.cos(yaw) * math.cos(pitch), -math.sin(pitch)])
        right = np.array([math.cos(yaw), -math.sin(yaw), 0.0])
        return forward, right, np.cross(right, forward)

    @property
    def origin(self) -> np.ndarray:
        return np.array([0.0, 0.0, self.height_m])

    def rays(self, rows: slice) -> np.ndarray:
        """(h, W, 3) ray directions through the pixel centres of these rows."""
        forward, right, up = self.basis()
        ys = (np.arange(self.height)[rows] + 0.5 - self.height / 2) / self.focal_px
        xs = (np.arange(self.width) + 0.5 - self.width / 2) / self.focal_px
        return forward + xs[None, :, None] * right - ys[:, None, None] * up

    def project(self, point: np.ndarray) -> tuple[float, float]:
        """Continuous image coordinates (pixel i spans [i, i + 1]) of a world point in front of the camera."""
        forward, right, up = self.basis()
        d = np.asarray(point, float) - self.origin
        depth = d @ forward
        return self.width / 2 + self.focal_px * (d @ right) / depth, self.height / 2 - self.focal_px * (d @ up) / depth

    def vanishing_point(self, direction: np.ndarray) -> tuple[float, float]:
        forward, right, up = self.basis()
        d = np.asarray(direction, float)
        return self.width / 2 + self.focal_px * (d @ right) / (d @ forward), self.height / 2 - self.focal_px * (d @ up) / (d @ forward)


@dataclass(frozen=True)
class Box:
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    material: str  # courtyard_materials.BOX_MATERIALS


@dataclass(frozen=True)
class GroundArea:
    """The rectangle the customer would mark: corner c0, the width along `angle_deg` (from +x), the depth to its left."""

    origin: tuple[float, float]
    width_m: float
    depth_m: float
    angle_deg: float = 0.0

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        a = math.radians(self.angle_deg)
        return np.array([math.cos(a), math.sin(a), 0.0]), np.array([-math.sin(a), math.cos(a), 0.0])

    def corners(self) -> list[np.ndarray]:
        along, across = self.axes()
        o = np.array([*self.origin, 0.0])
        return [o, o + along * self.width_m, o + along * self.width_m + across * self.depth_m, o + across * self.depth_m]


@dataclass(frozen=True)
class Scene:
    camera: Camera
    area: GroundArea
    ground: str = "paving"  # courtyard_materials.GROUNDS
    boxes: tuple[Box, ...] = ()
    sun_azimuth_deg: float = 135.0  # from +y towards +x
    sun_elevation_deg: float = 40.0
    sun: float = 3.0  # irradiance on a surface facing the sun, sky = 1 on open ground
    sky_tint: tuple[float, float, float] = (0.85, 0.95, 1.15)  # the sky's light against the sun's
    canopy_height_m: float | None = None
    exposure: float = 0.22  # linear value of a white surface in full sun ... times this
    noise_levels: float = 2.0
    seed: int = 0
    extras: dict = field(default_factory=dict)

    @property
    def sun_direction(self) -> np.ndarray:
        az, el = math.radians(self.sun_azimuth_deg), math.radians(self.sun_elevation_deg)
        return np.array([math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), math.sin(el)])

    @property
    def shadow_ratio(self) -> float:
        """Open ground in full shadow over open ground in full sun (luminance, linear light)."""
        sky = float(np.array(self.sky_tint) @ LUMINANCE)
        return sky / (self.sun * self.sun_direction[2] + sky)

    def corners_px(self) -> list[tuple[float, float]]:
        return [self.camera.project(c) for c in self.area.corners()]


def hit_box(origin: np.ndarray, direction: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Distance along each ray to the box (inf where missed) and the axis of the face it enters."""
    return ray_box(origin, direction, np.array(box.lo), np.array(box.hi))


def sun_visibility(scene: Scene, points: np.ndarray, slab: Slab | None = None) -> np.ndarray:
    """Share of the sun's disc each point sees (0 in full shadow, 1 in full sun)."""
    rng = np.random.default_rng([scene.seed, 9])
    centre = scene.sun_direction
    side = np.cross(centre, [0.0, 0.0, 1.0])
    side /= np.linalg.norm(side)
    lift = np.cross(side, centre)
    seen = np.zeros(points.shape[:-1])
    radius = math.tan(math.radians(SUN_DISC_RADIUS_DEG))
    for k in range(SUN_DISC_SAMPLES):
        angle, reach = 2 * math.pi * (k + rng.random()) / SUN_DISC_SAMPLES, radius * math.sqrt((k + 0.5) / SUN_DISC_SAMPLES)
        ray = centre + reach * (math.cos(angle) * side + math.sin(angle) * lift)
        ray /= np.linalg.norm(ray)
        blocked = np.zeros(points.shape[:-1], bool)
        for box in scene.boxes:
            blocked |= np.isfinite(hit_box(points, np.broadcast_to(ray, points.shape), box)[0])
        if slab is not None:
            blocked |= np.isfinite(slab.hit(points, np.broadcast_to(ray, points.shape))[0])
        if scene.canopy_height_m is not None:
            reach_up = (scene.canopy_height_m - points[..., 2]) / ray[2]
            crown = points + reach_up[..., None] * ray
            blocked |= ~canopy_open(crown[..., 0], crown[..., 1], scene.seed)
        seen += ~blocked
    return seen / SUN_DISC_SAMPLES


def ground_occlusion(scene: Scene, points: np.ndarray) -> np.ndarray:
    """Sky light left at each ground point near the boxes' feet (a soft darkening at walls and legs)."""
    left = np.ones(points.shape[:-1])
    for box in scene.boxes:
        if box.lo[2] > 0.05:
            continue
        dx = np.maximum(np.maximum(box.lo[0] - points[..., 0], points[..., 0] - box.hi[0]), 0.0)
        dy = np.maximum(np.maximum(box.lo[1] - points[..., 1], points[..., 1] - box.hi[1]), 0.0)
        reach = 0.25 * min(1.0, box.hi[2] - box.lo[2])
        left *= 1 - 0.45 * np.exp(-np.hypot(dx, dy) / max(reach, 0.02))
    return left


Albedo = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def render_rows(scene: Scene, rows: slice, ground_albedo: Albedo | None, slab: Slab | None = None) -> dict[str, np.ndarray]:  # long: one ray cast
    """Linear RGB of these rows (before exposure), the ground's irradiance there (nan off the ground),
    the sun's visibility on the ground, which pixels show a box (a wall, a bench, a post) and which
    the laid slab (1: its top, 2: a side)."""
    camera = scene.camera
    directions = camera.rays(rows)
    origin = camera.origin
    distance = np.where(directions[..., 2] < 0, -origin[2] / np.where(directions[..., 2] < 0, directions[..., 2], -1), np.inf)
    which = np.full(distance.shape, -1)
    axis = np.zeros(distance.shape, int)
    for index, box in enumerate(scene.boxes):
        t, face = hit_box(origin, directions, box)
        closer = t < distance
        distance, which, axis = np.where(closer, t, distance), np.where(closer, index, which), np.where(closer, face, axis)
    if slab is not None:
        t, face = slab.hit(origin, directions)
        closer = t < distance
        distance, which, axis = np.where(closer, t, distance), np.where(closer, -2, which), np.where(closer, face, axis)
    points = origin + distance[..., None] * directions
    sky_tint = np.array(scene.sky_tint)
    color = sky_color(directions) * (1.0 + scene.sun * 0.25)
    irradiance_ground = np.full(distance.shape, np.nan)
    visibility_ground = np.full(distance.shape, np.nan)
    ground = np.isfinite(distance) & (which == -1)
    if ground.any():
        p = points[ground]
        footprint = distance[ground] / camera.focal_px / np.maximum(-directions[ground][:, 2], 0.05)
        albedo = GROUNDS[scene.ground](p[:, 0], p[:, 1], footprint)
        if ground_albedo is not None:
            albedo = ground_albedo(p[:, 0], p[:, 1], albedo)
        seen = sun_visibility(scene, p + np.array([0.0, 0.0, 1e-4]), slab)
        sky = ground_occlusion(scene, p) * (slab.sky_left(p) if slab is not None else 1.0)
        light = scene.sun * scene.sun_direction[2] * seen[:, None] + sky[:, None] * sky_tint
        color[ground] = albedo * light
        irradiance_ground[ground] = light @ LUMINANCE
        visibility_ground[ground] = seen
    laid = np.zeros(distance.shape, np.uint8)
    on = np.isfinite(distance) & (which == -2)
    if on.any():
        p, face = points[on], axis[on]
        normal = slab.normals(face, directions[on])
        seen = sun_visibility(scene, p + normal * 1e-4, slab)
        facing = np.clip(normal @ scene.sun_direction, 0.0, None)
        sky = np.where(face == 2, ground_occlusion(scene, p), 0.55)
        color[on] = slab.albedo(p[:, 0], p[:, 1]) * ((scene.sun * facing * seen)[:, None] + sky[:, None] * sky_tint)
        laid[on] = np.where(face == 2, 1, 2)
    for index, box in enumerate(scene.boxes):
        on = np.isfinite(distance) & (which == index)
        if not on.any():
            continue
        p, face = points[on], axis[on]
        normal = np.zeros(p.shape)
        normal[np.arange(len(p)), face] = -np.sign(directions[on][np.arange(len(p)), face])
        seen = sun_visibility(scene, p + normal * 1e-4, slab)
        facing = np.clip(normal @ scene.sun_direction, 0.0, None)
        sky = np.where(face == 2, 1.0, 0.55)[:, None] * sky_tint
        color[on] = box_albedo(box.material, p, face) * (scene.sun * facing * seen)[:, None] + box_albedo(box.material, p, face) * sky
    return {"linear": color, "irradiance": irradiance_ground, "visibility": visibility_ground,
            "objects": np.isfinite(distance) & (which >= 0), "laid": laid}


def render(scene: Scene, ground_albedo: Albedo | None = None, rows_per_pass: int = 64, slab: Slab | None = None) -> dict[str, np.ndarray]:
    """The photo (HxWx3 uint8) with its ground irradiance and sun visibility (HxW, nan off the ground),
    `objects` (HxW bool: a box is seen there) and `laid` (HxW uint8: 1 the slab's top, 2 its side).

    ground_albedo(x, y, albedo) -> albedo replaces the ground's where given; slab: a surface laid on
    the area (courtyard_slab.py), the ground truth of the visualiser's picture, lit by the same light."""
    camera = scene.camera
    parts = [render_rows(scene, slice(top, min(camera.height, top + rows_per_pass)), ground_albedo, slab) for top in range(0, camera.height, rows_per_pass)]
    joined = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    return {"photo": expose(scene, joined.pop("linear")), **joined}


def vignette(camera: Camera) -> np.ndarray:
    """HxW: the light the lens lets through, falling off slightly towards the corners."""
    ys, xs = np.mgrid[0 : camera.height, 0 : camera.width]
    r2 = ((xs - camera.width / 2) ** 2 + (ys - camera.height / 2) ** 2) / (camera.width**2 + camera.height**2) * 4
    return 1 - 0.12 * r2


def expose(scene: Scene, linear: np.ndarray) -> np.ndarray:
    """sRGB bytes: exposure, a soft shoulder for highlights, a slight vignette and sensor noise."""
    camera = scene.camera
    value = linear * scene.exposure
    value = value / (1 + np.maximum(value - 0.8, 0) * 1.5)  # highlights roll off instead of clipping hard
    value *= vignette(camera)[..., None]
    value = np.clip(value, 0, 1)
    srgb = np.where(value <= 0.0031308, 12.92 * value, 1.055 * value ** (1 / 2.4) - 0.055) * 255
    noise = np.random.default_rng([scene.seed, 4]).normal(0.0, scene.noise_levels, srgb.shape[:2])[..., None]
    return np.clip(np.rint(srgb + noise), 0, 255).astype(np.uint8)
