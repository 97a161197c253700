"""The visualiser's surface: the mix laid on the area in perspective, in two stages (the browser's
visualiser_surface.js, mirrored).

`lay_out` (once per photo, area, mask and tile choice): every pixel of the area gets its point on the
ground, its place on the top-view texture (500 mm tiles, each turned, mirrored and shifted its own
way, or one seamless pour), how much of it is seam, the photo's light on it and its grain; the surface's
side shows below the edges facing the camera and the ground outside loses the sky that side hides. `paint` (per texture): one bilinear texture read
per pixel at the pyramid level its footprint needs, times its light, encoded, over the photo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .geometry import Point, assumed_focal_px, edge_normals_y, hash01, photo_to_plane, signed_distance
from .light import ENCODE_STEPS, LINEAR_TO_SRGB, SRGB_TO_LINEAR, Crop, Light, box_sum, estimate_light, radii, shade_at

TILE_MM = 500.0
PATCH_MM = 40.0  # the texture is laid in patches this far apart (patch_points)
SEAM_MM = 3.0  # the groove between two tiles, bevels included
SEAM_DARK = 0.45  # share of the light a seam takes
TILE_TONE = 0.04  # each tile a little lighter or darker, up to this share
MOTTLE = 0.03  # slow unevenness of the surface, up to this share
MOTTLE_MM = 300.0
RIM_DARK = 0.12  # the surface's edge, a little darker
RIM_MM = 15.0
# The ground beside the surface loses the sky its side hides: a long wall h high hides (1 - d / sqrt(d^2 + h^2)) / 2
# of the sky from a point d away (half at its foot, 15% at d = h); the sky's share of the light there is
# the light's (light.py: sky_share).
CONTACT_REACH_SHARE = 1 / 50  # of the photo's long side, at most
EDGE_SOFT_SHARE = 1.5 / 1280  # width of the edge's soft step, of the long side
GRAIN_KEEP = 0.9
SIDE_MM = 20.0  # tiles stand this proud of the ground: their side shows below the edges facing the camera
POURED_MM = 15.0  # a poured surface is laid this thick (10-40 mm): its side shows as tiles' do
SIDE_SHADE = 0.5  # a tile's side against its top
SNAP_SHARE = 2.5 / 1280  # of the long side: how far the brush's edge snaps to the object it covers


@dataclass(frozen=True)
class Area:
    """The area: its four corners (photo px, in order round it: c0 -> c1 the width, c1 -> c2 the depth),
    its real size, and optionally an outline of 3+ points where the surface goes (else the corners)."""

    corners: tuple[Point, ...]
    width_m: float
    depth_m: float
    outline: tuple[Point, ...] | None = None


@dataclass(frozen=True)
class Layout:
    """Everything of the picture but the texture: the photo with its contact shadow, and per area pixel
    its index, coverage, texture place (mm), footprint (mm per px: the side of a square of its area on the
    ground), light factors and grain."""

    width: int
    height: int
    seed: int
    field_mm: float
    background: np.ndarray  # HxWx3 uint8
    light: Light
    crop: Crop
    pixels: np.ndarray
    alpha: np.ndarray
    s: np.ndarray
    t: np.ndarray
    footprint: np.ndarray
    mul: np.ndarray  # 3 x count
    grain: np.ndarray


def area_crop(outline: Sequence[Point], width: int, height: int) -> Crop:
    """The rectangle of the photo the layout works on: the outline's box and room for the filters."""
    thin, guide = radii(width, height)
    margin = 2 * guide + 4 * thin + 2 + math.ceil(max(width, height) * CONTACT_REACH_SHARE)
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    x0, y0 = max(0, math.floor(min(xs)) - margin), max(0, math.floor(min(ys)) - margin)
    x1, y1 = min(width, math.ceil(max(xs)) + margin), min(height, math.ceil(max(ys)) + margin)
    return Crop(x0, y0, x1 - x0, y1 - y0)


def plane_points(matrix: np.ndarray, x: np.ndarray, y: np.ndarray, lens: tuple[float, float]) -> dict[str, np.ndarray]:
    """X, Y (mm) and w of each pixel centre's ray on the plane, its footprint (mm per px, the longer
    side), the pixel's size across the lines X = const and Y = const (mm) and facing the camera (mm),
    how many px a mm standing up there spans and the side of a square of the pixel's area (mm). lens: (focal length, middle row) in px."""
    m = matrix
    w = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    X = (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / w
    Y = (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / w
    dXdx, dXdy = (m[0, 0] - X * m[2, 0]) / w, (m[0, 1] - X * m[2, 1]) / w
    dYdx, dYdy = (m[1, 0] - Y * m[2, 0]) / w, (m[1, 1] - Y * m[2, 1]) / w
    footprint = np.sqrt(np.maximum(dXdx * dXdx + dYdx * dYdx, dXdy * dXdy + dYdy * dYdy))
    across_x, across_y = np.sqrt(dXdx * dXdx + dXdy * dXdy), np.sqrt(dYdx * dYdx + dYdy * dYdy)
    frontal = np.sqrt(dXdx * dXdx + dYdx * dYdx)  # ground mm per px along the photo's rows: its scale facing the camera
    # The side of a square as large as the pixel on the ground: how many granules a pixel averages goes
    # with its area, so the texture's level follows it (the longer side would wash the crumb out far off).
    spread = np.sqrt(np.abs(dXdx * dYdy - dXdy * dYdx))
    # A camera pitched t below the horizon (the plane's horizon, w = 0, is f tan(t) above the middle row):
    # a mm standing up a row at angle p above the middle spans (cos t + tan p sin t) / frontal px.
    focal, middle = lens
    horizon = -(m[2, 0] * x + m[2, 2]) / m[2, 1] if m[2, 1] != 0 else np.full(np.shape(x), -np.inf)
    pitch = np.arctan((middle - horizon) / focal)
    upright = np.maximum(0.0, np.cos(pitch) + (middle - y) / focal * np.sin(pitch)) / frontal
    return {"X": X, "Y": Y, "w": w, "footprint": footprint, "across_x": across_x, "across_y": across_y, "frontal": frontal, "upright": upright, "spread": spread}


def band_cover(distance: np.ndarray, across: np.ndarray, band: float) -> np.ndarray:
    """How much of a pixel `across` mm wide, its centre `distance` mm from a line, a band `band` mm wide covers."""
    overlap = np.minimum(distance + across / 2, band / 2) - np.maximum(distance - across / 2, -band / 2)
    return np.maximum(0.0, overlap) / across


def mottle(X: np.ndarray, Y: np.ndarray, seed: int) -> np.ndarray:
    """Slow value noise on the plane in [-1, 1]: hashed lattice values, bilinear between them."""
    gx, gy = X / MOTTLE_MM, Y / MOTTLE_MM
    i, j = np.floor(gx), np.floor(gy)
    fx, fy = gx - i, gy - j
    i, j = i.astype(np.int64), j.astype(np.int64)

    def v(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return 2 * hash01(a, b, seed, 5) - 1

    return (v(i, j) * (1 - fx) + v(i + 1, j) * fx) * (1 - fy) + (v(i, j + 1) * (1 - fx) + v(i + 1, j + 1) * fx) * fy


def tile_salt(i: np.ndarray | int, j: np.ndarray | int, seed: int) -> np.ndarray:
    """The salt of a tile's patches (and of the poured surface's: tile 0, 0)."""
    return np.floor(hash01(i, j, seed, 30) * 4294967296.0).astype(np.int64)


def _sharpen(weight: np.ndarray) -> np.ndarray:
    square = weight * weight
    return square * square


def patch_points(u: np.ndarray, v: np.ndarray, salt: np.ndarray, field_mm: float, pick: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where (u, v) mm of a surface (salted) falls on the texture (s, t in mm, within [0, field_mm]).

    The surface is a lattice PATCH_MM apart; each lattice point draws its own turn or mirror (8 ways)
    and place on the texture, and each pixel takes one of its cell's four points, `pick` (in [0, 1))
    choosing in proportion to the sharpened bilinear weights: no repeat, mirror line or seam of the
    texture shows, at one texture read a pixel."""
    gx, gy = u / PATCH_MM, v / PATCH_MM
    i, j = np.floor(gx), np.floor(gy)
    fx, fy = gx - i, gy - j
    w00, w10 = _sharpen((1 - fx) * (1 - fy)), _sharpen(fx * (1 - fy))
    w01, w11 = _sharpen((1 - fx) * fy), _sharpen(fx * fy)
    target = pick * (w00 + w10 + w01 + w11)
    di = np.where(target < w00, 0, np.where(target < w00 + w10, 1, np.where(target < w00 + w10 + w01, 0, 1)))
    dj = np.where(target < w00 + w10, 0, 1)
    vi, vj = i.astype(np.int64) + di, j.astype(np.int64) + dj
    x, y = u - vi * PATCH_MM, v - vj * PATCH_MM
    way = np.floor(hash01(vi, vj, salt, 21) * 8).astype(np.int64)
    x = np.where(way & 1, -x, x)
    for turn in (1, 2, 3):
        turned = (way >> 1) >= turn
        x, y = np.where(turned, y, x), np.where(turned, -x, y)
    room = field_mm - 2 * PATCH_MM
    return x + PATCH_MM + hash01(vi, vj, salt, 22) * room, y + PATCH_MM + hash01(vi, vj, salt, 23) * room


def surface_points(point: dict[str, np.ndarray], seamless: bool, seed: int, field_mm: float, pick: np.ndarray) -> dict[str, np.ndarray]:
    """Where each plane point falls on the texture (s, t in mm), its tile's tone and its seam."""
    X, Y = point["X"], point["Y"]
    if seamless:
        s, t = patch_points(X, Y, tile_salt(0, 0, seed), field_mm, pick)
        return {"s": s, "t": t, "tone": np.ones(X.shape), "seam": np.zeros(X.shape)}
    i, j = np.floor(X / TILE_MM), np.floor(Y / TILE_MM)
    u, v = X - i * TILE_MM, Y - j * TILE_MM
    i, j = i.astype(np.int64), j.astype(np.int64)
    s, t = patch_points(u, v, tile_salt(i, j, seed), field_mm, pick)
    cover_x = band_cover(np.minimum(u, TILE_MM - u), point["across_x"], SEAM_MM)
    cover_y = band_cover(np.minimum(v, TILE_MM - v), point["across_y"], SEAM_MM)
    return {
        "s": s,
        "t": t,
        "tone": 1 + TILE_TONE * (2 * hash01(i, j, seed, 4) - 1),
        "seam": 1 - (1 - cover_x) * (1 - cover_y),
    }


def _distances(outline: Sequence[Point], crop: Crop, mask: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Per crop pixel: signed distance to the outline (px), the y part of its nearest edge's outward
    normal, the mask (0-1) and the light's weights."""
    ys, xs = np.mgrid[crop.y0 : crop.y0 + crop.height, crop.x0 : crop.x0 + crop.width]
    distance, edge = signed_distance(outline, xs + 0.5, ys + 0.5, nearest=True)
    facing = edge_normals_y(outline)[edge]
    if mask is None:
        masked = np.zeros(distance.shape)
    else:
        masked = mask[crop.y0 : crop.y0 + crop.height, crop.x0 : crop.x0 + crop.width].astype(np.float64) / 255
    weights = ((distance > 0) & (masked < 128 / 255)).astype(np.float64)
    return distance, facing, masked, weights


def snap_mask(part: np.ndarray, masked: np.ndarray, inside: np.ndarray, r: int) -> np.ndarray:
    """The mask with its edge snapped to the object (a brush drawn a little wide would leave a rim of the
    old ground round it): a masked pixel within r px of the area's unmasked ground is laid where its
    colour is nearer that ground's around it (3r px) than the object's deeper in the mask."""
    held = masked >= 0.5
    ground = (~held & inside).astype(np.float64)
    near = held & (box_sum(ground, r) > 0)
    deep = (held & ~near).astype(np.float64)
    reach = 3 * r
    ground_count, deep_count = box_sum(ground, reach), box_sum(deep, reach)
    chosen = near & (ground_count > 0) & (deep_count > 0)
    to_ground = np.zeros(masked.shape)
    to_object = np.zeros(masked.shape)
    for k in range(3):
        value = part[..., k].astype(np.float64)
        ground_mean = box_sum(ground * value, reach) / np.maximum(ground_count, 1)
        deep_mean = box_sum(deep * value, reach) / np.maximum(deep_count, 1)
        to_ground += (value - ground_mean) * (value - ground_mean)
        to_object += (value - deep_mean) * (value - deep_mean)
    return np.where(chosen & (to_ground < to_object), 0.0, masked)


def darken(srgb: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """sRGB bytes (HxWx3) with their light times `factor` (HxW), not rounded."""
    value = SRGB_TO_LINEAR[srgb].astype(np.float64) * factor[..., None]
    return LINEAR_TO_SRGB[np.floor(np.minimum(1.0, value) * ENCODE_STEPS + 0.5).astype(np.int64)].astype(np.float64)


def sky_hidden(away_mm: np.ndarray, thickness: float, light: Light) -> np.ndarray:
    """The share of the light the surface's side takes from the ground `away_mm` from its foot (crop-sized)."""
    share = np.minimum(1.0, light.sky / np.exp(np.minimum(0.0, light.smooth - light.lit)))
    return share * 0.5 * (1 - away_mm / np.sqrt(away_mm * away_mm + thickness * thickness))


def lay_out(photo: np.ndarray, area: Area, *, seamless: bool, seed: int, field_mm: float, mask: np.ndarray | None = None) -> Layout:  # long: one pass over the crop, kept together
    """The stage that does not depend on the texture. photo: HxWx3 sRGB bytes; mask: HxW bytes, >= 128
    keeps the photo (a standing object), soft values soften its edge."""
    height, width = photo.shape[:2]
    outline = area.outline or area.corners
    seed &= 0xFFFFFFFF
    to_plane = photo_to_plane(area.corners, area.width_m * 1000, area.depth_m * 1000)
    crop = area_crop(outline, width, height)
    distance, facing, masked, weights = _distances(outline, crop, mask)
    light = estimate_light(photo, crop, weights)
    if mask is not None:
        part = photo[crop.y0 : crop.y0 + crop.height, crop.x0 : crop.x0 + crop.width, :3]
        masked = snap_mask(part, masked, distance > 0, max(1, math.floor(max(width, height) * SNAP_SHARE + 0.5)))
    long = max(width, height)
    edge_soft = max(0.5, long * EDGE_SOFT_SHARE)
    reach = long * CONTACT_REACH_SHARE
    ys, xs = np.mgrid[crop.y0 : crop.y0 + crop.height, crop.x0 : crop.x0 + crop.width]
    point = plane_points(to_plane.matrix, xs + 0.5, ys + 0.5, (assumed_focal_px(width, height), height / 2))
    near = (distance >= -reach) & (np.sign(point["w"]) == np.sign(to_plane.w0))
    # The surface's side: below an edge facing the camera, a band as high as the surface is thick.
    thickness = POURED_MM if seamless else SIDE_MM
    side = np.where(facing > 0, thickness * point["upright"] * facing, 0.0)
    beyond = np.maximum(0.0, -distance)
    top = np.clip(0.5 + distance / edge_soft, 0.0, 1.0)
    band = np.where((distance < 0) & (side > 0), np.clip(0.5 + (side - beyond) / edge_soft, 0.0, 1.0), 0.0)
    alpha = np.maximum(top, band) * (1 - masked)
    background = np.array(photo[..., :3], dtype=np.uint8, copy=True)
    edge = near & (alpha < 1)
    contact = 1 - (1 - masked) * sky_hidden(np.maximum(0.0, beyond - side) * point["footprint"], thickness, light)
    part = background[crop.y0 : crop.y0 + crop.height, crop.x0 : crop.x0 + crop.width]
    darkened = np.clip(np.rint(darken(part, contact)), 0, 255).astype(np.uint8)
    part[edge] = darkened[edge]
    drawn = near & (alpha > 0)
    at = {key: value[drawn] for key, value in point.items()}
    px, py = xs[drawn], ys[drawn]
    place = surface_points(at, seamless, seed, field_mm, hash01(px, py, seed, 13))
    d, footprint = distance[drawn], at["footprint"]
    rim = np.where((d < 0) & (band[drawn] > top[drawn]), SIDE_SHADE, 1 - RIM_DARK * np.exp(-np.maximum(0.0, d) * footprint / RIM_MM))
    common = place["tone"] * (1 - SEAM_DARK * place["seam"]) * rim * (1 + MOTTLE * mottle(at["X"], at["Y"], seed))
    grain = (hash01(px, py, seed, 12) - 0.5) * (math.sqrt(12) * light.noise * GRAIN_KEEP)
    return Layout(
        width=width, height=height, seed=seed, field_mm=field_mm, background=background, light=light, crop=crop,
        pixels=(py * width + px).astype(np.int64), alpha=alpha[drawn].astype(np.float32),
        s=place["s"], t=place["t"], footprint=at["spread"],
        mul=(shade_at(light, drawn) * common[None, :]).astype(np.float32), grain=grain.astype(np.float32),
    )
